"""Error root of the consensus package.

Subclasses are named for what the caller does with them:
- `InvalidMessage`: the peer's fault (bad encoding, signature, chain, epoch, shape):
  drop it, count it, maybe ban the peer. The replica's state is unchanged.
- `InvalidCertificate`: a certificate shown by a third party does not verify.
- `ConfigError`: the replica was constructed with an impossible configuration.
- `StateCorrupt`: the persisted log contradicts itself; halt loudly.
"""

from __future__ import annotations


class ConsensusError(Exception):
    """Root of every error raised by `consensus`."""

    code = "consensus_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidMessage(ConsensusError):
    """A message from a peer that is malformed, forged or addressed to another chain."""

    code = "invalid_message"


class InvalidCertificate(ConsensusError):
    """A commit, checkpoint or prepared certificate that does not verify."""

    code = "invalid_certificate"


class ConfigError(ConsensusError):
    """A replica configuration that cannot run (bad index, window, interval)."""

    code = "config_error"


class StateCorrupt(ConsensusError):
    """The persisted log cannot be replayed: it was written by another replica or damaged."""

    code = "state_corrupt"
