"""Crash safety: an install stopped at any write leaves a store that is not initialised
and that the next install (or `discard_interrupted_install`) wipes and completes, ending
byte for byte where an uninterrupted install ends."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from scctn_node.chain.store import ChainStore
from scctn_node.statesync import (
    decode_chunk,
    discard_interrupted_install,
    install_snapshot,
    interrupted_install,
    make_snapshot,
)
from scctn_node.statesync.errors import SnapshotInvalid
from scctn_node.storage.kv import LevelDBStore, MemoryStore, WriteBatch
from tests.unit.statesync.helpers import all_items, build_chain, genesis, state_items

SOURCE = build_chain(MemoryStore())
MANIFEST, CHUNKS = make_snapshot(SOURCE, chunk_bytes=512)
ROOT = SOURCE.state_root


class Crash(Exception):
    """The process died here."""


def clean_install() -> list[tuple[bytes, bytes]]:
    kv = MemoryStore()
    install_snapshot(kv, genesis(), MANIFEST, CHUNKS, expected_root=ROOT, batch_items=1)
    return all_items(kv)


CLEAN = clean_install()


class CrashingStore:
    """A MemoryStore whose write number `crash_at` (0-based) dies before taking effect."""

    def __init__(self, inner: MemoryStore, crash_at: int) -> None:
        self.inner = inner
        self.crash_at = crash_at
        self.writes = 0

    def get(self, key: bytes) -> bytes | None:
        return self.inner.get(key)

    def iterate(
        self, prefix: bytes, *, start: bytes | None = None, reverse: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        return self.inner.iterate(prefix, start=start, reverse=reverse)

    def batch(self) -> WriteBatch:
        return self.inner.batch()

    def write(self, batch: WriteBatch, *, sync: bool = True) -> None:
        if self.writes == self.crash_at:
            raise Crash(f"crash at write {self.writes}")
        self.writes += 1
        self.inner.write(batch, sync=sync)

    def close(self) -> None:
        self.inner.close()


def stop_after(chunks: Sequence[bytes], k: int) -> Iterator[bytes]:
    """The chunks as a download that dies after delivering k of them."""
    yield from chunks[:k]
    raise Crash(f"connection lost after {k} chunks")


def writes_of_a_clean_install() -> int:
    store = CrashingStore(MemoryStore(), crash_at=-1)
    install_snapshot(store, genesis(), MANIFEST, CHUNKS, expected_root=ROOT, batch_items=1)
    return store.writes


@pytest.mark.parametrize("k", [0, 1, 5, len(CHUNKS)])
def test_leveldb_install_stopped_after_k_chunks_restarts_cleanly(k: int, tmp_path: Path) -> None:
    with LevelDBStore(tmp_path / "db") as kv:
        with pytest.raises(Crash):
            install_snapshot(
                kv,
                genesis(),
                MANIFEST,
                stop_after(CHUNKS, k),
                expected_root=ROOT,
                batch_items=1,
            )
    with LevelDBStore(tmp_path / "db") as kv:  # the node restarts
        assert not ChainStore(kv).initialized
        assert interrupted_install(kv)
        # the first k chunks' state is on disk (the crash came after their writes)
        assert len(state_items(kv)) == sum(len(decode_chunk(c)) for c in CHUNKS[:k])
        install_snapshot(kv, genesis(), MANIFEST, CHUNKS, expected_root=ROOT, batch_items=1)
        assert not interrupted_install(kv)
        assert all_items(kv) == CLEAN
    with LevelDBStore(tmp_path / "db") as kv:
        store = ChainStore(kv)
        assert store.height == MANIFEST.height and store.state_root == ROOT
        assert store.last_block_hash == SOURCE.last_block_hash


def test_a_crash_at_any_write_is_recovered_by_the_next_install() -> None:
    total = writes_of_a_clean_install()
    assert total == len(CHUNKS) + 2  # marker, one batch per chunk, final meta
    for n in range(total):
        kv = MemoryStore()
        with pytest.raises(Crash):
            install_snapshot(
                CrashingStore(kv, n),
                genesis(),
                MANIFEST,
                CHUNKS,
                expected_root=ROOT,
                batch_items=1,
            )
        assert not ChainStore(kv).initialized, n
        assert interrupted_install(kv) == (n > 0), n
        install_snapshot(kv, genesis(), MANIFEST, CHUNKS, expected_root=ROOT, batch_items=1)
        assert all_items(kv) == CLEAN, n


def test_a_crash_during_recovery_is_recovered_too() -> None:
    total = writes_of_a_clean_install()
    for first in range(1, total, 3):
        for second in range(total + 6):  # the re-run wipes first: more writes
            kv = MemoryStore()
            with pytest.raises(Crash):
                install_snapshot(
                    CrashingStore(kv, first),
                    genesis(),
                    MANIFEST,
                    CHUNKS,
                    expected_root=ROOT,
                    batch_items=1,
                )
            rerun = CrashingStore(kv, second)
            try:
                install_snapshot(
                    rerun, genesis(), MANIFEST, CHUNKS, expected_root=ROOT, batch_items=1
                )
            except Crash:
                assert not ChainStore(kv).initialized
                install_snapshot(kv, genesis(), MANIFEST, CHUNKS, expected_root=ROOT, batch_items=1)
            else:
                assert second >= rerun.writes  # it finished before the crash point
            assert all_items(kv) == CLEAN, (first, second)


def test_a_crash_while_wiping_a_refused_snapshot_is_recovered() -> None:
    bad = [*CHUNKS[:-1], bytes([CHUNKS[-1][0] ^ 1]) + CHUNKS[-1][1:]]
    counter = CrashingStore(MemoryStore(), crash_at=-1)
    with pytest.raises(SnapshotInvalid):
        install_snapshot(counter, genesis(), MANIFEST, bad, expected_root=ROOT, batch_items=1)
    wipe_starts = len(CHUNKS)  # marker, then one write per good chunk
    assert counter.writes > wipe_starts + 1  # the refusal wiped in several writes
    for crash_at in range(wipe_starts, counter.writes):
        kv = MemoryStore()
        with pytest.raises(Crash):
            install_snapshot(
                CrashingStore(kv, crash_at),
                genesis(),
                MANIFEST,
                bad,
                expected_root=ROOT,
                batch_items=1,
            )
        assert interrupted_install(kv) and not ChainStore(kv).initialized
        install_snapshot(kv, genesis(), MANIFEST, CHUNKS, expected_root=ROOT, batch_items=1)
        assert all_items(kv) == CLEAN
    assert all_items(counter.inner) == []  # without a crash the refusal wipes everything


def test_discard_interrupted_install_empties_the_store(tmp_path: Path) -> None:
    with LevelDBStore(tmp_path / "db") as kv:
        assert not discard_interrupted_install(kv)
        with pytest.raises(Crash):
            install_snapshot(
                kv, genesis(), MANIFEST, stop_after(CHUNKS, 4), expected_root=ROOT, batch_items=1
            )
        assert state_items(kv) and interrupted_install(kv)
        assert discard_interrupted_install(kv)
        assert all_items(kv) == []
        assert not discard_interrupted_install(kv)
        # the emptied store can now start from genesis like any new node
        store = ChainStore(kv)
        store.init_genesis(genesis())
        assert store.height == 0 and store.initialized


def test_discard_leaves_a_finished_install_alone() -> None:
    kv = MemoryStore()
    install_snapshot(kv, genesis(), MANIFEST, CHUNKS, expected_root=ROOT)
    before = all_items(kv)
    assert not discard_interrupted_install(kv)
    assert all_items(kv) == before
