"""Replica configuration and validator sets: frozen values passed in, never looked up."""

from __future__ import annotations

from dataclasses import dataclass

from consensus.base import (
    MAX_CHAIN_ID_LEN,
    MAX_VALIDATORS,
    TAG_VALIDATOR_SET,
    Digest,
    Epoch,
    ReplicaId,
    Seq,
    View,
)
from consensus.errors import ConfigError
from consensus.quorum import commit_quorum, max_faulty, prepare_quorum, weak_quorum
from primitives.codec import encode
from primitives.hashing import digest
from primitives.keys import PUBLIC_KEY_SIZE


@dataclass(frozen=True, slots=True)
class ValidatorSet:
    """The equally weighted validators of one epoch, by index (replica id = position)."""

    epoch: Epoch
    keys: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if not 1 <= len(self.keys) <= MAX_VALIDATORS:
            raise ConfigError(f"a validator set holds 1..{MAX_VALIDATORS} keys")
        for key in self.keys:
            if type(key) is not bytes or len(key) != PUBLIC_KEY_SIZE:
                raise ConfigError("a validator key is a 32-byte Ed25519 public key")
        if len(set(self.keys)) != len(self.keys):
            raise ConfigError("validator keys must be distinct")
        if self.epoch < 0:
            raise ConfigError("the epoch is a non-negative integer")

    @property
    def n(self) -> int:
        return len(self.keys)

    @property
    def f(self) -> int:
        return max_faulty(self.n)

    @property
    def quorum(self) -> int:
        return commit_quorum(self.n)

    @property
    def prepare_quorum(self) -> int:
        return prepare_quorum(self.n)

    @property
    def weak_quorum(self) -> int:
        return weak_quorum(self.n)

    def primary(self, view: View) -> ReplicaId:
        """The primary rotates with the view (section 4.1: p = v mod |R|)."""
        return ReplicaId(view % self.n)

    def key(self, replica: int) -> bytes:
        return self.keys[replica]

    def contains(self, replica: int) -> bool:
        return 0 <= replica < len(self.keys)

    def digest(self) -> Digest:
        return digest(TAG_VALIDATOR_SET, encode([self.epoch, list(self.keys)]))


@dataclass(frozen=True, slots=True)
class ReplicaConfig:
    """Everything a replica needs to know about its network; times are in integer ticks."""

    chain_id: str
    validators: ValidatorSet
    index: ReplicaId
    checkpoint_interval: int = 16
    window: int = 64
    base_timeout: int = 2_000
    max_timeout: int = 60_000
    status_interval: int = 1_000
    max_pending: int = 10_000
    start_seq: Seq = Seq(0)  # the checkpoint at which this validator set took over

    def __post_init__(self) -> None:
        if type(self.chain_id) is not str or not 0 < len(self.chain_id) <= MAX_CHAIN_ID_LEN:
            raise ConfigError(f"chain id must be 1..{MAX_CHAIN_ID_LEN} characters")
        if not self.validators.contains(self.index):
            raise ConfigError(f"index {self.index} is not in the validator set")
        k = self.checkpoint_interval
        if k < 1:
            raise ConfigError("checkpoint interval must be at least 1")
        if self.window < k or self.window % k != 0:
            raise ConfigError("window must be a positive multiple of the checkpoint interval")
        if not 0 < self.base_timeout <= self.max_timeout:
            raise ConfigError("need 0 < base_timeout <= max_timeout")
        if self.start_seq < 0 or self.start_seq % k != 0:
            raise ConfigError("start_seq must be a non-negative multiple of the interval")
        if self.status_interval < 1 or self.max_pending < 1:
            raise ConfigError("status interval and pending limit must be positive")
