"""Pruning of old blocks: delete the history below a height, keep the state.

What one height `h` owns in the store (all written by `ChainStore.commit_block` in one
batch, docs/storage.md): the block `b<h>`, its header-hash entry `h<block hash>`, one
tx-index entry `t<tx hash>` per transaction, its receipts `r<h><i>`, and the meta
records `cert/<h>`, `digest/<h>`, `root/<h>` and (fillers only) `payload/<h>`.
`prune` deletes exactly those for every height below `keep_from`; the state table, the
state tree, the other meta records and the consensus log are never touched.

Invariants:

- Meta `pruned_below` (8-byte big-endian; absent means 0) is the lowest height whose
  records may still exist. Every height below it is gone; every height at or above it
  is intact.
- Each write batch holds the deletes of whole heights `[a, b)` plus `pruned_below = b`,
  so a crash between batches leaves the invariant true, and a rerun starts from the
  marker (resumable, idempotent).
- The latest block is never pruned, whatever `keep_from` says: the chain reads it (its
  time, its certified digest) to build and check the next block.

After the deletes, LevelDB still holds the deleted values until its compaction rewrites
the files that contain them, so `prune` compacts the key ranges it touched (see
`_compact_range` for how it reaches LevelDB without a change to `storage/kv.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from primitives.errors import DecodeError
from scctn_node.chain.block import decode_block
from scctn_node.storage import schema
from scctn_node.storage.kv import KVStore, StorageCorrupt, WriteBatch, prefix_upper_bound
from scctn_node.storage.schema import Prefix

__all__ = ["PruneResult", "prune", "pruned_below", "retain_height"]

PRUNED_BELOW = "pruned_below"  # meta name of the marker
# The per-height meta records ChainStore writes (scctn_node/chain/store.py).
PER_HEIGHT_META = ("cert", "digest", "root", "payload")


@dataclass(frozen=True, slots=True)
class PruneResult:
    """What one `prune` call did."""

    start: int  # the marker when the call began
    pruned_below: int  # the marker when it ended
    heights: int  # heights in [start, pruned_below) that still had records to delete
    keys_deleted: int
    bytes_reclaimed: int  # estimate: the sizes of the deleted values (keys not counted)
    batches: int  # write batches written
    compacted: bool  # whether LevelDB compaction ran over the pruned ranges


def pruned_below(kv: KVStore) -> int:
    """The lowest height that may still have a block (0 when never pruned)."""
    raw = kv.get(schema.meta_key(PRUNED_BELOW))
    return 0 if raw is None else int.from_bytes(raw, "big")


def retain_height(current_height: int, retain_blocks: int, stable_checkpoint: int) -> int:
    """The `keep_from` for `prune`: the last `retain_blocks` blocks are kept, and nothing
    at or above `stable_checkpoint` is ever pruned (a node that installs that checkpoint's
    snapshot needs the checkpoint block and the blocks after it). 0 (prune nothing) when
    `retain_blocks` is 0, i.e. pruning is disabled."""
    if retain_blocks <= 0:
        return 0
    keep_from = min(current_height - retain_blocks + 1, stable_checkpoint, current_height)
    return max(0, keep_from)


def prune(
    kv: KVStore,
    *,
    keep_from: int,
    batch_size: int = 2000,
    compact: bool = True,
    on_batch: Callable[[int], None] | None = None,
) -> PruneResult:
    """Delete every block below `keep_from` with its receipts, tx index, header-hash
    entry and per-height meta; then compact what was deleted.

    `batch_size` bounds the keys deleted per write batch, at height granularity: heights
    are added whole, and a batch is written once it holds `batch_size` keys or more (a
    single block of N transactions is about 2N + 6 keys, so one batch may exceed the
    bound by one block). `on_batch(marker)` is called after each batch is written (progress
    reports; tests raise from it to simulate a crash). Not safe to run twice at once on
    one store; safe to run while blocks commit (they write only heights above the tip).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    start = pruned_below(kv)
    end = min(keep_from, _tip(kv))
    if end <= start:
        return PruneResult(start, start, 0, 0, 0, 0, False)
    first = _first_block_at_or_above(kv, start)
    if compact:
        flush_memtable(kv)
    heights = keys = size = batches = 0
    batch = kv.batch()
    for h in range(max(start, min(first, end)), end):
        deletes = _height_records(kv, h)
        for key, value_size in deletes:
            batch.delete(key)
            size += value_size
        keys += len(deletes)
        heights += 1 if deletes else 0
        if len(batch) >= batch_size and h + 1 < end:
            _write(kv, batch, h + 1, sync=False)
            batches += 1
            if on_batch is not None:
                on_batch(h + 1)
            batch = kv.batch()
    _write(kv, batch, end, sync=True)
    batches += 1
    if on_batch is not None:
        on_batch(end)
    compacted = compact and keys > 0 and compact_pruned(kv, end)
    return PruneResult(start, end, heights, keys, size, batches, compacted)


def _tip(kv: KVStore) -> int:
    raw = kv.get(schema.meta_key("height"))
    return 0 if raw is None else int.from_bytes(raw, "big")


