"""Ed25519 keys (RFC 8032, via pynacl) and `scc1...` addresses.

An address is bech32m with prefix `scc` over the first 20 bytes of the domain-tagged
hash of the 32-byte public key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import NewType

import nacl.exceptions
import nacl.signing

from primitives import bech32m
from primitives.errors import InvalidAddress, InvalidKey
from primitives.hashing import Tags, digest

Address = NewType("Address", bytes)
ADDRESS_HRP = "scc"
ADDRESS_SIZE = 20
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
SEED_SIZE = 32


@dataclass(frozen=True, slots=True)
class PublicKey:
    raw: bytes

    def __post_init__(self) -> None:
        if type(self.raw) is not bytes or len(self.raw) != PUBLIC_KEY_SIZE:
            raise InvalidKey("an Ed25519 public key is 32 bytes")

    def verify(self, message: bytes, signature: bytes) -> bool:
        return verify(self.raw, message, signature)

    def address(self) -> Address:
        return address_of(self.raw)

    def hex(self) -> str:
        return self.raw.hex()


class PrivateKey:
    """An Ed25519 signing key built from a 32-byte seed."""

    __slots__ = ("_signing", "public")

    def __init__(self, seed: bytes) -> None:
        if type(seed) is not bytes or len(seed) != SEED_SIZE:
            raise InvalidKey("an Ed25519 seed is 32 bytes")
        self._signing = nacl.signing.SigningKey(seed)
        self.public = PublicKey(bytes(self._signing.verify_key))

    @classmethod
    def generate(cls) -> PrivateKey:
        return cls(os.urandom(SEED_SIZE))

    @property
    def seed(self) -> bytes:
        return bytes(self._signing)

    def sign(self, message: bytes) -> bytes:
        return bytes(self._signing.sign(message).signature)

    def address(self) -> Address:
        return self.public.address()


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when `signature` is a valid Ed25519 signature of `message` by `public_key`."""
    if len(public_key) != PUBLIC_KEY_SIZE or len(signature) != SIGNATURE_SIZE:
        return False
    try:
        nacl.signing.VerifyKey(public_key).verify(message, signature)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError):
        return False
    return True


def address_of(public_key: bytes) -> Address:
    return Address(digest(Tags.ADDRESS, public_key)[:ADDRESS_SIZE])


def format_address(address: bytes) -> str:
    if len(address) != ADDRESS_SIZE:
        raise InvalidAddress("an address is 20 bytes")
    return bech32m.encode(ADDRESS_HRP, address)


def parse_address(text: str) -> Address:
    """Address bytes of an `scc1...` string; InvalidAddress says what is wrong."""
    raw = bech32m.decode(ADDRESS_HRP, text.strip() if isinstance(text, str) else text)
    if len(raw) != ADDRESS_SIZE:
        raise InvalidAddress(f"address holds {len(raw)} bytes, expected {ADDRESS_SIZE}")
    return Address(raw)
