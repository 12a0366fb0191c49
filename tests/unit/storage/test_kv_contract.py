"""The storage contract, checked against both stores: `MemoryStore` is the model,
`LevelDBStore` the real thing, and every test here must pass for both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from scctn_node.storage.kv import (
    KVStore,
    LevelDBStore,
    MemoryStore,
    StorageError,
    WriteBatch,
    prefix_upper_bound,
)

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(params=["memory", "leveldb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KVStore]:
    s: KVStore = MemoryStore() if request.param == "memory" else LevelDBStore(tmp_path / "db")
    yield s
    s.close()


def put_all(store: KVStore, items: dict[bytes, bytes]) -> None:
    b = store.batch()
    for k, v in items.items():
        b.put(k, v)
    store.write(b)


# ---------------------------------------------------------------- point operations


def test_get_missing_is_none(store: KVStore) -> None:
    assert store.get(b"nope") is None


def test_put_get_overwrite_delete(store: KVStore) -> None:
    put_all(store, {b"k": b"v1", b"": b"empty key", b"z": b""})
    assert store.get(b"k") == b"v1"
    assert store.get(b"") == b"empty key"
    assert store.get(b"z") == b""  # empty value is a value, not a deletion
    put_all(store, {b"k": b"v2"})
    assert store.get(b"k") == b"v2"
    b = store.batch()
    b.delete(b"k")
    b.delete(b"never-existed")
    store.write(b)
    assert store.get(b"k") is None
    assert store.get(b"z") == b""


def test_batch_last_operation_wins(store: KVStore) -> None:
    b = store.batch()
    b.put(b"a", b"1")
    b.delete(b"a")
    b.put(b"b", b"1")
    b.put(b"b", b"2")
    b.put(b"c", b"1")
    b.delete(b"c")
    b.put(b"c", b"3")
    store.write(b)
    assert store.get(b"a") is None
    assert store.get(b"b") == b"2"
    assert store.get(b"c") == b"3"


def test_unwritten_batch_has_no_effect(store: KVStore) -> None:
    put_all(store, {b"a": b"old"})
    b = store.batch()
    b.put(b"a", b"new")
    b.put(b"b", b"new")
    assert store.get(b"a") == b"old"
    assert store.get(b"b") is None
    assert list(store.iterate(b"")) == [(b"a", b"old")]


def test_batch_rejects_non_bytes() -> None:
    b = WriteBatch()
    with pytest.raises(TypeError):
        b.put("k", b"v")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        b.put(b"k", bytearray(b"v"))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        b.delete(None)  # type: ignore[arg-type]
    assert len(b) == 0


def test_batch_pending_view() -> None:
    b = WriteBatch()
    b.put(b"a", b"1")
    b.delete(b"b")
    assert b.pending(b"a") == (True, b"1")
    assert b.pending(b"b") == (True, None)
    assert b.pending(b"c") == (False, None)
    assert len(b) == 2


def test_one_batch_can_be_written_to_either_store(tmp_path: Path) -> None:
    b = WriteBatch()
    b.put(b"x", b"1")
    with MemoryStore() as m, LevelDBStore(tmp_path / "db") as d:
        m.write(b)
        d.write(b)
        assert m.get(b"x") == d.get(b"x") == b"1"


# ---------------------------------------------------------------- iteration

EDGE_KEYS = [
    b"a",
    b"a\x00",
    b"a\xff",
    b"a\xff\xff",
    b"ab",
    b"abc",
    b"b",
    b"b\x00",
    b"\xff",
    b"\xff\xff",
    b"\xff\xff\x01",
    b"",
    b"`",
]


def keys_of(it: Iterator[tuple[bytes, bytes]]) -> list[bytes]:
    return [k for k, _ in it]


def expected(prefix: bytes, start: bytes | None = None, reverse: bool = False) -> list[bytes]:
    ks = sorted(k for k in EDGE_KEYS if k.startswith(prefix))
    if start is not None:
        ks = [k for k in ks if (k <= start if reverse else k >= start)]
    return ks[::-1] if reverse else ks


@pytest.fixture
def filled(store: KVStore) -> KVStore:
    put_all(store, {k: b"v" + k for k in EDGE_KEYS})
    return store


@pytest.mark.parametrize("prefix", [b"", b"a", b"a\xff", b"ab", b"b", b"\xff", b"\xff\xff", b"c"])
@pytest.mark.parametrize("reverse", [False, True])
def test_prefix_iteration_order_and_bounds(filled: KVStore, prefix: bytes, reverse: bool) -> None:
    got = list(filled.iterate(prefix, reverse=reverse))
    assert keys_of(iter(got)) == expected(prefix, reverse=reverse)
    assert all(v == b"v" + k for k, v in got)


@pytest.mark.parametrize(
    ("prefix", "start"),
    [
        (b"a", b"a"),
        (b"a", b"a\x00"),
        (b"a", b"a\x01"),
        (b"a", b"ab"),
        (b"a", b"abz"),
        (b"a", b"b"),  # past the prefix range
        (b"a", b"Z"),  # before the prefix range
        (b"", b"b"),
        (b"\xff", b"\xff\xff"),
        (b"\xff", b"\xff\xff\xff"),
    ],
)
@pytest.mark.parametrize("reverse", [False, True])
def test_iteration_from_start(filled: KVStore, prefix: bytes, start: bytes, reverse: bool) -> None:
    got = keys_of(filled.iterate(prefix, start=start, reverse=reverse))
    assert got == expected(prefix, start, reverse)


def test_iteration_of_empty_store(store: KVStore) -> None:
    assert list(store.iterate(b"")) == []
    assert list(store.iterate(b"a", reverse=True)) == []
    assert list(store.iterate(b"a", start=b"a", reverse=True)) == []


def test_iterator_sees_a_snapshot(filled: KVStore) -> None:
    it = filled.iterate(b"a")
    first = next(it)
    put_all(filled, {b"aa": b"new", b"abc": b"changed"})
    b = filled.batch()
    b.delete(b"ab")
    filled.write(b)
    rest = list(it)
    assert [first, *rest] == [(k, b"v" + k) for k in expected(b"a")]


def test_height_keys_iterate_in_numeric_order(store: KVStore) -> None:
    heights = [0, 1, 255, 256, 65_536, 2**40]
    put_all(store, {b"b" + h.to_bytes(8, "big"): str(h).encode() for h in heights})
    assert [int(v) for _, v in store.iterate(b"b")] == heights
    assert [int(v) for _, v in store.iterate(b"b", reverse=True)] == heights[::-1]
    last = next(store.iterate(b"b", start=b"b" + (300).to_bytes(8, "big"), reverse=True))
    assert int(last[1]) == 256


def test_prefix_upper_bound() -> None:
    assert prefix_upper_bound(b"a") == b"b"
    assert prefix_upper_bound(b"a\xff") == b"b"
    assert prefix_upper_bound(b"a\x00") == b"a\x01"
    assert prefix_upper_bound(b"\xff\xff") is None
    assert prefix_upper_bound(b"") is None


# ---------------------------------------------------------------- lifecycle and errors


def test_closed_store_raises(store: KVStore) -> None:
    store.close()
    with pytest.raises(StorageError):
        store.get(b"a")
    with pytest.raises(StorageError):
        store.write(WriteBatch())
    with pytest.raises(StorageError):
        list(store.iterate(b""))
    store.close()  # idempotent


def test_leveldb_persists_across_reopen(tmp_path: Path) -> None:
    with LevelDBStore(tmp_path / "db") as s:
        put_all(s, {b"k": b"v"})
    with LevelDBStore(tmp_path / "db", create=False) as s:
        assert s.get(b"k") == b"v"


def test_leveldb_missing_database_without_create(tmp_path: Path) -> None:
    with pytest.raises(StorageError) as info:
        LevelDBStore(tmp_path / "missing", create=False)
    assert info.value.code == "storage_error"
    assert "cannot open" in str(info.value)


def test_leveldb_locked_in_this_process(tmp_path: Path) -> None:
    with LevelDBStore(tmp_path / "db"), pytest.raises(StorageError) as info:
        LevelDBStore(tmp_path / "db")
    assert "database is in use by another process" in str(info.value)
    assert info.value.code == "storage_error"


def test_leveldb_locked_by_another_process(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        from scctn_node.storage.kv import LevelDBStore, StorageError
        try:
            LevelDBStore({str(tmp_path / "db")!r})
        except StorageError as exc:
            print(exc.code, "|", exc)
        """
    )
    with LevelDBStore(tmp_path / "db"):
        out = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=60
        )
    assert out.stdout.startswith("storage_error | database is in use by another process"), (
        out.stdout + out.stderr
    )


