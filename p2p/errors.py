"""Error root of the p2p package.

Every error has a stable `code` (for logs, metrics labels and users) and a sentence.
Subclasses are named for what the caller does about them:

- `InvalidFrame`, `OversizeFrame`, `InvalidMessage`: the peer sent bytes we will not
  accept: drop the link or the message, lower the peer's score.
- `HandshakeError` and subclasses: the link never became authenticated: close it,
  count it, log it.
- `NotConnected`, `LinkReset`, `RequestTimeout`, `RemoteError`: what the upper layer
  sees when it talks to a peer that is gone, slow, or failed.
"""

from __future__ import annotations


class P2PError(Exception):
    """Root of every error raised by `p2p`."""

    code = "p2p_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(P2PError):
    """A P2PConfig that cannot work (bad key length, limits out of range)."""

    code = "p2p_config"


class InvalidFrame(P2PError):
    """Bytes on the wire that are not a well-formed (or authentic) frame."""

    code = "invalid_frame"


class OversizeFrame(InvalidFrame):
    """A length prefix larger than the configured maximum."""

    code = "oversize_frame"


class InvalidMessage(P2PError):
    """An authentic frame whose content is not a valid envelope."""

    code = "invalid_message"


class DecryptError(InvalidFrame):
    """A frame that fails AEAD authentication: the stream is corrupt or forged."""

    code = "decrypt_failed"


class HandshakeError(P2PError):
    """The Noise handshake failed; the link is closed."""

    code = "handshake_failed"


class InvalidHandshake(HandshakeError):
    """A handshake message that is malformed, forged or replayed."""

    code = "invalid_handshake"


class HandshakeTimeout(HandshakeError):
    """The handshake did not complete within the configured time."""

    code = "handshake_timeout"


class NotPermitted(HandshakeError):
    """The remote authenticated as an identity we do not accept (unknown or banned)."""

    code = "not_permitted"


class IdentityMismatch(HandshakeError):
    """We dialled an address for one identity and a different identity answered."""

    code = "identity_mismatch"


class MessageTooLarge(P2PError):
    """A payload above `Limits.max_payload` handed to send, gossip or request."""

    code = "message_too_large"


class NotConnected(P2PError):
    """No live link to that peer."""

    code = "not_connected"


class LinkReset(P2PError):
    """The link was reset (slow peer, protocol error, remote closed) while in use."""

    code = "link_reset"


class RequestTimeout(P2PError):
    """A request got no response in time."""

    code = "request_timeout"


class RemoteError(P2PError):
    """The peer answered a request with an error."""

    code = "remote_error"
