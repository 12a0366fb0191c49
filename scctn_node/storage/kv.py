"""A small ordered key-value store interface and its two implementations.

`KVStore` is the only storage interface the node uses: point reads, ordered prefix
iteration, and atomic write batches. `MemoryStore` is a sorted in-memory model (tests,
simulator); `LevelDBStore` is the real thing (plyvel).

Invariants both implementations keep (and `tests/unit/storage/test_kv_contract.py`
checks):

- Keys and values are `bytes`. Keys compare bytewise (LevelDB's default comparator).
- `write(batch)` is atomic: after a crash either every operation of the batch is in
  the store or none is. Within one batch the last operation on a key wins.
- `iterate(prefix)` yields `(key, value)` for keys that start with `prefix`, keys
  including the prefix, in ascending key order (descending with `reverse=True`).
  `start` is an absolute key: forward iteration yields keys `>= start`, reverse
  iteration yields keys `<= start`. An iterator sees the store as it was when it
  yielded its first item (LevelDB's implicit snapshot; the model copies the range).
- After `close()` every call raises `StorageError`.
- `snapshot()` returns a read-only view (`get`, `iterate`) of the store as it was at
  the call, unaffected by later writes, until the snapshot's `close()` (LevelDB's
  `db.snapshot()`; the model copies). Several reads then agree with each other, e.g.
  a state snapshot served chunk by chunk while blocks keep committing.

Errors: `StorageError` (I/O, misuse, database locked) and `StorageCorrupt` (the data
on disk is damaged: halt loudly). They are rooted at `Exception` for now; the node
team re-parents them under `NodeError`.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

__all__ = [
    "KVReader",
    "KVSnapshot",
    "KVStore",
    "LevelDBSnapshot",
    "LevelDBStore",
    "MemorySnapshot",
    "MemoryStore",
    "StorageCorrupt",
    "StorageError",
    "WriteBatch",
    "prefix_upper_bound",
]


class StorageError(Exception):
    """Root of every storage error: the store cannot do what was asked."""

    code = "storage_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StorageCorrupt(StorageError):
    """The stored data is damaged or inconsistent. The node must halt, not guess."""

    code = "storage_corrupt"


class WriteBatch:
    """Operations to apply atomically with `KVStore.write`. Last operation on a key wins.

    A batch is plain data (not tied to a store), so several components can add their
    records to one batch and the caller commits it once.
    """

    __slots__ = ("_ops",)

    def __init__(self) -> None:
        self._ops: dict[bytes, bytes | None] = {}

    def put(self, key: bytes, value: bytes) -> None:
        if type(key) is not bytes or type(value) is not bytes:
            raise TypeError("keys and values must be bytes")
        self._ops[key] = value

    def delete(self, key: bytes) -> None:
        if type(key) is not bytes:
            raise TypeError("keys must be bytes")
        self._ops[key] = None

    def pending(self, key: bytes) -> tuple[bool, bytes | None]:
        """`(True, value)` if the batch writes `key` (value None = delete), else `(False, None)`."""
        if key in self._ops:
            return True, self._ops[key]
        return False, None

    def items(self) -> Iterator[tuple[bytes, bytes | None]]:
        """The operations in the order they were first made; `None` means delete."""
        return iter(list(self._ops.items()))

    def __len__(self) -> int:
        return len(self._ops)

    def clear(self) -> None:
        self._ops.clear()


class KVReader(Protocol):
    """The read half of a store: what a snapshot offers."""

    def get(self, key: bytes) -> bytes | None: ...

    def iterate(
        self, prefix: bytes, *, start: bytes | None = None, reverse: bool = False
    ) -> Iterator[tuple[bytes, bytes]]: ...


class KVSnapshot(KVReader, Protocol):
    """A consistent read-only view of a store at one instant; `close()` releases it."""

    def close(self) -> None: ...


class KVStore(Protocol):
    def get(self, key: bytes) -> bytes | None: ...

    def iterate(
        self, prefix: bytes, *, start: bytes | None = None, reverse: bool = False
    ) -> Iterator[tuple[bytes, bytes]]: ...

    def batch(self) -> WriteBatch: ...

    def write(self, batch: WriteBatch, *, sync: bool = True) -> None: ...

    def close(self) -> None: ...


def prefix_upper_bound(prefix: bytes) -> bytes | None:
    """The smallest key greater than every key starting with `prefix` (None: no bound)."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes((trimmed[-1] + 1,))


