"""The authenticated state: a compact binary sparse Merkle tree stored in the KV store.

Theory of operation. The hash definitions are in `storage/proof.py` and
`docs/storage.md`; the design is Diem's: a compact binary sparse Merkle tree, stored
as a Jellyfish Merkle Tree (Gao et al., "Jellyfish Merkle Tree", Diem 2021), i.e.
in records of four binary levels.

- Every state key has a 256-bit path `key_path(key)`. A subtree with no leaf hashes
  to ZERO_DIGEST, a subtree with one leaf is that leaf, any other subtree is a node
  `H(left || right)`. This shape is a function of the set of key paths alone, so the
  root depends only on the set of (key, value) pairs, never on history.
- Storage groups four binary levels into one *page*: the page at nibble depth k
  (binary depth 4k) with path prefix p has sixteen child *slots*, one per next nibble.
  A slot is empty, a leaf (leaf hash, key path, value hash) or a page (its hash). A
  page exists exactly where its subtree holds two or more leaves; it is stored under
  its position (k, p), and the root slot has a record of its own. The page's four
  binary levels are recomputed from its sixteen slots by the compact rule (a pair of
  an empty subtree and a lone leaf is that leaf), so the stored shape does not change
  any hash. An update of n keys touches O(n * depth / 4) records.
- `apply()` sorts the updates by key path and walks down once, splitting the sorted
  range by nibble, so each shared upper page is read, rehashed and written once. An
  empty or leaf slot that receives updates is rebuilt from its (at most one) old leaf
  plus the new ones; a page left with one leaf collapses into that leaf.

Crash contract: `apply()` writes page records and the root record only into the
caller's batch. Until the caller writes that batch, the store still holds the old tree
(reopen -> old root). The tree keeps the changes of `apply()` in a *pending* layer,
visible to `root()` and `prove()` at once. The caller then either calls `committed()`
after writing the batch (the pending layer moves into the bounded page cache) or
`discard()` if it did not write it (the tree returns to the last committed root).
Several applies may be pending at once if their batches are written in order. If
`apply()` raises, its batch must not be written (the tree itself is unchanged).

Cache: pages of the top four nibble levels (at most 4,369) are kept decoded; deeper
pages are kept as their raw records in a segmented LRU of `cache_nodes` pages (at
most 2 KB each, about 1 KB on average).
"""

from __future__ import annotations

import bisect
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Mapping

from primitives.hashing import ZERO_DIGEST, Digest, Tags
from scctn_node.storage.kv import KVStore, StorageCorrupt, WriteBatch
from scctn_node.storage.proof import MAX_DEPTH, Proof, ProofLeaf, key_path, leaf_hash, value_hash
from scctn_node.storage.schema import Prefix

__all__ = ["EMPTY_ROOT", "Proof", "StateTree"]

EMPTY_ROOT = ZERO_DIGEST

# A slot is bytes: kind (1 byte) || hash (32 bytes) [|| key path || value hash, for a
# leaf]. Plain bytes rather than tuples: slicing a record into slots is then one
# allocation per slot, and bytes are invisible to the cyclic garbage collector.
EMPTY, LEAF, NODE = 0, 1, 2
Slot = bytes
# A decoded page is a binary heap of 32 slots: index 1 is the page itself, the
# children of index i are 2i and 2i+1, and 16..31 are the page's sixteen child slots
# (index 0 is unused). Inner entries are kept so that an update rehashes only the
# paths that changed.
Heap = list[Slot]
EMPTY_SLOT: Slot = b"\x00" + ZERO_DIGEST  # stored as the single byte 0x00

