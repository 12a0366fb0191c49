"""The execution driver over a real LevelDB: produce, commit, prove, reopen, restore."""

from __future__ import annotations

from pathlib import Path

import pytest

from consensus import Deliver, Replica, verify_commit_certificate
from consensus.base import Digest
from genesis.document import GenesisDoc
from scctn_node.chain.chain import Chain, Committed
from scctn_node.chain.mempool import MempoolConfig
from scctn_node.chain.store import ChainStore
from scctn_node.errors import MempoolFull, TransactionRejected
from scctn_node.storage import schema
from scctn_node.storage.kv import LevelDBStore
from scctn_node.storage.proof import InvalidProof, verify_proof
from tests.unit.chain.helpers import (
    ALICE,
    BOB,
    VALIDATOR,
    lone_replica,
    one_validator_genesis,
    produce,
)
from vm import codes, ledger
from vm.ops.transfer import Transfer
from vm.state import StateView
from vm.tx import Transaction

CHAIN = "scctn-unit"


def genesis() -> GenesisDoc:
    return one_validator_genesis(CHAIN, 1_000_000)


def open_chain(path: Path, **mempool: int) -> Chain:
    store = ChainStore(LevelDBStore(path))
    return Chain(store, genesis(), VALIDATOR.public.raw, MempoolConfig(**mempool))


_REPLICAS: dict[int, Replica] = {}


def produce_next(chain: Chain, now_ms: int) -> Committed:
    """Propose and commit one block with the chain's lone PBFT replica (one per chain)."""
    if id(chain) not in _REPLICAS:
        _REPLICAS[id(chain)] = lone_replica(chain, VALIDATOR)
    return produce(chain, _REPLICAS[id(chain)], now_ms)


def transfer(nonce: int, amount: int = 10, chain: str = CHAIN) -> bytes:
    tx = Transaction(
        chain,
        ALICE.public.raw,
        nonce,
        100_000,
        10**9,
        "",
        (Transfer("PTS", BOB.address(), amount),),
    )
    return tx.sign(ALICE).encode()


def submit(chain: Chain, raw: bytes) -> bytes:
    stx = chain.mempool.decode(raw)
    return chain.mempool.admit(stx, raw, chain.height + 1).tx_hash


def test_produce_commit_prove_and_reopen(tmp_path: Path) -> None:
    chain = open_chain(tmp_path / "db")
    hashes = [submit(chain, transfer(n)) for n in range(5)]
    committed = produce_next(chain, 1000)
    assert committed is not None and len(committed.block.txs) == 5
    assert all(r.code == codes.OK for r in committed.receipts)
    verify_commit_certificate(committed.certificate, chain.validator_set, CHAIN)
    root = chain.store.state_root
    key = ledger.balance_key(BOB.address(), "PTS")
    value = chain.store.state.get(key)
    verify_proof(root, key, value, chain.store.prove(key))
    with pytest.raises(InvalidProof):
        verify_proof(root, key, b"\x99", chain.store.prove(key))
    absent = ledger.balance_key(BOB.address(), "NOPE")
    verify_proof(root, absent, None, chain.store.prove(absent))
    # the next block carries the previous root and the previous certificate
    second = produce_next(chain, 2000)
    assert second is not None
    assert second.block.header.state_root == root
    assert second.block.last_commit == committed.certificate
    chain.store.kv.close()

    again = open_chain(tmp_path / "db")
    assert again.height == 2 and again.store.state_root == second.state_root
    loc = again.store.locate_tx(hashes[3])
    assert loc is not None and again.store.receipt(loc).ok
    assert ledger.get_balance(StateView(again.store.state), BOB.address(), "PTS") == 50
    again.store.kv.close()


