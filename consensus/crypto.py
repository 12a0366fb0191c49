"""Injected signing and verification.

The replica never holds a key itself: a `Signer` signs for it and a `Verifier` checks
peers' signatures, so the node can keep keys in its keystore and the benchmark can
stub cryptography out. `StubSigner`/`StubVerifier` are for simulations only: their
"signatures" are keyed hashes anyone can compute from the public key.
"""

from __future__ import annotations

from typing import Protocol

from primitives.hashing import digest
from primitives.keys import PrivateKey, verify

_STUB_TAG = b"scctn/pbft/stub-signature/v1"


class Signer(Protocol):
    @property
    def public_key(self) -> bytes: ...

    def sign(self, message: bytes) -> bytes: ...


class Verifier(Protocol):
    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool: ...


class Ed25519Signer:
    __slots__ = ("_key",)

    def __init__(self, key: PrivateKey) -> None:
        self._key = key

    @property
    def public_key(self) -> bytes:
        return self._key.public.raw

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


class Ed25519Verifier:
    __slots__ = ()

    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        return verify(public_key, message, signature)


def _stub_signature(public_key: bytes, message: bytes) -> bytes:
    half = digest(_STUB_TAG, public_key + message)
    return half + half


class StubSigner:
    """Deterministic fake signer: a keyed hash of the public key. Not secure."""

    __slots__ = ("_public",)

    def __init__(self, public_key: bytes) -> None:
        self._public = public_key

    @property
    def public_key(self) -> bytes:
        return self._public

    def sign(self, message: bytes) -> bytes:
        return _stub_signature(self._public, message)


class StubVerifier:
    __slots__ = ()

    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        return signature == _stub_signature(public_key, message)
