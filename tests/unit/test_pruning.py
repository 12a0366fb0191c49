"""Pruning old blocks (scctn_node/pruning.py) on a chain committed in a real LevelDB."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consensus import Replica
from genesis.document import GenesisDoc
from scctn_node.chain.chain import Chain
from scctn_node.chain.mempool import MempoolConfig
from scctn_node.chain.store import ChainStore
from scctn_node.pruning import PruneResult, prune, pruned_below, retain_height
from scctn_node.storage import schema
from scctn_node.storage.kv import KVStore, LevelDBStore, MemoryStore, WriteBatch
from scctn_node.storage.schema import Prefix
from tests.unit.chain.helpers import (
    ALICE,
    BOB,
    VALIDATOR,
    lone_replica,
    one_validator_genesis,
    produce,
)
from vm.ops.transfer import Transfer
from vm.tx import Transaction

CHAIN = "scctn-prune"


def genesis() -> GenesisDoc:
    return one_validator_genesis(CHAIN, 10**9)


def transfer(nonce: int) -> bytes:
    tx = Transaction(
        CHAIN, ALICE.public.raw, nonce, 100_000, 10**9, "", (Transfer("PTS", BOB.address(), 1),)
    )
    return tx.sign(ALICE).encode()


@dataclass
class Built:
    chain: Chain
    replica: Replica
    nonce: int = 0
    txs: dict[int, list[bytes]] = field(default_factory=dict)  # height -> tx hashes
    roots: dict[int, bytes] = field(default_factory=dict)  # height -> state root after it

    @property
    def kv(self) -> KVStore:
        return self.chain.store.kv

    def extend(self, sizes: list[int]) -> None:
        """Commit one block per entry of `sizes`, with that many transfers in it."""
        for n in sizes:
            for _ in range(n):
                raw = transfer(self.nonce)
                self.chain.mempool.admit(self.chain.mempool.decode(raw), raw, self.chain.height + 1)
                self.nonce += 1
            committed = produce(self.chain, self.replica, 1000 + self.chain.height)
            h = committed.block.height
            self.txs[h] = [stx.hash for stx in committed.block.txs]
            self.roots[h] = committed.state_root


def build(kv: KVStore, sizes: list[int]) -> Built:
    chain = Chain(ChainStore(kv), genesis(), VALIDATOR.public.raw, MempoolConfig())
    built = Built(chain, lone_replica(chain, VALIDATOR))
    built.extend(sizes)
    assert built.chain.height == len(sizes)
    return built


# 12 blocks: transactions in most, a few empty ones
SIZES = [3, 0, 5, 2, 4, 0, 1, 6, 2, 0, 3, 2]


def dump(kv: KVStore) -> dict[bytes, bytes]:
    return dict(kv.iterate(b""))


def owned_keys(kv: KVStore, built: Built, h: int) -> set[bytes]:
    """Every key height `h` owns, from what was committed (not from pruning's own logic)."""
    block = built.chain.store.block(h)
    assert block is not None
    keys = {schema.block_key(h), schema.header_hash_key(block.hash)}
    keys |= {schema.tx_index_key(t) for t in built.txs[h]}
    keys |= {schema.receipt_key(h, i) for i in range(len(built.txs[h]))}
    keys |= {schema.meta_key(f"{n}/{h}") for n in ("cert", "digest", "root", "payload")}
    return {k for k in keys if kv.get(k) is not None}


def assert_pruned(built: Built, h: int) -> None:
    store = built.chain.store
    assert store.block(h) is None
    assert store.receipts(h) == []
    assert store.commit_of(h) is None
    assert store.certified_digest(h) is None
    assert store.state_root_at(h) is None
    assert store.original_payload(h) is None
    for tx_hash in built.txs[h]:
        assert store.locate_tx(tx_hash) is None
    assert not list(store.kv.iterate(Prefix.RECEIPT + schema.height_key(h)))


def assert_intact(built: Built, h: int) -> None:
    store = built.chain.store
    block = store.block(h)
    assert block is not None and block.height == h
    assert [t.hash for t in block.txs] == built.txs[h]
    assert store.kv.get(schema.header_hash_key(block.hash)) == schema.height_key(h)
    assert len(store.receipts(h)) == len(built.txs[h])
    for i, tx_hash in enumerate(built.txs[h]):
        loc = store.locate_tx(tx_hash)
        assert loc is not None and (loc.height, loc.index) == (h, i)
        assert store.receipt(loc) == store.receipts(h)[i]
    cert = store.commit_of(h)
    assert cert is not None and int(cert.seq) == h
    assert store.certified_digest(h) == cert.digest
    assert store.state_root_at(h) == built.roots[h]


def test_prune_deletes_exactly_the_history_below_and_keeps_the_rest(tmp_path: Path) -> None:
    built = build(LevelDBStore(tmp_path / "db"), SIZES)
    kv, store = built.kv, built.chain.store
    # a filler's original payload is the one per-height record a normal block lacks
    kv.write(_put(kv, schema.meta_key("payload/3"), b"original payload"))
    before = dump(kv)
    root = store.state_root
    gone = set().union(*(owned_keys(kv, built, h) for h in range(1, 7)))
    assert schema.meta_key("payload/3") in gone

    result = prune(kv, keep_from=7)

    after = dump(kv)
    expected = {k: v for k, v in before.items() if k not in gone}
    expected[schema.meta_key("pruned_below")] = (7).to_bytes(8, "big")
    assert after == expected  # nothing else touched: state, tree, other meta
    assert result == PruneResult(
        start=0,
        pruned_below=7,
        heights=6,
        keys_deleted=len(gone),
        bytes_reclaimed=sum(len(before[k]) for k in gone),
        batches=1,
        compacted=True,
    )
    assert pruned_below(kv) == 7
    for h in range(1, 7):
        assert_pruned(built, h)
    for h in range(7, len(SIZES) + 1):
        assert_intact(built, h)
    assert store.state_root == root == built.roots[len(SIZES)]
    assert store.tree.committed_root() == root
    assert store.height == len(SIZES)

    # the chain goes on: the next block builds on the kept tip and commits
    built.extend([2])
    assert_intact(built, len(SIZES) + 1)


def _put(kv: KVStore, key: bytes, value: bytes) -> WriteBatch:
    batch = kv.batch()
    batch.put(key, value)
    return batch


def test_prune_is_idempotent_and_moves_only_forward(tmp_path: Path) -> None:
    built = build(LevelDBStore(tmp_path / "db"), SIZES)
    kv = built.kv
    prune(kv, keep_from=5)
    once = dump(kv)
    for keep_from in (5, 3, 0):  # again, or lower: nothing to do, nothing written
        result = prune(kv, keep_from=keep_from)
        assert (result.heights, result.keys_deleted, result.batches) == (0, 0, 0)
        assert result.pruned_below == 5
        assert dump(kv) == once
    result = prune(kv, keep_from=9)  # later, further: starts at the marker
    assert (result.start, result.pruned_below, result.heights) == (5, 9, 4)
    for h in range(1, 9):
        assert_pruned(built, h)
    for h in range(9, len(SIZES) + 1):
        assert_intact(built, h)


def test_never_prunes_the_latest_block(tmp_path: Path) -> None:
    built = build(LevelDBStore(tmp_path / "db"), SIZES)
    tip = len(SIZES)
    result = prune(built.kv, keep_from=tip + 100)
    assert result.pruned_below == tip == pruned_below(built.kv)
    for h in range(1, tip):
        assert_pruned(built, h)
    assert_intact(built, tip)
    built.extend([3, 0])  # the next blocks still build on it
    assert_intact(built, tip + 1)
    assert_intact(built, tip + 2)


def test_nothing_to_prune_on_a_fresh_store() -> None:
    kv = MemoryStore()
    assert pruned_below(kv) == 0
    assert prune(kv, keep_from=10) == PruneResult(0, 0, 0, 0, 0, 0, False)
    assert dump(kv) == {}


def test_memory_store_is_pruned_without_compaction() -> None:
    built = build(MemoryStore(), SIZES)
    result = prune(built.kv, keep_from=8)
    assert result.heights == 7 and result.keys_deleted > 0 and not result.compacted
    for h in range(1, 8):
        assert_pruned(built, h)
    for h in range(8, len(SIZES) + 1):
        assert_intact(built, h)


def test_batches_hold_whole_heights_and_advance_the_marker(tmp_path: Path) -> None:
    built = build(LevelDBStore(tmp_path / "db"), SIZES)
    markers: list[int] = []
    # batch_size=1: every height with records fills a batch on its own
    result = prune(built.kv, keep_from=10, batch_size=1, on_batch=markers.append)
    assert markers == list(range(2, 11))
    assert result.batches == 9 and result.pruned_below == 10
    markers.clear()
    sizes = [len(owned_keys(built.kv, built, h)) for h in (10, 11)]
    prune(built.kv, keep_from=12, batch_size=sizes[0] + 1, on_batch=markers.append)
    assert markers == [12]  # height 10 alone is below the bound: one batch for both


class Crash(Exception):
    pass


class CrashAfter:
    """An `on_batch` hook that raises after the k-th batch is written."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.calls = 0

    def __call__(self, marker: int) -> None:
        self.calls += 1
        if self.calls == self.k:
            raise Crash(marker)


def test_a_crash_between_batches_leaves_a_consistent_store_and_resumes(tmp_path: Path) -> None:
    build(LevelDBStore(tmp_path / "db"), SIZES).kv.close()
    shutil.copytree(tmp_path / "db", tmp_path / "reference")
    with LevelDBStore(tmp_path / "reference") as ref:
        prune(ref, keep_from=11)
        expected = dump(ref)

    for k in (1, 3, 6):
        shutil.rmtree(tmp_path / "crashed", ignore_errors=True)
        shutil.copytree(tmp_path / "db", tmp_path / "crashed")
        kv = LevelDBStore(tmp_path / "crashed")
        with pytest.raises(Crash) as crash:
            prune(kv, keep_from=11, batch_size=4, on_batch=CrashAfter(k))
        kv.close()  # what is on disk now is what a restart finds

        marker = crash.value.args[0]
        assert 1 < marker < 11
        reopened = resumed(tmp_path / "crashed", SIZES)
        assert pruned_below(reopened.kv) == marker
        for h in range(1, marker):
            assert_pruned(reopened, h)
        for h in range(marker, len(SIZES) + 1):
            assert_intact(reopened, h)

        result = prune(reopened.kv, keep_from=11, batch_size=4)
        assert (result.start, result.pruned_below) == (marker, 11)
        assert dump(reopened.kv) == expected
        reopened.kv.close()


def resumed(path: Path, sizes: list[int]) -> Built:
    """Reopen a store built by `build(..., sizes)`, with what the test knows of it."""
    source = build(MemoryStore(), sizes)  # same inputs, same (deterministic) chain
    chain = Chain(ChainStore(LevelDBStore(path)), genesis(), VALIDATOR.public.raw, MempoolConfig())
    assert chain.height == len(sizes) and chain.store.state_root == source.chain.store.state_root
    return Built(chain, source.replica, source.nonce, source.txs, source.roots)


def test_compaction_uses_a_store_that_offers_it() -> None:
    calls: list[tuple[bytes, bytes | None]] = []

    class Compacting(MemoryStore):
        def compact_range(self, start: bytes, stop: bytes | None) -> None:
            calls.append((start, stop))

    built = build(Compacting(), SIZES)
    assert prune(built.kv, keep_from=4).compacted
    assert (schema.block_key(0), schema.block_key(4)) in calls
    assert (Prefix.TX_INDEX, b"u") in calls
    # the state and its tree are never compacted by pruning
    assert not any(start.startswith((Prefix.STATE, Prefix.STATE_TREE)) for start, _ in calls)


def db_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.iterdir() if f.is_file())


def test_pruning_and_compaction_shrink_the_database_on_disk(
    tmp_path: Path, shrink_source: Path
) -> None:
    """190 of 200 blocks of 50 transfers pruned: the files shrink. The copy was closed
    and reopened, so the chain's writes are in LevelDB's table files (as on a node that
    has run for a while): the drop comes from pruning and compaction, not a log flush."""
    path = tmp_path / "db"
    shutil.copytree(shrink_source, path)
    with LevelDBStore(path) as kv:
        store = ChainStore(kv)
        root = store.state_root
        before = db_bytes(path)

        result = prune(kv, keep_from=191)

        after = db_bytes(path)
        print(f"200 x 50, reopened: {before:,} -> {after:,} bytes ({result})")
        assert result.heights == 190 and result.compacted
        assert after * 4 < before  # 95% of the blocks went: most of the files too
        assert before - after >= result.bytes_reclaimed // 2  # the space really came back
        assert store.state_root == root == store.state_root_at(200)
        assert store.block(190) is None and store.receipts(190) == []
        for h in (191, 200):
            block = store.block(h)
            assert block is not None and len(block.txs) == 50 == len(store.receipts(h))
            assert store.locate_tx(block.txs[-1].hash) is not None
            assert store.commit_of(h) is not None


def test_pruning_shrinks_a_young_database_whose_writes_are_still_in_the_log(
    tmp_path: Path,
) -> None:
    """The writes being pruned never left LevelDB's memtable: the flush before the
    deletes (`flush_memtable`) is what lets compaction drop them."""
    built = build(LevelDBStore(tmp_path / "db"), [20] * 60)
    before = db_bytes(tmp_path / "db")
    result = prune(built.kv, keep_from=55)
    after = db_bytes(tmp_path / "db")
    print(f"60 x 20, young: {before:,} -> {after:,} bytes ({result})")
    # 54 of 60 blocks went: most of the files must go with them (without the flush
    # they shrank by a third only: 541,290 -> 366,757 bytes)
    assert after * 4 < before
    assert_pruned(built, 54)
    assert_intact(built, 55)


@pytest.fixture(scope="module")
def shrink_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 blocks of 50 transfers (10,000 transactions), built once, closed."""
    path = tmp_path_factory.mktemp("shrink") / "db"
    built = build(LevelDBStore(path), [50] * 200)
    built.kv.close()
    return path


@given(
    current=st.integers(0, 10**9),
    retain=st.integers(0, 10**9),
    checkpoint=st.integers(0, 10**9),
)
def test_retain_height(current: int, retain: int, checkpoint: int) -> None:
    keep_from = retain_height(current, retain, checkpoint)
    assert keep_from >= 0
    if retain == 0:
        assert keep_from == 0  # disabled: prune nothing
        return
    assert keep_from <= checkpoint  # nothing at or above the stable checkpoint
    assert keep_from <= current  # never the latest block
    assert keep_from <= max(0, current - retain + 1)  # the last `retain` blocks are kept
    # and no more than necessary is kept
    assert keep_from == max(0, min(current - retain + 1, checkpoint, current))


@pytest.mark.parametrize(
    ("current", "retain", "checkpoint", "keep_from"),
    [
        (1000, 0, 900, 0),  # disabled
        (1000, 100, 1000, 901),  # blocks 901..1000 kept
        (1000, 100, 800, 800),  # the checkpoint is older: keep from it
        (1000, 1, 1000, 1000),  # only the latest block
        (50, 100, 40, 0),  # fewer blocks than retained
        (1000, 100, 0, 0),  # no stable checkpoint yet
    ],
)
def test_retain_height_examples(current: int, retain: int, checkpoint: int, keep_from: int) -> None:
    assert retain_height(current, retain, checkpoint) == keep_from