FANOUT = 16
LEVELS = 64  # nibble depths 0..63; a page at depth 63 has leaves at binary depth 256
DECODED_LEVELS = 4  # pages at nibble depth < 4 stay decoded in memory
_ROOT_SUFFIX = b"R"  # <prefix>R -> root slot
_PAGE_SUFFIX = b"N"  # <prefix>N<depth:1><path prefix, ceil(depth/2) bytes> -> 16 slots
_MISSING = object()
_CHILDREN = list(range(16, 32))  # heap indexes of a page's child slots
_INNER_ORDER = [*range(8, 16), *range(4, 8), 2, 3, 1]  # inner heap indexes, bottom up
# The position key of the page at nibble depth k: head[k] || top ceil(k/2) path bytes.
_POS_LEN = [(k + 1) >> 1 for k in range(LEVELS)]
_POS_SHIFT = [MAX_DEPTH - 8 * n for n in _POS_LEN]
_NIBBLE_SHIFT = [MAX_DEPTH - 4 * (k + 1) for k in range(LEVELS)]
# digest(STATE_NODE, l || r) with the tag prefix hashed once (tests check it against
# the reference implementation, which uses the documented formula).
_NODE_HASHER = hashlib.sha256(bytes((len(Tags.STATE_NODE),)) + Tags.STATE_NODE)


