"""The snapshot contract, checked against both stores: a snapshot is a read-only view of
the store at the instant it was taken, which later writes never change."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scctn_node.storage.kv import KVSnapshot, LevelDBStore, MemoryStore, StorageError


@pytest.fixture(params=["memory", "leveldb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MemoryStore | LevelDBStore]:
    s = MemoryStore() if request.param == "memory" else LevelDBStore(tmp_path / "db")
    yield s
    s.close()


def put_all(store: MemoryStore | LevelDBStore, items: Mapping[bytes, bytes | None]) -> None:
    b = store.batch()
    for k, v in items.items():
        if v is None:
            b.delete(k)
        else:
            b.put(k, v)
    store.write(b)


def test_snapshot_ignores_later_writes(store: MemoryStore | LevelDBStore) -> None:
    put_all(store, {b"a1": b"x", b"a2": b"y", b"b1": b"z"})
    snap = store.snapshot()
    put_all(store, {b"a1": b"changed", b"a2": None, b"a3": b"new", b"b0": b"new"})
    assert snap.get(b"a1") == b"x"
    assert snap.get(b"a2") == b"y"
    assert snap.get(b"a3") is None
    assert list(snap.iterate(b"a")) == [(b"a1", b"x"), (b"a2", b"y")]
    assert list(snap.iterate(b"")) == [(b"a1", b"x"), (b"a2", b"y"), (b"b1", b"z")]
    # the store itself moved on
    assert store.get(b"a1") == b"changed"
    assert [k for k, _ in store.iterate(b"a")] == [b"a1", b"a3"]
    snap.close()


def test_snapshot_iterate_start_and_reverse(store: MemoryStore | LevelDBStore) -> None:
    put_all(store, {b"p" + bytes([i]): bytes([i]) for i in range(10)} | {b"q": b"other"})
    with store.snapshot() as snap:
        put_all(store, {b"p" + bytes([i]): b"late" for i in range(10)})
        assert [v for _, v in snap.iterate(b"p", start=b"p\x07")] == [b"\x07", b"\x08", b"\x09"]
        assert [v for _, v in snap.iterate(b"p", start=b"p\x02", reverse=True)] == [
            b"\x02",
            b"\x01",
            b"\x00",
        ]
        assert [v for _, v in snap.iterate(b"p", reverse=True)][:2] == [b"\x09", b"\x08"]
        assert list(snap.iterate(b"p", start=b"q")) == []


def test_closed_snapshot_refuses_reads(store: MemoryStore | LevelDBStore) -> None:
    put_all(store, {b"k": b"v"})
    snap = store.snapshot()
    snap.close()
    snap.close()  # idempotent
    with pytest.raises(StorageError):
        snap.get(b"k")
    with pytest.raises(StorageError):
        list(snap.iterate(b""))


def test_snapshot_of_a_closed_store_is_refused(store: MemoryStore | LevelDBStore) -> None:
    store.close()
    with pytest.raises(StorageError):
        store.snapshot()


def test_snapshot_outliving_its_leveldb_store_is_refused(tmp_path: Path) -> None:
    store = LevelDBStore(tmp_path / "db")
    put_all(store, {b"k": b"v"})
    snap = store.snapshot()
    store.close()
    with pytest.raises(StorageError):
        snap.get(b"k")
    snap.close()


keys = st.binary(min_size=0, max_size=3)
ops = st.dictionaries(keys, st.one_of(st.none(), st.binary(max_size=3)), max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=ops, after=ops, prefix=st.binary(max_size=1))
def test_snapshots_of_both_stores_agree_with_a_dict(
    tmp_path_factory: pytest.TempPathFactory,
    before: dict[bytes, bytes | None],
    after: dict[bytes, bytes | None],
    prefix: bytes,
) -> None:
    model = {k: v for k, v in before.items() if v is not None}
    expected = sorted((k, v) for k, v in model.items() if k.startswith(prefix))
    path = tmp_path_factory.mktemp("snap") / "db"
    stores: list[MemoryStore | LevelDBStore] = [MemoryStore(), LevelDBStore(path)]
    for s in stores:
        put_all(s, before)
        snap: KVSnapshot = s.snapshot()
        put_all(s, after)
        assert list(snap.iterate(prefix)) == expected
        assert list(snap.iterate(prefix, reverse=True)) == expected[::-1]
        for k in before | after:
            assert snap.get(k) == model.get(k)
        snap.close()
        s.close()
