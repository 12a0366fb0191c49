"""The authenticated handshake: Noise XX plus an identity proof (pure, no I/O).

Theory of operation. The link key comes from Noise XX (noise.py); Noise authenticates
X25519 static keys, but our nodes are known by Ed25519 identity keys (genesis lists
them). Each side's handshake payload is therefore an IdentityProof:

    [version, chain_id, ed25519_public_key, signature]

where `signature` is the Ed25519 signature of

    codec.encode([b"scctn/p2p-identity/v1", chain_id, noise_static_public_key])

The proof travels encrypted inside message 2 (responder) and message 3 (initiator),
after the `s` token, and is checked against the static key Noise just authenticated:
a proof copied from another session names a different static key, and the static key
can only be used by whoever holds its private half (the `es`/`se` DH). The chain id is
also in the Noise prologue, so nodes of different chains fail at message 2.

Replay: every handshake mixes both sides' fresh ephemerals, so a recorded message 1 or
3 replayed at a node fails to authenticate (message 3 is encrypted under a key derived
from the responder's new ephemeral).

Usage: the initiator calls `start()` and sends the result; each side feeds received
messages to `receive()` and sends what it returns (if anything) until `complete`.
"""

from __future__ import annotations

from dataclasses import dataclass

from p2p.errors import InvalidHandshake
from p2p.noise import DHLEN, CipherState, HandshakeState, x25519_public
from primitives import codec
from primitives.errors import DecodeError
from primitives.keys import PUBLIC_KEY_SIZE, SIGNATURE_SIZE, PrivateKey, verify

PROTOCOL_VERSION = 1
IDENTITY_TAG = b"scctn/p2p-identity/v1"
PROLOGUE_TAG = b"scctn/p2p/v1"
MAX_HANDSHAKE_MESSAGE = 1024
MAX_CHAIN_ID = 64


@dataclass(frozen=True, slots=True)
class IdentityProof:
    version: int
    chain_id: str
    identity: bytes
    signature: bytes

    def to_wire(self) -> bytes:
        return codec.encode([self.version, self.chain_id, self.identity, self.signature])

    @classmethod
    def from_wire(cls, data: bytes) -> IdentityProof:
        try:
            fields = codec.expect_list(
                codec.decode(data, max_size=MAX_HANDSHAKE_MESSAGE), 4, what="identity proof"
            )
            return cls(
                codec.expect_int(fields[0], what="version"),
                codec.expect_str(fields[1], max_len=MAX_CHAIN_ID, what="chain id"),
                codec.expect_bytes(fields[2], PUBLIC_KEY_SIZE, what="identity key"),
                codec.expect_bytes(fields[3], SIGNATURE_SIZE, what="signature"),
            )
        except DecodeError as exc:
            raise InvalidHandshake(f"bad identity proof: {exc.message}") from exc


def signed_message(chain_id: str, noise_static_public: bytes) -> bytes:
    return codec.encode([IDENTITY_TAG, chain_id, noise_static_public])


def make_proof(identity: PrivateKey, chain_id: str, noise_static_public: bytes) -> IdentityProof:
    sig = identity.sign(signed_message(chain_id, noise_static_public))
    return IdentityProof(PROTOCOL_VERSION, chain_id, identity.public.raw, sig)


def check_proof(proof: IdentityProof, chain_id: str, noise_static_public: bytes) -> bytes:
    """The proven Ed25519 identity, or InvalidHandshake."""
    if proof.version != PROTOCOL_VERSION:
        raise InvalidHandshake(f"protocol version {proof.version} is not {PROTOCOL_VERSION}")
    if proof.chain_id != chain_id:
        raise InvalidHandshake("identity proof names another chain")
    if len(noise_static_public) != DHLEN:
        raise InvalidHandshake("no static key to bind")
    if not verify(proof.identity, signed_message(chain_id, noise_static_public), proof.signature):
        raise InvalidHandshake("identity signature does not bind the Noise static key")
    return proof.identity


@dataclass(frozen=True, slots=True)
class HandshakeResult:
    remote_identity: bytes
    send: CipherState
    recv: CipherState
    handshake_hash: bytes


class Handshake:
    """One side of the authenticated handshake. Raises InvalidHandshake on bad input."""

    __slots__ = ("_noise", "_chain_id", "_proof", "_remote", "result")

    def __init__(
        self,
        *,
        initiator: bool,
        identity: PrivateKey,
        chain_id: str,
        noise_static: bytes,
        proof: IdentityProof | None = None,
        hash_name: str = "SHA256",
        ephemeral: bytes | None = None,
    ) -> None:
        self._noise = HandshakeState(
            initiator=initiator,
            static=noise_static,
            prologue=codec.encode([PROLOGUE_TAG, chain_id]),
            hash_name=hash_name,
            ephemeral=ephemeral,
        )
        self._chain_id = chain_id
        self._proof = proof or make_proof(identity, chain_id, x25519_public(noise_static))
        self.result: HandshakeResult | None = None

    @property
    def initiator(self) -> bool:
        return self._noise.initiator

    @property
    def complete(self) -> bool:
        return self.result is not None

    def start(self) -> bytes:
        if not self.initiator:
            raise InvalidHandshake("only the initiator starts")
        return self._noise.write_message(b"")

    def receive(self, message: bytes) -> bytes | None:
        """Process one peer message; returns our next message, or None when done."""
        if self.result is not None:
            raise InvalidHandshake("handshake already complete")
        noise = self._noise
        payload = noise.read_message(message)
        if not noise.remote_static:  # message 1: `-> e`, its payload must be empty
            if payload:
                raise InvalidHandshake("first handshake message carries a payload")
            return noise.write_message(self._proof.to_wire())
        remote = check_proof(IdentityProof.from_wire(payload), self._chain_id, noise.remote_static)
        reply = noise.write_message(self._proof.to_wire()) if noise.is_my_turn() else None
        send, recv = noise.split()
        self.result = HandshakeResult(remote, send, recv, noise.handshake_hash)
        return reply