# ---------------------------------------------------------------- in-memory model


class MemoryStore:
    """A sorted in-memory store with the same contract as `LevelDBStore`."""

    def __init__(self) -> None:
        self._data: dict[bytes, bytes] = {}
        self._keys: list[bytes] = []  # sorted view of self._data's keys
        self._closed = False

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("the store is closed")

    def get(self, key: bytes) -> bytes | None:
        self._check_open()
        return self._data.get(key)

    def __len__(self) -> int:
        return len(self._data)

    def iterate(
        self, prefix: bytes, *, start: bytes | None = None, reverse: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        self._check_open()
        return self._iterate(prefix, start, reverse)

    def _iterate(
        self, prefix: bytes, start: bytes | None, reverse: bool
    ) -> Iterator[tuple[bytes, bytes]]:
        self._check_open()
        # Copy the range so that writes during iteration do not show (snapshot semantics).
        yield from _sorted_range(self._keys, self._data, prefix, start, reverse)

    def snapshot(self) -> MemorySnapshot:
        """A read-only copy of the store as it is now (see `KVSnapshot`)."""
        self._check_open()
        return MemorySnapshot(dict(self._data), list(self._keys))

    def batch(self) -> WriteBatch:
        self._check_open()
        return WriteBatch()

    def write(self, batch: WriteBatch, *, sync: bool = True) -> None:
        self._check_open()
        data = self._data
        added: list[bytes] = []
        removed: set[bytes] = set()
        for key, value in batch.items():
            if value is None:
                if key in data:
                    del data[key]
                    removed.add(key)
            else:
                if key not in data:
                    if key in removed:
                        removed.discard(key)
                    else:
                        added.append(key)
                data[key] = value
        self._reindex(added, removed)

    def _reindex(self, added: list[bytes], removed: set[bytes]) -> None:
        keys = self._keys
        if len(added) + len(removed) > 64 and len(added) + len(removed) > len(keys) // 32:
            self._keys = sorted(self._data)
            return
        for key in removed:
            i = bisect.bisect_left(keys, key)
            if i < len(keys) and keys[i] == key:
                del keys[i]
        for key in added:
            bisect.insort(keys, key)

    def close(self) -> None:
        self._closed = True


def _range_bounds(
    keys: list[bytes], prefix: bytes, start: bytes | None, reverse: bool
) -> tuple[int, int]:
    """Indexes [lo, hi) of the sorted `keys` that `iterate(prefix, start, reverse)` covers."""
    lo = bisect.bisect_left(keys, prefix)
    upper = prefix_upper_bound(prefix)
    hi = len(keys) if upper is None else bisect.bisect_left(keys, upper)
    if start is not None:
        if reverse:
            hi = min(hi, bisect.bisect_right(keys, start))
        else:
            lo = max(lo, bisect.bisect_left(keys, start))
    return lo, max(lo, hi)


def _sorted_range(
    keys: list[bytes], data: dict[bytes, bytes], prefix: bytes, start: bytes | None, reverse: bool
) -> list[tuple[bytes, bytes]]:
    """The items of `data` (sorted keys `keys`) that `iterate(prefix, start, reverse)` yields."""
    lo, hi = _range_bounds(keys, prefix, start, reverse)
    selected = keys[lo:hi]
    if reverse:
        selected.reverse()
    return [(k, data[k]) for k in selected]


class MemorySnapshot:
    """`MemoryStore.snapshot()`: a private copy, so later writes never show."""

    def __init__(self, data: dict[bytes, bytes], keys: list[bytes]) -> None:
        self._data = data
        self._keys = keys
        self._closed = False

    def __enter__(self) -> MemorySnapshot:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("the snapshot is closed")

    def get(self, key: bytes) -> bytes | None:
        self._check_open()
        return self._data.get(key)

    def iterate(
        self, prefix: bytes, *, start: bytes | None = None, reverse: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        self._check_open()
        return self._iterate(prefix, start, reverse)

    def _iterate(
        self, prefix: bytes, start: bytes | None, reverse: bool
    ) -> Iterator[tuple[bytes, bytes]]:
        # The copy never changes, so the range is walked lazily (no per-call copy).
        keys, data = self._keys, self._data
        lo, hi = _range_bounds(keys, prefix, start, reverse)
        indexes = range(hi - 1, lo - 1, -1) if reverse else range(lo, hi)
        for i in indexes:
            self._check_open()
            yield keys[i], data[keys[i]]

    def close(self) -> None:
        self._closed = True
        self._data = {}
        self._keys = []


# ---------------------------------------------------------------- LevelDB


class LevelDBStore:
    """The node's database: LevelDB through plyvel.

    `create=False` refuses to create a missing database. A database already opened by
    another process (LevelDB's LOCK file) raises `StorageError` with code
    `storage_error` and the sentence "database is in use by another process".
    """

    def __init__(
        self,
        path: str | Path,
        create: bool = True,
        *,
        cache_bytes: int = 64 * 1024 * 1024,
        write_buffer_bytes: int = 16 * 1024 * 1024,
        bloom_filter_bits: int = 10,
    ) -> None:
        import plyvel

        self._plyvel: Any = plyvel
        self.path = Path(path)
        try:
            self._db: Any = plyvel.DB(
                str(self.path),
                create_if_missing=create,
                lru_cache_size=cache_bytes,
                write_buffer_size=write_buffer_bytes,
                bloom_filter_bits=bloom_filter_bits,
            )
        except plyvel.CorruptionError as exc:
            raise StorageCorrupt(f"database at {self.path} is corrupt: {_msg(exc)}") from exc
        except plyvel.IOError as exc:
            text = _msg(exc)
            if "lock" in text.lower():
                raise StorageError(
                    f"database is in use by another process: {self.path} ({text})"
                ) from exc
            raise StorageError(f"cannot open database at {self.path}: {text}") from exc
        except plyvel.Error as exc:
            raise StorageError(f"cannot open database at {self.path}: {_msg(exc)}") from exc

    def __enter__(self) -> LevelDBStore:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._db.closed:
            raise StorageError(f"the database at {self.path} is closed")

    def _wrap(self, exc: Exception, action: str) -> StorageError:
        if isinstance(exc, self._plyvel.CorruptionError):
            return StorageCorrupt(f"{action} in {self.path}: corrupt data: {_msg(exc)}")
        return StorageError(f"{action} in {self.path} failed: {_msg(exc)}")

    def get(self, key: bytes) -> bytes | None:
        self._check_open()
        try:
            value: bytes | None = self._db.get(key)
        except self._plyvel.Error as exc:
            raise self._wrap(exc, "read") from exc
        return value

    def iterate(
        self, prefix: bytes, *, start: bytes | None = None, reverse: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        self._check_open()
        return self._iterate_in(self._db, self._check_open, prefix, start, reverse)

    def snapshot(self) -> LevelDBSnapshot:
        """A consistent read-only view of the database as it is now (plyvel `db.snapshot()`)."""
        self._check_open()
        try:
            snap = self._db.snapshot()
        except self._plyvel.Error as exc:
            raise self._wrap(exc, "snapshot") from exc
        return LevelDBSnapshot(self, snap)

    def _iterate_in(
        self,
        source: Any,
        check: Callable[[], None],
        prefix: bytes,
        start: bytes | None,
        reverse: bool,
    ) -> Iterator[tuple[bytes, bytes]]:
        """`iterate` over `source`: the database itself or one of its snapshots."""
        # plyvel cannot combine `prefix=` with bounds, so the bounds are computed here:
        # keys in [lo, hi) where hi None means "to the end".
        lo = prefix
        hi = prefix_upper_bound(prefix)
        if start is not None:
            if reverse:
                above_start = start + b"\x00"  # the least key greater than `start`
                if hi is None or above_start < hi:
                    hi = above_start
            else:
                lo = max(lo, start)
        if hi is not None and hi <= lo:
            return iter(())
        if reverse:
            return self._iterate_reverse(source, check, lo, hi)
        kwargs: dict[str, Any] = {"start": lo}
        if hi is not None:
            kwargs["stop"] = hi
        return self._iterate_forward(source, check, kwargs)

    def _iterate_forward(
        self, source: Any, check: Callable[[], None], kwargs: dict[str, Any]
    ) -> Iterator[tuple[bytes, bytes]]:
        check()
        try:
            with source.iterator(**kwargs) as it:
                yield from it
        except self._plyvel.Error as exc:
            raise self._wrap(exc, "iteration") from exc
        except RuntimeError as exc:  # plyvel: database closed under a live iterator
            raise StorageError(f"iteration in {self.path} failed: {exc}") from exc

    def _iterate_reverse(
        self, source: Any, check: Callable[[], None], lo: bytes, hi: bytes | None
    ) -> Iterator[tuple[bytes, bytes]]:
        # A raw iterator, because plyvel's bounded reverse iterator drops the result when
        # the only key in range equals `start` (seen with plyvel 1.5.1).
        check()
        try:
            it = source.raw_iterator()
            try:
                if hi is None:
                    it.seek_to_last()
                else:
                    it.seek(hi)
                    if it.valid():
                        it.prev()
                    else:
                        it.seek_to_last()
                while it.valid():
                    key: bytes = it.key()
                    if key < lo:
                        break
                    yield key, it.value()
                    it.prev()
            finally:
                it.close()
        except self._plyvel.Error as exc:
            raise self._wrap(exc, "iteration") from exc
        except RuntimeError as exc:
            raise StorageError(f"iteration in {self.path} failed: {exc}") from exc

    def batch(self) -> WriteBatch:
        self._check_open()
        return WriteBatch()

    def write(self, batch: WriteBatch, *, sync: bool = True) -> None:
        self._check_open()
        try:
            wb = self._db.write_batch(sync=sync)
            for key, value in batch.items():
                if value is None:
                    wb.delete(key)
                else:
                    wb.put(key, value)
            wb.write()
        except self._plyvel.Error as exc:
            raise self._wrap(exc, "write") from exc

    def close(self) -> None:
        if not self._db.closed:
            self._db.close()


class LevelDBSnapshot:
    """`LevelDBStore.snapshot()`: reads see the database as of the snapshot's creation.

    Release it with `close()` (or a `with` block): LevelDB keeps the versions a live
    snapshot can see, so a forgotten snapshot holds disk space.
    """

    def __init__(self, store: LevelDBStore, snap: Any) -> None:
        self._store = store
        self._snap: Any = snap
        self._closed = False

    def __enter__(self) -> LevelDBSnapshot:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError(f"the snapshot of {self._store.path} is closed")
        self._store._check_open()

    def get(self, key: bytes) -> bytes | None:
        self._check_open()
        try:
            value: bytes | None = self._snap.get(key)
        except self._store._plyvel.Error as exc:
            raise self._store._wrap(exc, "snapshot read") from exc
        return value

    def iterate(
        self, prefix: bytes, *, start: bytes | None = None, reverse: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        self._check_open()
        return self._store._iterate_in(self._snap, self._check_open, prefix, start, reverse)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if not self._store._db.closed:
                self._snap.close()


def _msg(exc: BaseException) -> str:
    arg = exc.args[0] if exc.args else exc
    if isinstance(arg, bytes):
        return arg.decode("utf-8", "replace")
    return str(arg)