def _first_block_at_or_above(kv: KVStore, height: int) -> int:
    """The lowest block height >= `height` (a large number when there is none). A store
    installed by state sync at h has no blocks below h: this skips that gap at once."""
    for key, _ in kv.iterate(Prefix.BLOCK, start=schema.block_key(height)):
        return int.from_bytes(key[len(Prefix.BLOCK) :], "big")
    return 2**64


def _write(kv: KVStore, batch: WriteBatch, marker: int, *, sync: bool) -> None:
    batch.put(schema.meta_key(PRUNED_BELOW), schema.height_key(marker))
    # Intermediate batches need no fsync: LevelDB replays its log in order, so after a
    # power loss the store holds a prefix of the batches, each whole; the last is synced.
    kv.write(batch, sync=sync)


def _height_records(kv: KVStore, h: int) -> list[tuple[bytes, int]]:
    """The keys height `h` owns that exist, with their value sizes."""
    out: list[tuple[bytes, int]] = []
    raw = kv.get(schema.block_key(h))
    if raw is not None:
        out.append((schema.block_key(h), len(raw)))
        try:
            block = decode_block(raw)
        except DecodeError as exc:
            raise StorageCorrupt(f"the block stored at height {h} does not decode: {exc}") from exc
        if block.height != h:
            raise StorageCorrupt(f"the block stored at height {h} says height {block.height}")
        own = schema.height_key(h)
        entries = [schema.header_hash_key(block.hash)]
        entries += [schema.tx_index_key(stx.hash) for stx in block.txs]
        for key in entries:
            value = kv.get(key)
            # Only an entry that points at this height is this height's (a tx hash is
            # committed once, but a damaged or foreign entry is left alone).
            if value is not None and value[:8] == own:
                out.append((key, len(value)))
    out += [(key, len(value)) for key, value in kv.iterate(Prefix.RECEIPT + schema.height_key(h))]
    for name in PER_HEIGHT_META:
        key = schema.meta_key(f"{name}/{h}")
        value = kv.get(key)
        if value is not None:
            out.append((key, len(value)))
    return out


# ------------------------------------------------------------------ compaction


def compact_pruned(kv: KVStore, end: int) -> bool:
    """Compact the key ranges that pruning below `end` deleted from. Blocks and receipts
    are keyed by height, so only their range below `end` is compacted (from 0, which also
    covers heights an interrupted earlier call deleted but did not compact; a range
    already compacted costs next to nothing). Tx-index and header-hash keys are hashes
    spread over their whole tables, and the per-height meta names are decimal strings, so
    those three tables are compacted whole (cost: a rewrite of the tx index, hence prune
    in large steps, not every block). The state and its tree are never compacted here.
    False when the store has no compaction."""
    ranges = [
        (schema.block_key(0), schema.block_key(end)),
        (Prefix.RECEIPT + schema.height_key(0), Prefix.RECEIPT + schema.height_key(end)),
        *(_table(p) for p in (Prefix.TX_INDEX, Prefix.HEADER_HASH, Prefix.META)),
    ]
    done = False
    for lo, hi in ranges:
        done = _compact_range(kv, lo, hi) or done
    return done


def flush_memtable(kv: KVStore) -> bool:
    """Make LevelDB write its memtable to a table file now, before the deletes.

    Why: a memtable flush writes every entry it holds, shadowed ones included, into one
    new file, and LevelDB may place that file at level 2 when nothing overlaps it. If the
    values being pruned and their delete markers were flushed together that way, no
    later manual compaction would take the file as input (it compacts level L into L+1
    only for the levels above the deepest one holding the range), and the space would
    stay used. Flushing first puts the values in a file of their own; the delete markers
    then land in a file above it, and `compact_pruned` merges the two, dropping both.
    A compaction of the one-key range of the marker is how plyvel triggers the flush.
    """
    key = schema.meta_key(PRUNED_BELOW)
    return _compact_range(kv, key, key)


def _table(prefix: bytes) -> tuple[bytes, bytes | None]:
    return prefix, prefix_upper_bound(prefix)


def _compact_range(kv: KVStore, start: bytes, stop: bytes | None) -> bool:
    """Ask the store to compact keys in [start, stop]; False if it cannot.

    COUPLING, on purpose: `KVStore` has no compaction method and this module may not
    change `storage/kv.py`. A store that has `compact_range(start, stop)` is used as is.
    Otherwise this reaches through `LevelDBStore._db` (the plyvel `DB`) and calls plyvel's
    `DB.compact_range(start=..., stop=...)`, LevelDB's `CompactRange`, which first flushes
    the memtable and then rewrites every level's files overlapping the range, dropping
    deleted entries. Both are looked up with `hasattr`, so a store without them
    (`MemoryStore`: deleting frees the memory at once) is simply skipped. If `kv.py`
    grows a public `compact_range`, this helper keeps working and the `_db` branch can go.
    """
    method: Any = getattr(kv, "compact_range", None)
    if callable(method):
        method(start, stop)
        return True
    db: Any = getattr(kv, "_db", None)
    if db is not None and hasattr(db, "compact_range"):
        db.compact_range(start=start, stop=stop)
        return True
    return False
