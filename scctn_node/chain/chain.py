"""The execution driver: build a block from the mempool, execute it in the VM, commit it.

Synchronous and single-threaded by contract: the node calls `produce()` from one place
at a time. Everything it writes goes through `ChainStore.commit_block` in one batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from genesis.document import GenesisDoc
from scctn_node.chain.block import (
    Block,
    CommitCertificate,
    Header,
    ValidatorInfo,
    merkle_root,
    validator_set_hash,
)
from scctn_node.chain.mempool import Mempool, MempoolConfig
from scctn_node.chain.producer import BlockProducer
from scctn_node.chain.store import ChainStore
from scctn_node.errors import NodeError, StateCorrupt
from vm import ledger
from vm.context import BlockContext
from vm.executor import execute_block
from vm.receipt import Receipt
from vm.state import StateView
from vm.tx import SignedTransaction


def validator_infos(doc: GenesisDoc) -> tuple[ValidatorInfo, ...]:
    return tuple(ValidatorInfo(v.name, v.public_key, v.power) for v in doc.validators)


@dataclass(frozen=True, slots=True)
class Committed:
    block: Block
    receipts: list[Receipt]
    certificate: CommitCertificate
    state_root: bytes


class Chain:
    def __init__(
        self,
        store: ChainStore,
        genesis: GenesisDoc,
        producer: BlockProducer,
        proposer_key: bytes,
        mempool_config: MempoolConfig,
    ) -> None:
        store.init_genesis(genesis)
        self.store = store
        self.genesis = genesis
        self.chain_id = genesis.chain_id
        self.producer = producer
        self.proposer_key = proposer_key
        self.validators = validator_infos(genesis)
        self.validator_set_hash = validator_set_hash(self.validators)
        self.mempool = Mempool(
            mempool_config, self.chain_id, self.committed_nonce, self.is_committed
        )
        self._last_time_ms = 0
        last = store.block(store.height)
        if last is not None:
            self._last_time_ms = last.header.time_ms

    def committed_nonce(self, address: bytes) -> int:
        return ledger.get_nonce(StateView(self.store.state), address)

    def is_committed(self, tx_hash: bytes) -> bool:
        return self.store.locate_tx(tx_hash) is not None

    @property
    def height(self) -> int:
        return self.store.height

    def restore_mempool(self) -> int:
        """Re-admit the persisted mempool after a restart (in nonce order per account);
        returns how many came back. Entries that no longer fit (already committed, nonce
        used, expired) are removed from disk."""
        decoded: list[tuple[bytes, int, bytes, SignedTransaction]] = []
        stale: list[bytes] = []
        for raw in self.store.persisted_mempool():
            try:
                stx = self.mempool.decode(raw)
            except NodeError:
                continue  # cannot happen for bytes we admitted; nothing to key it by
            decoded.append((stx.tx.sender_address, stx.tx.nonce, raw, stx))
        decoded.sort(key=lambda item: (item[0], item[1]))
        restored = 0
        for _, _, raw, stx in decoded:
            try:
                admitted = self.mempool.admit(stx, raw, self.height + 1)
            except NodeError:  # no longer admissible (nonce used, expired, gap)
                stale.append(stx.hash)
                continue
            if admitted.known:
                stale.append(stx.hash)
            else:
                restored += 1
        if stale:
            self.store.forget_mempool(stale)
        return restored

    def build_block(self, now_ms: int) -> Block:
        height = self.height + 1
        params = self.genesis.params
        txs = self.mempool.select(params.max_block_txs, params.block_gas_limit, height)
        return self._make_block(height, tuple(txs), now_ms)

    def _make_block(self, height: int, txs: tuple[SignedTransaction, ...], now_ms: int) -> Block:
        time_ms = max(now_ms, self._last_time_ms)
        header = Header(
            chain_id=self.chain_id,
            height=height,
            prev_hash=self.store.last_block_hash,
            time_ms=time_ms,
            proposer=self.proposer_key,
            txs_root=merkle_root([t.hash for t in txs]),
            state_root=self.store.state_root,
            validator_set_hash=self.validator_set_hash,
        )
        return Block(header, txs, self.store.last_commit())

    def execute(self, block: Block) -> tuple[list[Receipt], list[tuple[bytes, bytes | None]]]:
        state = StateView(self.store.state)
        ctx = BlockContext(self.chain_id, block.height, block.header.time_ms)
        receipts = execute_block(state, block.txs, ctx)
        return receipts, state.changes()

    def commit(self, block: Block, certificate: CommitCertificate) -> Committed:
        """Execute and persist a certified block. Touches the store, not the mempool, so
        the node may run it in a worker thread; call `finish()` afterwards."""
        if block.header.prev_hash != self.store.last_block_hash:
            raise StateCorrupt(f"block {block.height} does not extend the committed chain")
        receipts, changes = self.execute(block)
        root = self.store.commit_block(block, receipts, changes, certificate)
        self._last_time_ms = block.header.time_ms
        return Committed(block, receipts, certificate, root)

    def finish(self, committed: Committed) -> list[bytes]:
        """Mempool bookkeeping after a commit; returns the hashes dropped as unincludable."""
        self.mempool.remove_committed(committed.block.txs)
        senders = {stx.tx.sender_address for stx in committed.block.txs}
        dropped = self.mempool.prune(self.height + 1, senders)
        if dropped:
            self.store.forget_mempool(dropped)
        return dropped

    def produce(self, now_ms: int) -> Committed:
        """One round: build, certify, commit (synchronously; tests and tools)."""
        block = self.build_block(now_ms)
        certificate = self.producer.certify(block)
        committed = self.commit(block, certificate)
        self.finish(committed)
        return committed

    def prune_mempool(self) -> list[bytes]:
        """A full sweep for expired transactions (the node runs it now and then)."""
        dropped = self.mempool.prune(self.height + 1)
        if dropped:
            self.store.forget_mempool(dropped)
        return dropped

    def replay_roots(self) -> Sequence[bytes]:
        """State roots recorded per height (for checks and tools)."""
        return [self.store.state_root_at(h) or b"" for h in range(1, self.height + 1)]