class StateTree:
    """The state tree over one KV store. See the module docstring for the contract."""

    def __init__(
        self, store: KVStore, *, prefix: bytes = Prefix.STATE_TREE, cache_nodes: int = 100_000
    ) -> None:
        if cache_nodes < 0:
            raise ValueError("cache_nodes must be >= 0")
        self._store = store
        self._root_key = prefix + _ROOT_SUFFIX
        page_prefix = prefix + _PAGE_SUFFIX
        self._heads = [page_prefix + bytes((k,)) for k in range(LEVELS)]
        self._depth_at = len(page_prefix)  # index of the depth byte in a position key
        self._cache_limit = cache_nodes
        self._decoded: dict[bytes, Heap] = {}  # top levels
        self._cache = _SegmentedLRU(cache_nodes)  # deeper pages, raw
        self._pending: dict[bytes, tuple[Heap, bytes] | None] = {}
        self._committed_root = self._load_root()
        self._root = self._committed_root
        # State of the apply in progress.
        self._changes: dict[bytes, tuple[Heap, bytes] | None] = {}
        self._ints: list[int] = []
        self._leaves: list[Slot | None] = []
        self._batch_put: Callable[[bytes, bytes], None] = _no_batch
        self._batch_delete: Callable[[bytes], None] = _no_batch

    # ------------------------------------------------------------ reading

    def root(self) -> Digest:
        return Digest(self._root[1:33])

    def committed_root(self) -> Digest:
        """The root as of the last `committed()` (or as loaded from the store)."""
        return Digest(self._committed_root[1:33])

    def has_pending(self) -> bool:
        return bool(self._pending) or self._root != self._committed_root

    def lookup(self, key: bytes) -> Digest | None:
        """The value hash stored for `key`, or None if absent."""
        proof = self.prove(key)
        if proof.leaf is not None and proof.leaf.key_path == key_path(key):
            return Digest(proof.leaf.value_hash)
        return None

    def prove(self, key: bytes) -> Proof:
        """An inclusion or absence proof for `key` against `root()`."""
        target = int.from_bytes(key_path(key), "big")
        slot = self._root
        siblings: list[bytes] = []
        k = 0
        prefix = 0
        while slot[0] == NODE:
            heap = self._load(self._pos_key(k, prefix), k)
            shift = _NIBBLE_SHIFT[k]
            nibble = (target >> shift) & 15
            i = 1
            for j in range(4):  # binary depth 4k + j, inside this page
                bit = (nibble >> (3 - j)) & 1
                siblings.append(heap[2 * i + 1 - bit][1:33])
                i = 2 * i + bit
                slot = heap[i]
                if slot[0] != NODE:
                    break
            prefix |= nibble << shift
            k += 1
        leaf = None if slot[0] == EMPTY else ProofLeaf(slot[33:65], slot[65:97])
        return Proof(leaf, tuple(siblings))

    # ------------------------------------------------------------ writing

    def apply(self, updates: Mapping[bytes, bytes | None], batch: WriteBatch) -> Digest:
        """Set (or, for None, delete) each key; put the changed records into `batch`.

        Returns the new root, which `root()` reports at once. The store itself is not
        touched: write `batch`, then call `committed()`; or call `discard()`.
        """
        entries = []
        for k, v in updates.items():
            path = key_path(k)
            entries.append((int.from_bytes(path, "big"), path, v))
        if not entries:
            return self.root()
        entries.sort()
        self._ints = [i for i, _, _ in entries]
        self._leaves = [None if v is None else _leaf_slot(p, value_hash(v)) for _, p, v in entries]
        self._changes = {}
        self._batch_put, self._batch_delete = batch.put, batch.delete
        try:
            new_root = self._update(self._root, 0, 0, 0, len(entries))
            self._pending.update(self._changes)
        finally:
            self._ints, self._leaves, self._changes = [], [], {}
            self._batch_put = self._batch_delete = _no_batch
        batch.put(self._root_key, new_root if new_root[0] else b"\x00")
        self._root = new_root
        return self.root()

    def committed(self) -> None:
        """The batches of all pending applies were written: make their changes durable here."""
        decoded, cache, at = self._decoded, self._cache, self._depth_at
        keep = self._cache_limit > 0
        for pos, entry in self._pending.items():
            if entry is None:
                decoded.pop(pos, None)
                cache.pop(pos)
            elif pos[at] < DECODED_LEVELS:
                if keep:
                    decoded[pos] = entry[0]
            else:
                cache.put(pos, entry[1])
        self._pending.clear()
        self._committed_root = self._root

    def discard(self) -> None:
        """Drop the pending applies (their batches were not written)."""
        self._pending.clear()
        self._root = self._committed_root

    def reload(self) -> None:
        """Forget everything in memory and read the root again from the store."""
        self._pending.clear()
        self._decoded.clear()
        self._cache.clear()
        self._committed_root = self._root = self._load_root()

    # ------------------------------------------------------------ the update walk

    def _update(self, slot: Slot, k: int, prefix: int, lo: int, hi: int) -> Slot:
        """New slot for the page position (k, prefix) after updates[lo:hi] (all under it)."""
        if slot[0] != NODE:
            return self._rebuild(slot, k, prefix, lo, hi)
        pos = self._heads[k] + (prefix >> _POS_SHIFT[k]).to_bytes(_POS_LEN[k], "big")
        old = self._load(pos, k)
        heap = list(old)
        changed: list[int] = []
        ints = self._ints
        shift = _NIBBLE_SHIFT[k]
        step = 1 << shift
        i = lo
        while i < hi:
            nibble = (ints[i] >> shift) & 15
            child_prefix = prefix | (nibble << shift)
            j = i + 1 if i + 1 == hi else bisect.bisect_left(ints, child_prefix + step, i + 1, hi)
            heap[16 + nibble] = self._update(old[16 + nibble], k + 1, child_prefix, i, j)
            changed.append(16 + nibble)
            i = j
        _rehash(heap, changed)
        return self._finish(pos, heap)

    def _rebuild(self, slot: Slot, k: int, prefix: int, lo: int, hi: int) -> Slot:
        """An empty or leaf slot receiving updates: it has no stored records below it."""
        ints = self._ints[lo:hi]
        leaves = self._leaves[lo:hi]
        if slot[0] == LEAF:
            old = int.from_bytes(slot[33:65], "big")
            i = bisect.bisect_left(ints, old)
            if i == len(ints) or ints[i] != old:  # the old leaf is not overridden
                ints.insert(i, old)
                leaves.insert(i, slot)
        live = [(n, leaf) for n, leaf in zip(ints, leaves, strict=True) if leaf is not None]
        if len(live) > 1:
            return self._build(k, prefix, live, 0, len(live))
        return live[0][1] if live else EMPTY_SLOT

    def _build(self, k: int, prefix: int, live: list[tuple[int, Slot]], lo: int, hi: int) -> Slot:
        """A fresh page at (k, prefix) over live[lo:hi] (sorted, at least two leaves)."""
        heap = [EMPTY_SLOT] * 32
        shift = _NIBBLE_SHIFT[k]
        step = 1 << shift
        i = lo
        while i < hi:
            nibble = (live[i][0] >> shift) & 15
            child_prefix = prefix | (nibble << shift)
            j = bisect.bisect_left(live, (child_prefix + step,), i + 1, hi)
            if j - i == 1:
                heap[16 + nibble] = live[i][1]
            else:
                heap[16 + nibble] = self._build(k + 1, child_prefix, live, i, j)
            i = j
        _rehash(heap, _CHILDREN)
        pos = self._heads[k] + (prefix >> _POS_SHIFT[k]).to_bytes(_POS_LEN[k], "big")
        return self._finish(pos, heap)

    def _finish(self, pos: bytes, heap: Heap) -> Slot:
        """The slot for page `pos` with this heap; records the change in the batch."""
        top = heap[1]
        if top[0] != NODE:
            # At most one leaf below: no page here (a lone leaf moves up).
            self._changes[pos] = None
            self._batch_delete(pos)
            return top
        raw = _encode_page(heap)
        self._changes[pos] = (heap, raw)
        self._batch_put(pos, raw)
        return top

    # ------------------------------------------------------------ records

    def _pos_key(self, k: int, prefix: int) -> bytes:
        return self._heads[k] + (prefix >> _POS_SHIFT[k]).to_bytes(_POS_LEN[k], "big")

    def _load(self, pos: bytes, k: int) -> Heap:
        entry = self._changes.get(pos, _MISSING)
        if entry is _MISSING:
            entry = self._pending.get(pos, _MISSING)
        if entry is not _MISSING:
            if entry is None:
                raise StorageCorrupt(f"state tree: page at depth {k} was deleted")
            return entry[0]  # type: ignore[index,no-any-return]
        if k < DECODED_LEVELS:
            heap = self._decoded.get(pos)
            if heap is None:
                heap = _decode_page(self._read(pos, k), pos)
                if self._cache_limit:
                    self._decoded[pos] = heap
            return heap
        raw = self._cache.get(pos)
        if raw is None:
            raw = self._read(pos, k)
            self._cache.add(pos, raw)
        return _decode_page(raw, pos)

    def _read(self, pos: bytes, k: int) -> bytes:
        raw = self._store.get(pos)
        if raw is None:
            raise StorageCorrupt(f"state tree: missing page at depth {k} ({pos.hex()})")
        return raw

    def _load_root(self) -> Slot:
        raw = self._store.get(self._root_key)
        if raw is None:
            return EMPTY_SLOT
        return _decode_slot(raw, self._root_key)