def test_persisted_mempool_survives_restart(tmp_path: Path) -> None:
    chain = open_chain(tmp_path / "db")
    raws = [transfer(n) for n in range(3)]
    hashes = [submit(chain, r) for r in raws]
    chain.store.persist_mempool(chain.mempool.raw(hashes))
    chain.store.kv.close()  # "crash" before any block
    again = open_chain(tmp_path / "db")
    assert again.restore_mempool() == 3
    committed = produce_next(again, 5)
    assert committed is not None and [t.hash for t in committed.block.txs] == hashes
    assert list(again.store.persisted_mempool()) == []
    again.store.kv.close()


def test_admission_errors(tmp_path: Path) -> None:
    chain = open_chain(tmp_path / "db", max_txs=2)
    with pytest.raises(TransactionRejected) as exc:
        submit(chain, transfer(0, chain="elsewhere"))
    assert exc.value.code == codes.WRONG_CHAIN
    with pytest.raises(TransactionRejected) as exc:
        submit(chain, b"\x93\x01")
    assert exc.value.code == codes.BAD_ENCODING
    bad = bytearray(transfer(0))
    bad[-3] ^= 1
    with pytest.raises(TransactionRejected) as exc:
        submit(chain, bytes(bad))
    assert exc.value.code == codes.BAD_SIGNATURE
    h = submit(chain, transfer(0))
    assert chain.mempool.admit(chain.mempool.decode(transfer(0)), transfer(0), 1).known
    assert h in chain.mempool
    submit(chain, transfer(1))
    with pytest.raises(MempoolFull):
        submit(chain, transfer(2))
    with pytest.raises(TransactionRejected) as exc:
        submit(chain, transfer(5000))
    assert exc.value.code == codes.NONCE_TOO_HIGH
    produce_next(chain, 1)
    with pytest.raises(TransactionRejected) as exc:
        submit(chain, transfer(0, amount=11))
    assert exc.value.code == codes.NONCE_TOO_LOW
    assert chain.store.kv.get(schema.meta_key("height")) is not None
    chain.store.kv.close()


def test_nonce_gap_is_refused_so_the_pool_always_drains(tmp_path: Path) -> None:
    chain = open_chain(tmp_path / "db", max_txs=3)
    with pytest.raises(TransactionRejected) as exc:
        submit(chain, transfer(1))  # nonce 0 not yet in
    assert exc.value.code == codes.NONCE_GAP
    for n in range(3):
        submit(chain, transfer(n))
    with pytest.raises(MempoolFull):
        submit(chain, transfer(3))
    committed = produce_next(chain, 1)
    assert len(committed.block.txs) == 3  # everything pooled was executable
    assert chain.mempool.next_nonce(ALICE.address()) == 3
    submit(chain, transfer(3))
    chain.store.kv.close()


def test_admission_between_commit_and_finish_leaves_no_gap(tmp_path: Path) -> None:
    """A commit makes its nonces visible before `finish` takes its transactions out of
    the pool; a transaction admitted in between must still be the next nonce (an earlier
    rule, committed nonce + pending count, admitted one past a gap that nothing could
    fill, and the pool then held transactions no block could take)."""
    chain = open_chain(tmp_path / "db")
    for n in range(3):
        submit(chain, transfer(n))
    replica = lone_replica(chain, VALIDATOR)
    block = chain.build_block(1)
    d = next(e for e in replica.propose(block.encode()) if isinstance(e, Deliver))
    committed = chain.commit(chain.block_for(d.seq, d.payload), d.certificate, d.payload)
    assert chain.committed_nonce(ALICE.address()) == 3  # visible; the pool still holds 0-2
    with pytest.raises(TransactionRejected) as exc:
        submit(chain, transfer(6))
    assert exc.value.code == codes.NONCE_GAP
    submit(chain, transfer(3))
    assert chain.mempool.next_nonce(ALICE.address()) == 4
    chain.finish(committed)
    replica.on_executed(d.seq, Digest(committed.state_root))
    assert [stx.tx.nonce for stx in chain.build_block(2).txs] == [3]
    chain.store.kv.close()