WRITER = """
import sys
from scctn_node.storage.kv import LevelDBStore
db = LevelDBStore(sys.argv[1])
n = 0
print("ready", flush=True)
while True:
    n += 1
    b = db.batch()
    value = n.to_bytes(8, "big")
    for i in range(200):
        b.put(b"k%03d" % i, value)
    db.write(b, sync=False)
"""


def test_leveldb_batch_is_atomic_under_kill(tmp_path: Path) -> None:
    # A writer rewrites 200 keys per batch with one counter value; killed at an
    # arbitrary moment, the database must hold 200 equal values (never a mix).
    path = tmp_path / "db"
    for delay in (0.05, 0.2):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], cwd=REPO, stdout=subprocess.PIPE
        )
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline() == b"ready\n"
            time.sleep(delay)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            if proc.stdout is not None:
                proc.stdout.close()
        with LevelDBStore(path) as s:
            values = {v for _, v in s.iterate(b"k")}
            assert len(list(s.iterate(b"k"))) == 200
            assert len(values) == 1


# ---------------------------------------------------------------- property: store == dict

KEY = st.lists(st.sampled_from([0x00, 0x01, 0x61, 0x7F, 0xFF]), max_size=4).map(bytes)
VALUE = st.binary(max_size=8)


class StoreMachine(RuleBasedStateMachine):
    """Random batches of puts and deletes, reads and iterations; compared to a dict."""

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[bytes, bytes] = {}
        self.pending: WriteBatch | None = None
        self.pending_model: dict[bytes, bytes | None] = {}
        self.store = self.open()

    def open(self) -> KVStore:
        raise NotImplementedError

    @rule(ops=st.lists(st.tuples(KEY, st.none() | VALUE), max_size=8))
    def write_batch(self, ops: list[tuple[bytes, bytes | None]]) -> None:
        b = self.store.batch()
        for k, v in ops:
            if v is None:
                b.delete(k)
                self.model.pop(k, None)
            else:
                b.put(k, v)
                self.model[k] = v
        self.store.write(b, sync=False)

    @rule(ops=st.lists(st.tuples(KEY, st.none() | VALUE), max_size=4))
    def abandon_batch(self, ops: list[tuple[bytes, bytes | None]]) -> None:
        b = self.store.batch()
        for k, v in ops:
            if v is None:
                b.delete(k)
            else:
                b.put(k, v)
        # never written: the store must not change

    @rule(key=KEY)
    def get(self, key: bytes) -> None:
        assert self.store.get(key) == self.model.get(key)

    @rule(prefix=KEY, start=st.none() | KEY, reverse=st.booleans())
    def iterate(self, prefix: bytes, start: bytes | None, reverse: bool) -> None:
        ks = sorted(k for k in self.model if k.startswith(prefix))
        if start is not None:
            ks = [k for k in ks if (k <= start if reverse else k >= start)]
        if reverse:
            ks.reverse()
        got = list(self.store.iterate(prefix, start=start, reverse=reverse))
        assert got == [(k, self.model[k]) for k in ks]

    @precondition(lambda self: isinstance(self.store, LevelDBStore))
    @rule()
    def reopen(self) -> None:
        assert isinstance(self.store, LevelDBStore)
        path = self.store.path
        self.store.close()
        self.store = LevelDBStore(path, create=False)

    @invariant()
    def same_contents(self) -> None:
        assert dict(self.store.iterate(b"")) == self.model

    def teardown(self) -> None:
        self.store.close()


class LevelDBMachine(StoreMachine):
    def open(self) -> KVStore:
        self.tmp = tempfile.TemporaryDirectory()
        return LevelDBStore(Path(self.tmp.name) / "db")

    def teardown(self) -> None:
        super().teardown()
        self.tmp.cleanup()


class MemoryMachine(StoreMachine):
    def open(self) -> KVStore:
        return MemoryStore()


MACHINE_SETTINGS = settings(
    max_examples=40,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLevelDBBehavesLikeADict = LevelDBMachine.TestCase
TestLevelDBBehavesLikeADict.settings = MACHINE_SETTINGS
TestMemoryStoreBehavesLikeADict = MemoryMachine.TestCase
TestMemoryStoreBehavesLikeADict.settings = MACHINE_SETTINGS
