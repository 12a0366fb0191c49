"""State proofs: the hash definitions of the state tree and the verifier a client runs.

This module depends only on `primitives`, so a light client can copy or import it
without the node. `docs/storage.md` restates every definition here.

The state tree is a compact binary sparse Merkle tree over 256-bit key paths (Diem's
design):

    key_path(key)     = digest(STATE_KEY, key)                  32 bytes, bit 0 = MSB of byte 0
    value_hash(value) = digest(STATE_VALUE, value)
    leaf_hash         = digest(STATE_LEAF, key_path || value_hash)
    node_hash         = digest(STATE_NODE, left || right)
    empty subtree     = ZERO_DIGEST (32 zero bytes)

A subtree with no leaf hashes to ZERO_DIGEST; a subtree with exactly one leaf *is*
that leaf (it sits at the shallowest depth where it is alone); any other subtree is a
node. `digest(tag, data)` = SHA-256(len(tag) || tag || data) (`primitives.hashing`).

A proof for `key` is the walk from the root along `key_path(key)` to the first slot
that is not a node: `siblings[i]` is the hash of the other child at depth `i` (root
first), and `leaf` is the leaf found in that slot, or None if the slot is empty.
It shows inclusion (the leaf has this key path and value hash) or absence (the slot is
empty, or holds a leaf with a different key path that shares the first
`len(siblings)` bits).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from primitives.codec import Wire, decode, encode, expect_bytes, expect_list, expect_seq
from primitives.errors import DecodeError
from primitives.hashing import DIGEST_SIZE, ZERO_DIGEST, Digest, Tags, digest
from scctn_node.storage.kv import StorageError

__all__ = [
    "MAX_DEPTH",
    "InvalidProof",
    "Proof",
    "ProofLeaf",
    "bit_at",
    "key_path",
    "leaf_hash",
    "node_hash",
    "value_hash",
    "verify_proof",
]

MAX_DEPTH = 8 * DIGEST_SIZE  # 256: the deepest a leaf can sit
_HEX = frozenset("0123456789abcdef")


class InvalidProof(StorageError):
    """The proof does not show the claimed key -> value (or absence) under the root."""

    code = "invalid_proof"


def key_path(key: bytes) -> Digest:
    return digest(Tags.STATE_KEY, key)


def value_hash(value: bytes) -> Digest:
    return digest(Tags.STATE_VALUE, value)


def leaf_hash(path: bytes, vhash: bytes) -> Digest:
    return digest(Tags.STATE_LEAF, path + vhash)


def node_hash(left: bytes, right: bytes) -> Digest:
    return digest(Tags.STATE_NODE, left + right)


def bit_at(path: bytes, depth: int) -> int:
    """Bit `depth` of a key path, most significant bit of byte 0 first: 0 = left."""
    return (path[depth >> 3] >> (7 - (depth & 7))) & 1


@dataclass(frozen=True, slots=True)
class ProofLeaf:
    key_path: bytes
    value_hash: bytes


@dataclass(frozen=True, slots=True)
class Proof:
    """An inclusion or absence proof; `siblings` ordered from the root down."""

    leaf: ProofLeaf | None
    siblings: tuple[bytes, ...]

    # ------------------------------------------------------------ wire (msgpack)

    def to_wire(self) -> list[Wire]:
        leaf = None if self.leaf is None else [self.leaf.key_path, self.leaf.value_hash]
        return [leaf, list(self.siblings)]

    @classmethod
    def from_wire(cls, value: Wire) -> Proof:
        fields = expect_list(value, 2, what="proof")
        leaf: ProofLeaf | None = None
        if fields[0] is not None:
            pair = expect_list(fields[0], 2, what="proof leaf")
            leaf = ProofLeaf(
                expect_bytes(pair[0], DIGEST_SIZE, what="proof leaf key path"),
                expect_bytes(pair[1], DIGEST_SIZE, what="proof leaf value hash"),
            )
        items = expect_seq(fields[1], max_len=MAX_DEPTH, what="proof siblings")
        siblings = tuple(expect_bytes(s, DIGEST_SIZE, what="proof sibling") for s in items)
        return cls(leaf, siblings)

    def to_bytes(self) -> bytes:
        return encode(self.to_wire())

    @classmethod
    def from_bytes(cls, data: bytes) -> Proof:
        return cls.from_wire(decode(data, max_size=64 + 40 * MAX_DEPTH))

    # ------------------------------------------------------------ JSON (REST API)

    def to_json(self) -> dict[str, Any]:
        leaf = (
            None
            if self.leaf is None
            else {"key_path": self.leaf.key_path.hex(), "value_hash": self.leaf.value_hash.hex()}
        )
        return {"leaf": leaf, "siblings": [s.hex() for s in self.siblings]}

    @classmethod
    def from_json(cls, obj: object) -> Proof:
        """Parse `to_json()` output strictly (lowercase hex, exact fields) or raise DecodeError."""
        if not isinstance(obj, dict) or set(obj) != {"leaf", "siblings"}:
            raise DecodeError("proof: expected an object with fields leaf and siblings")
        leaf: ProofLeaf | None = None
        raw_leaf = obj["leaf"]
        if raw_leaf is not None:
            if not isinstance(raw_leaf, dict) or set(raw_leaf) != {"key_path", "value_hash"}:
                raise DecodeError("proof leaf: expected an object with key_path and value_hash")
            leaf = ProofLeaf(
                _hex32(raw_leaf["key_path"], "proof leaf key path"),
                _hex32(raw_leaf["value_hash"], "proof leaf value hash"),
            )
        raw_siblings = obj["siblings"]
        if not isinstance(raw_siblings, list) or len(raw_siblings) > MAX_DEPTH:
            raise DecodeError(f"proof siblings: expected a list of at most {MAX_DEPTH}")
        return cls(leaf, tuple(_hex32(s, "proof sibling") for s in raw_siblings))


def _hex32(value: object, what: str) -> bytes:
    if not isinstance(value, str) or len(value) != 2 * DIGEST_SIZE or not _HEX.issuperset(value):
        raise DecodeError(f"{what}: expected {2 * DIGEST_SIZE} lowercase hex digits")
    return bytes.fromhex(value)


def verify_proof(root: bytes, key: bytes, value: bytes | None, proof: Proof) -> None:
    """Raise InvalidProof unless `proof` shows `key -> value` under `root`.

    `value=None` claims that `key` is absent. Trusts nothing but `root`.
    """
    siblings = proof.siblings
    if len(siblings) > MAX_DEPTH or any(len(s) != DIGEST_SIZE for s in siblings):
        raise InvalidProof("malformed proof: bad sibling count or size")
    path = key_path(key)
    leaf = proof.leaf
    if leaf is not None and (
        len(leaf.key_path) != DIGEST_SIZE or len(leaf.value_hash) != DIGEST_SIZE
    ):
        raise InvalidProof("malformed proof: bad leaf size")
    if value is not None:
        if leaf is None or leaf.key_path != path:
            raise InvalidProof("the proof does not end at a leaf for this key")
        if leaf.value_hash != value_hash(value):
            raise InvalidProof("the proof's leaf holds a different value")
    elif leaf is not None:
        if leaf.key_path == path:
            raise InvalidProof("the proof shows the key present, not absent")
        if _common_prefix_bits(leaf.key_path, path) < len(siblings):
            raise InvalidProof("the proof's leaf is not on this key's path")
    current: bytes = ZERO_DIGEST if leaf is None else leaf_hash(leaf.key_path, leaf.value_hash)
    for depth in range(len(siblings) - 1, -1, -1):
        if bit_at(path, depth):
            current = node_hash(siblings[depth], current)
        else:
            current = node_hash(current, siblings[depth])
    if current != root:
        raise InvalidProof("the proof does not lead to the given root")


def _common_prefix_bits(a: bytes, b: bytes) -> int:
    x = int.from_bytes(a, "big") ^ int.from_bytes(b, "big")
    return MAX_DEPTH - x.bit_length()
