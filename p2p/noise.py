"""The Noise XX handshake (Noise Protocol Framework, rev. 34) as a pure state machine.

Theory of operation (Noise spec section 5 "Processing rules", 7.5 "Interactive
handshake patterns"). XX is

    -> e
    <- e, ee, s, es
    -> s, se

Each side keeps a SymmetricState (chaining key `ck`, handshake hash `h`, a CipherState
keyed by MixKey). Writing or reading a message walks its token list: `e` sends or
learns an ephemeral public key (MixHash), `s` sends or learns the static key encrypted
under the current key (EncryptAndHash), and `ee`/`es`/`se` mix a Diffie-Hellman output
into the chaining key (MixKey). Every message ends with the payload, encrypted as soon
as a key exists. After the third message both sides Split() into two CipherStates, one
per direction, whose keys are fresh for every handshake because the ephemerals are.

Supported: Noise_XX_25519_ChaChaPoly_SHA256 and Noise_XX_25519_ChaChaPoly_BLAKE2b. The
ephemeral key can be injected, which is what the published test vectors need; in real
use it is generated from the OS random source for every handshake.

No I/O here: callers hand in bytes and get bytes back. Errors are InvalidHandshake
(peer's fault) or DecryptError.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from p2p.errors import DecryptError, InvalidHandshake

DHLEN = 32
TAGLEN = 16
KEYLEN = 32
MAX_NOISE_MESSAGE = 65535
MAX_NONCE = 2**64 - 1  # reserved by the spec (section 5.1); never used as a nonce

_HASHES: dict[str, tuple[Callable[..., Any], int]] = {
    "SHA256": (hashlib.sha256, 32),
    "BLAKE2b": (hashlib.blake2b, 64),
}

XX_PATTERN: tuple[tuple[str, ...], ...] = (("e",), ("e", "ee", "s", "es"), ("s", "se"))

_NONCE = struct.Struct("<4xQ")  # 32 zero bits then the 64-bit counter, little-endian


def protocol_name(hash_name: str) -> bytes:
    return f"Noise_XX_25519_ChaChaPoly_{hash_name}".encode()


def x25519_public(private: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


def generate_x25519() -> bytes:
    return os.urandom(DHLEN)


def _dh(private: bytes, public: bytes) -> bytes:
    try:
        return X25519PrivateKey.from_private_bytes(private).exchange(
            X25519PublicKey.from_public_bytes(public)
        )
    except ValueError as exc:  # low-order point: the shared secret would be all zeros
        raise InvalidHandshake("Diffie-Hellman with a low-order public key") from exc


class CipherState:
    """A ChaCha20-Poly1305 key and its nonce counter (Noise section 5.1)."""

    __slots__ = ("_aead", "n")

    def __init__(self, key: bytes | None = None) -> None:
        self._aead = ChaCha20Poly1305(key) if key is not None else None
        self.n = 0

    def has_key(self) -> bool:
        return self._aead is not None

    def encrypt_with_ad(self, ad: bytes, plaintext: bytes) -> bytes:
        aead = self._aead
        if aead is None:
            return plaintext
        if self.n >= MAX_NONCE:
            raise DecryptError("nonce space exhausted; the link must be re-established")
        out = aead.encrypt(_NONCE.pack(self.n), plaintext, ad)
        self.n += 1
        return out

    def decrypt_with_ad(self, ad: bytes, ciphertext: bytes) -> bytes:
        aead = self._aead
        if aead is None:
            return ciphertext
        if self.n >= MAX_NONCE:
            raise DecryptError("nonce space exhausted; the link must be re-established")
        if len(ciphertext) < TAGLEN:
            raise DecryptError("ciphertext shorter than its authentication tag")
        try:
            out = aead.decrypt(_NONCE.pack(self.n), ciphertext, ad)
        except InvalidTag as exc:
            raise DecryptError("authentication tag mismatch") from exc
        self.n += 1
        return out


class SymmetricState:
    """ck, h and the handshake CipherState (Noise section 5.2)."""

    __slots__ = ("_hash", "_hashlen", "ck", "h", "cipher")

    def __init__(self, name: bytes, hash_name: str) -> None:
        self._hash, self._hashlen = _HASHES[hash_name]
        if len(name) <= self._hashlen:
            self.h = name + b"\x00" * (self._hashlen - len(name))
        else:
            self.h = self._hash(name).digest()
        self.ck = self.h
        self.cipher = CipherState()

    def _hkdf(self, ikm: bytes, outputs: int) -> list[bytes]:
        temp = hmac.new(self.ck, ikm, self._hash).digest()
        out: list[bytes] = []
        prev = b""
        for i in range(1, outputs + 1):
            prev = hmac.new(temp, prev + bytes((i,)), self._hash).digest()
            out.append(prev)
        return out

    def mix_key(self, ikm: bytes) -> None:
        self.ck, temp_k = self._hkdf(ikm, 2)
        self.cipher = CipherState(temp_k[:KEYLEN])

    def mix_hash(self, data: bytes) -> None:
        self.h = self._hash(self.h + data).digest()

    def encrypt_and_hash(self, plaintext: bytes) -> bytes:
        ct = self.cipher.encrypt_with_ad(self.h, plaintext)
        self.mix_hash(ct)
        return ct

    def decrypt_and_hash(self, ciphertext: bytes) -> bytes:
        pt = self.cipher.decrypt_with_ad(self.h, ciphertext)
        self.mix_hash(ciphertext)
        return pt

    def split(self) -> tuple[CipherState, CipherState]:
        k1, k2 = self._hkdf(b"", 2)
        return CipherState(k1[:KEYLEN]), CipherState(k2[:KEYLEN])


class HandshakeState:
    """One side of a Noise XX handshake (Noise section 5.3).

    `initiator` writes messages 0 and 2 and reads 1; the responder the reverse.
    `static` is our X25519 private key; `ephemeral` may be injected for test vectors.
    """

    __slots__ = (
        "initiator",
        "_sym",
        "_s",
        "_s_pub",
        "_e",
        "_e_pub",
        "_re",
        "remote_static",
        "_step",
        "_split",
    )

    def __init__(
        self,
        *,
        initiator: bool,
        static: bytes,
        prologue: bytes = b"",
        hash_name: str = "SHA256",
        ephemeral: bytes | None = None,
    ) -> None:
        if hash_name not in _HASHES:
            raise ValueError(f"unsupported hash {hash_name!r}")
        self.initiator = initiator
        self._sym = SymmetricState(protocol_name(hash_name), hash_name)
        self._sym.mix_hash(prologue)
        self._s = static
        self._s_pub = x25519_public(static)
        self._e = ephemeral
        self._e_pub = b""
        self._re = b""
        self.remote_static = b""
        self._step = 0
        self._split: tuple[CipherState, CipherState] | None = None

    @property
    def complete(self) -> bool:
        return self._split is not None

    @property
    def handshake_hash(self) -> bytes:
        return self._sym.h

    def is_my_turn(self) -> bool:
        return not self.complete and (self._step % 2 == 0) == self.initiator

    def write_message(self, payload: bytes) -> bytes:
        if not self.is_my_turn():
            raise InvalidHandshake("not our turn to write a handshake message")
        sym = self._sym
        out = bytearray()
        for token in XX_PATTERN[self._step]:
            if token == "e":
                if self._e is None:
                    self._e = generate_x25519()
                self._e_pub = x25519_public(self._e)
                out += self._e_pub
                sym.mix_hash(self._e_pub)
            elif token == "s":
                out += sym.encrypt_and_hash(self._s_pub)
            else:
                sym.mix_key(self._dh_token(token))
        out += sym.encrypt_and_hash(payload)
        if len(out) > MAX_NOISE_MESSAGE:
            raise InvalidHandshake("handshake message longer than 65535 bytes")
        self._advance()
        return bytes(out)

    def read_message(self, message: bytes) -> bytes:
        if self.complete or self.is_my_turn():
            raise InvalidHandshake("unexpected handshake message")
        if len(message) > MAX_NOISE_MESSAGE:
            raise InvalidHandshake("handshake message longer than 65535 bytes")
        sym = self._sym
        rest = memoryview(bytes(message))
        try:
            for token in XX_PATTERN[self._step]:
                if token == "e":
                    rest = self._take(rest, DHLEN)
                elif token == "s":
                    n = DHLEN + (TAGLEN if sym.cipher.has_key() else 0)
                    if len(rest) < n:
                        raise InvalidHandshake("handshake message truncated")
                    self.remote_static = sym.decrypt_and_hash(bytes(rest[:n]))
                    rest = rest[n:]
                else:
                    sym.mix_key(self._dh_token(token))
            payload = sym.decrypt_and_hash(bytes(rest))
        except DecryptError as exc:
            raise InvalidHandshake(f"handshake message does not authenticate: {exc}") from exc
        self._advance()
        return payload

    def _take(self, rest: memoryview, n: int) -> memoryview:
        if len(rest) < n:
            raise InvalidHandshake("handshake message truncated")
        self._re = bytes(rest[:n])
        self._sym.mix_hash(self._re)
        return rest[n:]

    def _dh_token(self, token: str) -> bytes:
        e = self._e
        if e is None:  # pragma: no cover - XX always sends `e` before any DH token
            raise InvalidHandshake("no ephemeral key")
        if token == "ee":
            return _dh(e, self._re)
        if token == "es":
            return _dh(e, self.remote_static) if self.initiator else _dh(self._s, self._re)
        return _dh(self._s, self._re) if self.initiator else _dh(e, self.remote_static)

    def _advance(self) -> None:
        self._step += 1
        if self._step == len(XX_PATTERN):
            self._split = self._sym.split()

    def split(self) -> tuple[CipherState, CipherState]:
        """(send, receive) CipherStates for this side; only after the handshake."""
        if self._split is None:
            raise InvalidHandshake("handshake not complete")
        c1, c2 = self._split
        return (c1, c2) if self.initiator else (c2, c1)
