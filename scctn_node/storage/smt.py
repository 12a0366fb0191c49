"""The authenticated state: a compact binary sparse Merkle tree stored in the KV store.

Theory of operation (the hash definitions are in `storage/proof.py` and
`docs/storage.md`; the design is Diem's sparse Merkle tree, "Jellyfish Merkle Tree",
Gao et al. 2021, restricted to binary nodes):

- Every state key has a 256-bit path `key_path(key)`. A subtree with no leaf hashes
  to ZERO_DIGEST, a subtree with one leaf is that leaf, any other subtree is a node
  `H(left || right)`. This shape is a function of the set of key paths alone, so the
  root depends only on the set of (key, value) pairs, never on history.
- A *slot* is one child position: empty, a leaf (key path, value hash, leaf hash) or a
  node (hash). Only nodes are stored: one record per node, keyed by its position
  (depth, path bits), holding its two child slots. Leaves live inside their parent's
  record, and the root slot has a record of its own. Hence the store holds a record
  for exactly the current nodes, and an update of k keys touches O(k * depth) records.
- `apply()` sorts the updates by key path and walks down the tree once, splitting the
  sorted range at each depth, so each shared upper node is read and hashed once. An
  empty or leaf slot that receives updates is rebuilt from its (at most one) old leaf
  plus the new ones; a node that ends with one leaf and an empty sibling collapses
  into that leaf.

Crash contract: `apply()` writes node records and the root record only into the
caller's batch. Until the caller writes that batch, the store still holds the old tree
(reopen -> old root). The tree keeps the changes of `apply()` in a *pending* layer,
visible to `root()` and `prove()` at once. The caller then either calls `committed()`
after writing the batch (the pending layer moves into the bounded node cache) or
`discard()` if it did not write it (the tree returns to the last committed root).
Several applies may be pending at once if their batches are written in order.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Mapping

from primitives.hashing import DIGEST_SIZE, ZERO_DIGEST, Digest
from scctn_node.storage.kv import KVStore, StorageCorrupt, WriteBatch
from scctn_node.storage.proof import (
    MAX_DEPTH,
    Proof,
    ProofLeaf,
    key_path,
    leaf_hash,
    node_hash,
    value_hash,
)
from scctn_node.storage.schema import Prefix

__all__ = ["EMPTY_ROOT", "Proof", "StateTree"]

EMPTY_ROOT = ZERO_DIGEST

# A slot: (kind, hash, key path, value hash); key path and value hash only for leaves.
EMPTY, LEAF, NODE = 0, 1, 2
Slot = tuple[int, bytes, bytes, bytes]
Node = tuple[Slot, Slot]
EMPTY_SLOT: Slot = (EMPTY, ZERO_DIGEST, b"", b"")

_ROOT_SUFFIX = b"R"  # <prefix>R -> root slot
_NODE_SUFFIX = b"N"  # <prefix>N<depth:1><path bits, ceil(depth/8) bytes> -> two slots
_TOP = MAX_DEPTH - 1  # bit `d` of a path as an int is (path_int >> (_TOP - d)) & 1
_MISSING = object()


class StateTree:
    """The state tree over one KV store. See the module docstring for the contract."""

    def __init__(
        self, store: KVStore, *, prefix: bytes = Prefix.STATE_TREE, cache_nodes: int = 200_000
    ) -> None:
        if cache_nodes < 0:
            raise ValueError("cache_nodes must be >= 0")
        self._store = store
        self._prefix = prefix
        self._root_key = prefix + _ROOT_SUFFIX
        self._node_prefix = prefix + _NODE_SUFFIX
        self._cache_limit = cache_nodes
        self._cache: OrderedDict[bytes, Node] = OrderedDict()
        self._pending: dict[bytes, Node | None] = {}
        self._committed_root = self._load_root()
        self._root = self._committed_root
        # Scratch arrays of the apply in progress (key path ints, key paths, value hashes).
        self._ints: list[int] = []
        self._paths: list[bytes] = []
        self._vhashes: list[bytes | None] = []
        self._batch: WriteBatch | None = None

    # ------------------------------------------------------------ reading

    def root(self) -> Digest:
        return Digest(self._root[1])

    def committed_root(self) -> Digest:
        """The root as of the last `committed()` (or as loaded from the store)."""
        return Digest(self._committed_root[1])

    def has_pending(self) -> bool:
        return self._root is not self._committed_root or bool(self._pending)

    def lookup(self, key: bytes) -> Digest | None:
        """The value hash stored for `key`, or None if absent."""
        proof = self.prove(key)
        if proof.leaf is not None and proof.leaf.key_path == key_path(key):
            return Digest(proof.leaf.value_hash)
        return None

    def prove(self, key: bytes) -> Proof:
        """An inclusion or absence proof for `key` against `root()`."""
        path = key_path(key)
        target = int.from_bytes(path, "big")
        slot = self._root
        siblings: list[bytes] = []
        depth = 0
        prefix = 0
        while slot[0] == NODE:
            left, right = self._load(depth, prefix)
            if (target >> (_TOP - depth)) & 1:
                siblings.append(left[1])
                slot = right
                prefix |= 1 << (_TOP - depth)
            else:
                siblings.append(right[1])
                slot = left
            depth += 1
        leaf = None if slot[0] == EMPTY else ProofLeaf(slot[2], slot[3])
        return Proof(leaf, tuple(siblings))

    # ------------------------------------------------------------ writing

    def apply(self, updates: Mapping[bytes, bytes | None], batch: WriteBatch) -> Digest:
        """Set (or, for None, delete) each key; put the changed records into `batch`.

        Returns the new root, which `root()` reports at once. The store itself is not
        touched: write `batch`, then call `committed()`; or call `discard()`.
        """
        entries = sorted(
            (key_path(k), None if v is None else value_hash(v)) for k, v in updates.items()
        )
        if not entries:
            return self.root()
        self._paths = [p for p, _ in entries]
        self._vhashes = [vh for _, vh in entries]
        self._ints = [int.from_bytes(p, "big") for p in self._paths]
        self._batch = batch
        try:
            new_root = self._update(self._root, 0, 0, 0, len(entries))
        finally:
            self._ints, self._paths, self._vhashes, self._batch = [], [], [], None
        batch.put(self._root_key, _encode_slot(new_root))
        self._root = new_root
        return self.root()

    def committed(self) -> None:
        """The batches of all pending applies were written: make their changes durable here."""
        cache = self._cache
        for pos, node in self._pending.items():
            if node is None:
                cache.pop(pos, None)
            else:
                cache[pos] = node
                cache.move_to_end(pos)
        self._pending.clear()
        self._trim_cache()
        self._committed_root = self._root

    def discard(self) -> None:
        """Drop the pending applies (their batches were not written)."""
        self._pending.clear()
        self._root = self._committed_root

    def reload(self) -> None:
        """Forget everything in memory and read the root again from the store."""
        self._pending.clear()
        self._cache.clear()
        self._committed_root = self._root = self._load_root()

    # ------------------------------------------------------------ the update walk

    def _update(self, slot: Slot, depth: int, prefix: int, lo: int, hi: int) -> Slot:
        """New slot at (depth, prefix) after applying updates[lo:hi] (all under it)."""
        if slot[0] != NODE:
            return self._rebuild(slot, depth, prefix, lo, hi)
        left, right = self._load(depth, prefix)
        right_prefix = prefix | (1 << (_TOP - depth))
        mid = bisect.bisect_left(self._ints, right_prefix, lo, hi)
        if mid > lo:
            left = self._update(left, depth + 1, prefix, lo, mid)
        if hi > mid:
            right = self._update(right, depth + 1, right_prefix, mid, hi)
        return self._join(depth, prefix, left, right)

    def _rebuild(self, slot: Slot, depth: int, prefix: int, lo: int, hi: int) -> Slot:
        """An empty or leaf slot receiving updates: it has no stored records below it."""
        ints = self._ints[lo:hi]
        paths = self._paths[lo:hi]
        vhashes = self._vhashes[lo:hi]
        if slot[0] == LEAF:
            old_int = int.from_bytes(slot[2], "big")
            i = bisect.bisect_left(ints, old_int)
            if i == len(ints) or ints[i] != old_int:  # not overridden by an update
                ints.insert(i, old_int)
                paths.insert(i, slot[2])
                vhashes.insert(i, slot[3])
        live = [i for i, vh in enumerate(vhashes) if vh is not None]
        if len(live) == 1:
            i = live[0]
            vh = vhashes[i]
            assert vh is not None
            return (LEAF, leaf_hash(paths[i], vh), paths[i], vh)
        if not live:
            return EMPTY_SLOT
        leaves = [(ints[i], paths[i], vhashes[i]) for i in live]
        return self._build(depth, prefix, leaves, 0, len(leaves))

    def _build(
        self,
        depth: int,
        prefix: int,
        leaves: list[tuple[int, bytes, bytes | None]],
        lo: int,
        hi: int,
    ) -> Slot:
        """A fresh subtree over leaves[lo:hi] (sorted, distinct, no deletions)."""
        if hi - lo == 0:
            return EMPTY_SLOT
        if hi - lo == 1:
            _, path, vh = leaves[lo]
            assert vh is not None
            return (LEAF, leaf_hash(path, vh), path, vh)
        right_prefix = prefix | (1 << (_TOP - depth))
        mid = bisect.bisect_left(leaves, (right_prefix,), lo, hi)
        left = self._build(depth + 1, prefix, leaves, lo, mid)
        right = self._build(depth + 1, right_prefix, leaves, mid, hi)
        return self._join(depth, prefix, left, right)

    def _join(self, depth: int, prefix: int, left: Slot, right: Slot) -> Slot:
        """The slot at (depth, prefix) with these children; records the change."""
        pos = self._pos_key(depth, prefix)
        batch = self._batch
        assert batch is not None
        if (left[0] == EMPTY and right[0] != NODE) or (right[0] == EMPTY and left[0] != NODE):
            # Zero or one leaf below: no node here (a lone leaf moves up).
            self._pending[pos] = None
            batch.delete(pos)
            return right if left[0] == EMPTY else left
        self._pending[pos] = (left, right)
        batch.put(pos, _encode_slot(left) + _encode_slot(right))
        return (NODE, node_hash(left[1], right[1]), b"", b"")

    # ------------------------------------------------------------ records

    def _pos_key(self, depth: int, prefix: int) -> bytes:
        return (
            self._node_prefix
            + bytes((depth,))
            + prefix.to_bytes(DIGEST_SIZE, "big")[: (depth + 7) >> 3]
        )

    def _load(self, depth: int, prefix: int) -> Node:
        pos = self._pos_key(depth, prefix)
        pending = self._pending.get(pos, _MISSING)
        if pending is not _MISSING:
            if pending is None:
                raise StorageCorrupt(f"state tree: node at depth {depth} was deleted")
            return pending  # type: ignore[return-value]
        cache = self._cache
        node = cache.get(pos)
        if node is not None:
            cache.move_to_end(pos)
            return node
        raw = self._store.get(pos)
        if raw is None:
            raise StorageCorrupt(f"state tree: missing node at depth {depth} ({pos.hex()})")
        node = _decode_node(raw, pos)
        if self._cache_limit:
            cache[pos] = node
            if len(cache) > self._cache_limit:
                cache.popitem(last=False)
        return node

    def _load_root(self) -> Slot:
        raw = self._store.get(self._root_key)
        if raw is None:
            return EMPTY_SLOT
        slot, end = _decode_slot(raw, 0, self._root_key)
        if end != len(raw):
            raise StorageCorrupt("state tree: trailing bytes in the root record")
        return slot

    def _trim_cache(self) -> None:
        cache = self._cache
        while len(cache) > self._cache_limit:
            cache.popitem(last=False)


# ---------------------------------------------------------------- record encoding
#
# slot  = 0x00                                    empty
#       | 0x01 || leaf hash || key path || value hash   leaf (97 bytes)
#       | 0x02 || node hash                        node (33 bytes)
# node record = slot(left) || slot(right);  root record = slot(root)


def _encode_slot(slot: Slot) -> bytes:
    kind = slot[0]
    if kind == EMPTY:
        return b"\x00"
    if kind == LEAF:
        return b"\x01" + slot[1] + slot[2] + slot[3]
    return b"\x02" + slot[1]


def _decode_slot(raw: bytes, at: int, pos: bytes) -> tuple[Slot, int]:
    if at >= len(raw):
        raise StorageCorrupt(f"state tree: truncated record at {pos.hex()}")
    kind = raw[at]
    if kind == EMPTY:
        return EMPTY_SLOT, at + 1
    if kind == LEAF and at + 1 + 3 * DIGEST_SIZE <= len(raw):
        h = raw[at + 1 : at + 33]
        return (LEAF, h, raw[at + 33 : at + 65], raw[at + 65 : at + 97]), at + 97
    if kind == NODE and at + 1 + DIGEST_SIZE <= len(raw):
        return (NODE, raw[at + 1 : at + 33], b"", b""), at + 33
    raise StorageCorrupt(f"state tree: malformed record at {pos.hex()}")


def _decode_node(raw: bytes, pos: bytes) -> Node:
    left, at = _decode_slot(raw, 0, pos)
    right, end = _decode_slot(raw, at, pos)
    if end != len(raw):
        raise StorageCorrupt(f"state tree: trailing bytes in record at {pos.hex()}")
    return left, right
