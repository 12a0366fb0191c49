"""A naive state tree, written from the definitions in docs/storage.md with hashlib only,
that rebuilds everything from scratch: the oracle for the real tree."""

from __future__ import annotations

import hashlib

ZERO = b"\x00" * 32


def tagged(tag: bytes, data: bytes) -> bytes:
    return hashlib.sha256(bytes((len(tag),)) + tag + data).digest()


def ref_key_path(key: bytes) -> bytes:
    return tagged(b"scctn/smt-key/v1", key)


def ref_value_hash(value: bytes) -> bytes:
    return tagged(b"scctn/smt-value/v1", value)


def _bit(path: bytes, depth: int) -> int:
    return (path[depth // 8] >> (7 - depth % 8)) & 1


def _subtree(depth: int, leaves: list[tuple[bytes, bytes]]) -> tuple[bytes, int]:
    """(hash, number of nodes) of the subtree holding `leaves` (key path, value hash)."""
    if not leaves:
        return ZERO, 0
    if len(leaves) == 1:
        path, vh = leaves[0]
        return tagged(b"scctn/smt-leaf/v1", path + vh), 0
    left = [leaf for leaf in leaves if _bit(leaf[0], depth) == 0]
    right = [leaf for leaf in leaves if _bit(leaf[0], depth) == 1]
    lh, ln = _subtree(depth + 1, left)
    rh, rn = _subtree(depth + 1, right)
    return tagged(b"scctn/smt-node/v1", lh + rh), ln + rn + 1


def ref_root(state: dict[bytes, bytes]) -> bytes:
    return ref_tree(state)[0]


def ref_tree(state: dict[bytes, bytes]) -> tuple[bytes, int]:
    """(root, number of nodes) of the tree over `state`."""
    return _subtree(0, [(ref_key_path(k), ref_value_hash(v)) for k, v in state.items()])


def ref_page_count(state: dict[bytes, bytes]) -> int:
    """Pages the store must hold: nibble-aligned subtrees with two or more leaves."""
    paths = [int.from_bytes(ref_key_path(k), "big") for k in state]
    total = 0
    for k in range(64):
        counts: dict[int, int] = {}
        for p in paths:
            counts[p >> (256 - 4 * k)] = counts.get(p >> (256 - 4 * k), 0) + 1
        pages = sum(1 for c in counts.values() if c >= 2)
        if not pages:
            break
        total += pages
    return total
