"""Making a snapshot of the committed state, whole or chunk by chunk.

Design (streaming). `SnapshotSource` takes a read snapshot of the KV store (LevelDB's
`db.snapshot()`), so it serves one consistent state while the node keeps committing
blocks. Opening it walks the state table once, filling chunks greedily up to
`chunk_bytes`, and keeps per chunk only where it starts (first key, item count) and its
digest; the chunks themselves are dropped. `read_chunk(i)` re-reads chunk i from the
snapshot and re-checks its digest. Memory is one chunk plus about 80 bytes per chunk:
a state of 1,000,000 keys (about 150 MB of state, ~600 chunks of 256 KiB) needs well
under 1 MB besides the chunk being built. `make_snapshot` is the same walk keeping every
chunk (tests, tools, small states).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, runtime_checkable

from scctn_node.chain.store import ChainStore
from scctn_node.statesync.errors import Codes, SnapshotError
from scctn_node.statesync.format import (
    DEFAULT_CHUNK_BYTES,
    MAX_CHUNK_BYTES,
    MAX_CHUNK_ITEMS,
    MAX_MANIFEST_BYTES,
    MIN_CHUNK_BYTES,
    SnapshotManifest,
    array_header_size,
    chunk_digest,
    encode_chunk,
    pair_size,
)
from scctn_node.storage import schema
from scctn_node.storage.kv import KVReader, KVSnapshot, StorageCorrupt
from scctn_node.storage.schema import Prefix

__all__ = ["SnapshotSource", "make_snapshot"]


@runtime_checkable
class _Snapshottable(Protocol):
    def snapshot(self) -> KVSnapshot: ...


@dataclass(frozen=True, slots=True)
class _ChunkStart:
    first_key: bytes  # state key (without the table prefix)
    count: int


class _NoSnapshot:
    """A store without `snapshot()`: read it directly (the caller holds commits off)."""

    def __init__(self, reader: KVReader) -> None:
        self.get = reader.get
        self.iterate = reader.iterate

    def close(self) -> None:
        pass


def open_view(kv: KVReader) -> KVSnapshot:
    """A consistent read view of `kv` as it is now (instant for LevelDB)."""
    return _open_view(kv)


def _open_view(kv: KVReader) -> KVSnapshot:
    if isinstance(kv, _Snapshottable):
        return kv.snapshot()
    return _NoSnapshot(kv)


def _check_chunk_bytes(chunk_bytes: int) -> None:
    if not MIN_CHUNK_BYTES <= chunk_bytes <= MAX_CHUNK_BYTES:
        raise ValueError(f"chunk_bytes must be in [{MIN_CHUNK_BYTES}, {MAX_CHUNK_BYTES}]")


def _scan(
    view: KVReader, chunk_bytes: int, sink: Callable[[bytes], None]
) -> tuple[list[_ChunkStart], list[bytes], int]:
    """Chunk the state table greedily; each chunk's bytes go to `sink` once.

    Returns where each chunk starts, each chunk's digest and the total item count.
    """
    skip = len(Prefix.STATE)
    starts: list[_ChunkStart] = []
    digests: list[bytes] = []
    items: list[tuple[bytes, bytes]] = []
    body = 0  # encoded size of `items` without the array header
    total = 0

    def flush() -> None:
        data = encode_chunk(items)
        if len(data) > chunk_bytes:  # pragma: no cover - the size arithmetic is tested
            raise AssertionError("snapshot chunk larger than planned")
        starts.append(_ChunkStart(items[0][0], len(items)))
        digests.append(chunk_digest(data))
        sink(data)

    for full_key, value in view.iterate(Prefix.STATE):
        key = full_key[skip:]
        size = pair_size(key, value)
        if array_header_size(1) + size > chunk_bytes:
            raise SnapshotError(
                f"state item of {size} bytes does not fit a chunk of {chunk_bytes} bytes",
                Codes.TOO_LARGE,
            )
        n = len(items) + 1
        if items and (n > MAX_CHUNK_ITEMS or array_header_size(n) + body + size > chunk_bytes):
            flush()
            items, body = [], 0
        items.append((key, value))
        body += size
        total += 1
    if items:
        flush()
    return starts, digests, total


def _read_tip(view: KVReader) -> tuple[str, int, bytes, bytes]:
    """(chain id, height, state root, encoded block) of the store as `view` sees it."""
    raw_height = view.get(schema.meta_key("height"))
    height = 0 if raw_height is None else int.from_bytes(raw_height, "big")
    if height == 0:
        raise SnapshotError("the store is at genesis: there is no state to sync", Codes.UNAVAILABLE)
    chain_id = view.get(schema.meta_key("chain_id"))
    root = view.get(schema.meta_key(f"root/{height}"))
    block = view.get(schema.block_key(height))
    if chain_id is None or root is None or block is None:
        raise StorageCorrupt(f"the store at height {height} lacks its chain id, root or block")
    return chain_id.decode(), height, root, block


def _build(
    view: KVReader, chunk_bytes: int, sink: Callable[[bytes], None]
) -> tuple[SnapshotManifest, list[_ChunkStart]]:
    _check_chunk_bytes(chunk_bytes)
    chain_id, height, root, block = _read_tip(view)
    starts, digests, total = _scan(view, chunk_bytes, sink)
    manifest = SnapshotManifest(chain_id, height, root, block, chunk_bytes, total, tuple(digests))
    size = len(manifest.encode())
    if size > MAX_MANIFEST_BYTES:
        raise SnapshotError(
            f"the manifest would take {size} bytes (limit {MAX_MANIFEST_BYTES}): use larger chunks",
            Codes.TOO_LARGE,
        )
    return manifest, starts


def make_snapshot(
    store: ChainStore, *, chunk_bytes: int = DEFAULT_CHUNK_BYTES
) -> tuple[SnapshotManifest, list[bytes]]:
    """The manifest and every chunk of the state at the store's current height.

    Holds the whole state in memory (as chunks): for tests, tools and small states; a
    serving node uses `SnapshotSource`.
    """
    chunks: list[bytes] = []
    view = _open_view(store.kv)
    try:
        manifest, _ = _build(view, chunk_bytes, chunks.append)
    finally:
        view.close()
    return manifest, chunks


class SnapshotSource:
    """One snapshot served chunk by chunk from a consistent view of the store.

    Opening it walks the state once (a few seconds per million keys); the view stays
    open (LevelDB keeps what it sees) until `close()`, so keep one source per
    checkpoint and close it when the next one replaces it.
    """

    def __init__(
        self,
        store: ChainStore,
        *,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        view: KVSnapshot | None = None,
    ) -> None:
        # `view`: a consistent view taken earlier (e.g. right after a checkpoint block
        # committed), so the walk can run later without holding commits off
        self._view = _open_view(store.kv) if view is None else view
        try:
            self.manifest, self._starts = _build(self._view, chunk_bytes, _discard)
        except BaseException:
            self._view.close()
            raise

    def __enter__(self) -> SnapshotSource:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def read_chunk(self, index: int) -> bytes:
        """The bytes of chunk `index` (0-based), as the manifest's digest lists them."""
        if not 0 <= index < len(self._starts):
            raise SnapshotError(
                f"chunk {index} is not in a snapshot of {len(self._starts)} chunks",
                Codes.NO_SUCH_CHUNK,
            )
        start = self._starts[index]
        skip = len(Prefix.STATE)
        items: list[tuple[bytes, bytes]] = []
        for key, value in self._view.iterate(Prefix.STATE, start=Prefix.STATE + start.first_key):
            items.append((key[skip:], value))
            if len(items) == start.count:
                break
        data = encode_chunk(items)
        if chunk_digest(data) != self.manifest.chunk_digests[index]:
            raise StorageCorrupt(f"snapshot chunk {index} reads back differently")
        return data

    def close(self) -> None:
        self._view.close()


def _discard(data: bytes) -> None:
    pass