# ---------------------------------------------------------------- page cache


class _SegmentedLRU:
    """Raw page records, bounded by count: a segmented LRU (Karedla, Love and Wherry,
    1994). A page read once enters the probation segment; read again, it moves to the
    protected segment. Deep pages, each read rarely, then cycle through probation
    without flushing the upper pages that every apply reads again."""

    def __init__(self, limit: int) -> None:
        self._probation_limit = max(1, limit // 5) if limit else 0
        self._protected_limit = limit - self._probation_limit
        self._probation: OrderedDict[bytes, bytes] = OrderedDict()
        self._protected: OrderedDict[bytes, bytes] = OrderedDict()

    def __len__(self) -> int:
        return len(self._probation) + len(self._protected)

    def get(self, key: bytes) -> bytes | None:
        raw = self._protected.get(key)
        if raw is not None:
            self._protected.move_to_end(key)
            return raw
        raw = self._probation.pop(key, None)
        if raw is not None:
            self._protected[key] = raw
            if len(self._protected) > self._protected_limit:
                self.add(*self._protected.popitem(last=False))
        return raw

    def add(self, key: bytes, raw: bytes) -> None:
        """A page just read from the store (or demoted)."""
        if self._probation_limit:
            self._probation[key] = raw
            if len(self._probation) > self._probation_limit:
                self._probation.popitem(last=False)

    def put(self, key: bytes, raw: bytes) -> None:
        """New committed contents of a page."""
        if key in self._protected:
            self._protected[key] = raw
        elif key in self._probation:
            self._probation[key] = raw
        else:
            self.add(key, raw)

    def pop(self, key: bytes) -> None:
        self._protected.pop(key, None)
        self._probation.pop(key, None)

    def clear(self) -> None:
        self._protected.clear()
        self._probation.clear()


# ---------------------------------------------------------------- page hashing


def _rehash(heap: Heap, changed: list[int]) -> None:
    """Recompute the ancestors of the (ascending) heap indexes `changed`, in place, by
    the compact rule: (empty, lone leaf) is that leaf, two empties are empty, anything
    else is a node."""
    hasher = _NODE_HASHER
    if len(changed) == 1:  # the common case below the top levels: one path
        p = changed[0] >> 1
        while p:
            a = heap[2 * p]
            b = heap[2 * p + 1]
            if a[0] == EMPTY and b[0] != NODE:
                heap[p] = b
            elif b[0] == EMPTY and a[0] != NODE:
                heap[p] = a
            else:
                h = hasher.copy()
                h.update(a[1:33])
                h.update(b[1:33])
                heap[p] = b"\x02" + h.digest()
            p >>= 1
        return
    while changed[0] > 1:
        parents: list[int] = []
        for i in changed:
            p = i >> 1
            if parents and parents[-1] == p:
                continue
            parents.append(p)
            a = heap[2 * p]
            b = heap[2 * p + 1]
            if a[0] == EMPTY and b[0] != NODE:
                heap[p] = b
            elif b[0] == EMPTY and a[0] != NODE:
                heap[p] = a
            else:
                h = hasher.copy()
                h.update(a[1:33])
                h.update(b[1:33])
                heap[p] = b"\x02" + h.digest()
        changed = parents


# ---------------------------------------------------------------- record encoding
#
# slot = 0x00                                            empty
#      | 0x01 || leaf hash || key path || value hash     leaf (97 bytes)
#      | 0x02 || hash                                    page or inner node (33 bytes)
# page record = slot(child 0) || ... || slot(child 15) || inner slots
#   where "inner slots" are the page's inner binary nodes, level by level from the
#   bottom (8, 4, 2, 1 positions, left to right), skipping positions that are empty
#   or a lone leaf (which ones those are follows from the child kinds). The last one
#   is the page's own hash. They spare every read of a page a rehash.
# root record = slot(root)


def _leaf_slot(path: bytes, vhash: bytes) -> Slot:
    return b"\x01" + leaf_hash(path, vhash) + path + vhash


def _no_batch(*args: object) -> None:
    raise RuntimeError("state tree: no apply in progress")


def _decode_slot(raw: bytes, pos: bytes) -> Slot:
    """A whole record holding one slot (the root record)."""
    if raw == b"\x00":
        return EMPTY_SLOT
    if (raw[:1] == b"\x01" and len(raw) == 97) or (raw[:1] == b"\x02" and len(raw) == 33):
        return raw
    raise StorageCorrupt(f"state tree: malformed record at {pos.hex()}")


def _encode_page(heap: Heap) -> bytes:
    parts = [c if c[0] else b"\x00" for c in heap[16:32]]
    parts.extend([heap[i] for i in _INNER_ORDER if heap[i][0] == NODE])
    return b"".join(parts)


def _decode_page(raw: bytes, pos: bytes) -> Heap:
    heap = [EMPTY_SLOT] * 32
    at = 0
    try:
        for c in range(16, 32):
            kind = raw[at]
            if kind == EMPTY:
                at += 1
            elif kind == LEAF:
                heap[c] = raw[at : at + 97]
                at += 97
            elif kind == NODE:
                heap[c] = raw[at : at + 33]
                at += 33
            else:
                raise StorageCorrupt(f"state tree: bad slot kind in record at {pos.hex()}")
        for i in _INNER_ORDER:
            a = heap[2 * i][0]
            b = heap[2 * i + 1][0]
            if a == EMPTY and b != NODE:
                heap[i] = heap[2 * i + 1]
            elif b == EMPTY and a != NODE:
                heap[i] = heap[2 * i]
            elif raw[at] == NODE:
                heap[i] = raw[at : at + 33]
                at += 33
            else:
                raise StorageCorrupt(f"state tree: bad inner hash in record at {pos.hex()}")
    except IndexError:
        raise StorageCorrupt(f"state tree: truncated record at {pos.hex()}") from None
    if at != len(raw) or heap[1][0] != NODE:
        raise StorageCorrupt(f"state tree: malformed record at {pos.hex()}")
    return heap
