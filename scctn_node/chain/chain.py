"""The execution driver: build block proposals from the mempool, turn what PBFT commits
into blocks deterministically, execute them in the VM and commit them to the store.

Theory of operation. PBFT (consensus/) orders opaque payloads by sequence number; here
a payload is an encoded block and sequence number = block height. Everything that
decides what is written at a height depends only on what PBFT committed and on the
committed chain, so every honest replica writes the same bytes:

- `block_for(seq, digest, payload)` returns the committed block when it decodes and fits
  the committed chain exactly (height = seq, parent hash, parent state root, validator
  set, transactions root, a valid certificate of the parent's committed digest, time not
  going backwards); otherwise, and for a null batch, the *filler*: an empty block built
  only from the committed chain (proposer = zero key, no certificate). A Byzantine
  primary can therefore waste a height, never fork the state.
- `validate(payload)` is the cheap check a backup makes before preparing a proposal:
  decoding, chain id, height not already committed, signatures of transactions it has
  not seen (those in its mempool were checked at admission).

Synchronous by contract: the node calls these from one task at a time; `commit` touches
the store but not the mempool, so it may run in a worker thread (then call `finish`).
"""

from __future__ import annotations

from dataclasses import dataclass

from consensus import ValidatorSet, verify_commit_certificate
from consensus.base import Epoch, batch_digest
from consensus.certificates import CommitCertificate
from consensus.errors import InvalidCertificate
from genesis.document import GenesisDoc
from primitives import codec
from primitives.errors import DecodeError
from scctn_node.chain.block import (
    FILLER_PROPOSER,
    Block,
    Header,
    ValidatorInfo,
    decode_block,
    merkle_root,
    validator_set_hash,
)
from scctn_node.chain.mempool import Mempool, MempoolConfig
from scctn_node.chain.store import ChainStore
from scctn_node.config import ConsensusSection
from scctn_node.errors import NodeError, StateCorrupt
from scctn_node.storage.schema import meta_key
from vm import ledger, validators
from vm import params as vm_params
from vm.context import BlockContext
from vm.executor import execute_block
from vm.receipt import Receipt
from vm.state import StateView
from vm.tx import SignedTransaction

# A VIEW-CHANGE carries every prepared proposal above the stable checkpoint (about one
# checkpoint interval of blocks, plus the one in flight), and a NEW-VIEW gathers 2f+1 of
# them: with 128 KiB blocks and checkpoints every 4 blocks a NEW-VIEW of 4 validators stays
# near 2 MB, under the engine's 4 MiB message limit and the node's 8 MiB p2p limit.
MAX_PROPOSAL_TX_BYTES = 128 * 1024
LONE_TX_BYTES = 1024 * 1024


DEFAULT_CONSENSUS = ConsensusSection()


def validator_infos(doc: GenesisDoc) -> tuple[ValidatorInfo, ...]:
    return tuple(ValidatorInfo(v.name, v.public_key, v.power) for v in doc.validators)


@dataclass(frozen=True, slots=True)
class EpochInfo:
    """Validators that order every height above `start_seq` (until the next epoch)."""

    number: int
    start_seq: int
    validators: tuple[ValidatorInfo, ...]

    @property
    def consensus_set(self) -> ValidatorSet:
        return ValidatorSet(
            epoch=Epoch(self.number), keys=tuple(v.public_key for v in self.validators)
        )

    @property
    def keys(self) -> frozenset[bytes]:
        return frozenset(v.public_key for v in self.validators)

    def to_wire(self) -> list[object]:
        return [self.number, self.start_seq, [[v.name, v.public_key] for v in self.validators]]

    @classmethod
    def from_wire(cls, wire: object) -> EpochInfo:
        f = codec.expect_list(wire, 3, what="epoch")
        members = tuple(
            ValidatorInfo(codec.expect_str(m[0]), codec.expect_bytes(m[1], 32), 1)
            for m in (codec.expect_list(x, 2) for x in codec.expect_seq(f[2]))
        )
        return cls(codec.expect_int(f[0]), codec.expect_int(f[1]), members)


def consensus_validator_set(doc: GenesisDoc) -> ValidatorSet:
    return ValidatorSet(epoch=Epoch(0), keys=tuple(v.public_key for v in doc.validators))


def switch_height(executed_at: int, checkpoint_interval: int, window: int) -> int:
    """The last height the old validators order after a change executed at `executed_at`
    (the consensus engine's boundary: roundup(s, K) + L, see consensus/epochs.py)."""
    return -(-executed_at // checkpoint_interval) * checkpoint_interval + window


@dataclass(frozen=True, slots=True)
class Committed:
    block: Block
    receipts: list[Receipt]
    certificate: CommitCertificate
    state_root: bytes
    scheduled: EpochInfo | None = None  # a validator change executed here takes effect later
    switched: EpochInfo | None = None  # the epoch that orders the heights after this one

    @property
    def filler(self) -> bool:
        return self.block.header.proposer == FILLER_PROPOSER


class Chain:
    def __init__(
        self,
        store: ChainStore,
        genesis: GenesisDoc,
        proposer_key: bytes,
        mempool_config: MempoolConfig,
        *,
        checkpoint_interval: int = DEFAULT_CONSENSUS.checkpoint_interval,
        window: int = DEFAULT_CONSENSUS.window,
    ) -> None:
        store.init_genesis(genesis)
        self.store = store
        self.genesis = genesis
        self.chain_id = genesis.chain_id
        self.proposer_key = proposer_key
        self.checkpoint_interval = checkpoint_interval
        self.window = window
        raw = store.kv.get(meta_key("epochs"))
        self.epochs: list[EpochInfo] = (
            [EpochInfo.from_wire(e) for e in codec.decode(raw)]
            if raw is not None
            else [EpochInfo(0, 0, validator_infos(genesis))]
        )
        self._decoded: dict[bytes, Block] = {}
        self.mempool = Mempool(
            mempool_config, self.chain_id, self.committed_nonce, self.is_committed
        )
        self._refresh_params()

    def _refresh_params(self) -> None:
        """Read the chain parameters the node applies outside execution (block limits,
        mempool gas rules) from the committed state, where governance changes them."""
        state = StateView(self.store.state)
        self.params = vm_params.chain_params(state)
        self.mempool.set_gas_rules(
            vm_params.gas_schedule(state), self.params.tx_base_gas, self.params.max_tx_gas
        )

    # ------------------------------------------------------------- validators
    def epoch_at(self, height: int) -> EpochInfo:
        """The epoch whose validators order `height`."""
        for epoch in reversed(self.epochs):
            if epoch.start_seq < height:
                return epoch
        return self.epochs[0]

    @property
    def current_epoch(self) -> EpochInfo:
        return self.epoch_at(self.height + 1)

    @property
    def validators(self) -> tuple[ValidatorInfo, ...]:
        return self.current_epoch.validators

    @property
    def validator_set(self) -> ValidatorSet:
        return self.current_epoch.consensus_set

    def committed_nonce(self, address: bytes) -> int:
        return ledger.get_nonce(StateView(self.store.state), address)

    def is_committed(self, tx_hash: bytes) -> bool:
        return self.store.locate_tx(tx_hash) is not None

    @property
    def height(self) -> int:
        return self.store.height

    def _last_time_ms(self) -> int:
        last = self.store.block(self.store.height)
        return self.genesis.genesis_time_ms if last is None else last.header.time_ms

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

    # ------------------------------------------------------------- proposing
    def build_block(self, now_ms: int) -> Block:
        """A proposal for the next height from the mempool."""
        height = self.height + 1
        params = self.params
        # a lone validator never sends a view change: only the p2p limit bounds its blocks
        cap = MAX_PROPOSAL_TX_BYTES if len(self.epoch_at(height).validators) > 1 else LONE_TX_BYTES
        txs = tuple(self.mempool.select(params.max_block_txs, params.block_gas_limit, height, cap))
        header = self._header(height, max(now_ms, self._last_time_ms()), self.proposer_key, txs)
        return Block(header, txs, self.store.last_commit())

    def _header(
        self, height: int, time_ms: int, proposer: bytes, txs: tuple[SignedTransaction, ...]
    ) -> Header:
        return Header(
            chain_id=self.chain_id,
            height=height,
            prev_hash=self.store.last_block_hash,
            time_ms=time_ms,
            proposer=proposer,
            txs_root=merkle_root([t.hash for t in txs]),
            state_root=self.store.state_root,
            validator_set_hash=validator_set_hash(self.epoch_at(height).validators),
        )

    def _decode(self, payload: bytes) -> Block:
        """decode_block, remembering the last few (a proposal is validated when it is
        pre-prepared and turned into a block when it is delivered)."""
        key = batch_digest(payload)
        block = self._decoded.get(key)
        if block is None:
            block = decode_block(payload)
            self._decoded[key] = block
            while len(self._decoded) > 8:
                self._decoded.pop(next(iter(self._decoded)))
        return block

    def remember(self, payload: bytes, block: Block) -> None:
        """Our own proposal: no need to decode it again when it is delivered."""
        self._decoded[batch_digest(payload)] = block

    def validate(self, payload: bytes) -> bool:
        """A backup's check of a proposal before it prepares it (see the module doc)."""
        try:
            block = self._decode(payload)
        except DecodeError:
            return False
        h = block.header
        if h.chain_id != self.chain_id or h.height <= self.height:
            return False
        if h.proposer not in self.epoch_at(h.height).keys:
            return False
        return all(t.hash in self.mempool or t.verify_signature() for t in block.txs)

    # ------------------------------------------------------------- committing
    def filler(self, height: int) -> Block:
        return Block(self._header(height, self._last_time_ms(), FILLER_PROPOSER, ()), (), None)

    def block_for(self, seq: int, payload: bytes | None) -> Block:
        """The block to write at `seq` for what PBFT committed there (deterministic)."""
        if payload is None:
            return self.filler(seq)
        try:
            block = self._decode(payload)
        except DecodeError:
            return self.filler(seq)
        return block if self._fits(block, seq) else self.filler(seq)

    def _fits(self, block: Block, seq: int) -> bool:
        h = block.header
        expected = self._header(seq, h.time_ms, h.proposer, block.txs)
        if h != expected or h.time_ms < self._last_time_ms() or h.proposer == FILLER_PROPOSER:
            return False
        if h.proposer not in self.epoch_at(seq).keys:
            return False
        return self._parent_certified(block.last_commit, seq)

    def _parent_certified(self, cert: CommitCertificate | None, seq: int) -> bool:
        if seq == 1:
            return cert is None
        if cert is None or cert.seq != seq - 1:
            return False
        if cert.digest != self.store.certified_digest(seq - 1):
            return False
        try:
            verify_commit_certificate(cert, self.epoch_at(seq - 1).consensus_set, self.chain_id)
        except InvalidCertificate:
            return False
        return True

    def execute(
        self, block: Block
    ) -> tuple[list[Receipt], list[tuple[bytes, bytes | None]], EpochInfo | None, EpochInfo | None]:
        """Receipts, state changes, and the validator-set events of this block: a change
        voted in here is scheduled to switch at `switch_height`; at that height the new
        set takes over (both written to the state deterministically, here)."""
        state = StateView(self.store.state)
        h = block.height
        ctx = BlockContext(self.chain_id, h, block.header.time_ms)
        receipts = execute_block(state, block.txs, ctx)
        scheduled = switched = None
        pending = validators.pending_switch(state)
        members = tuple(
            ValidatorInfo(m.name, m.public_key, 1) for m in validators.get_validators(state)
        )
        last = self.epochs[-1]
        if pending == 0:  # voted in by this block
            at = switch_height(h, self.checkpoint_interval, self.window)
            state.put(validators.PENDING, codec.encode([at]))
            scheduled = EpochInfo(last.number + 1, at, members)
        elif pending == h:
            state.delete(validators.PENDING)
            switched = EpochInfo(last.number + 1, h, members)
        return receipts, state.changes(), scheduled, switched

    def commit(
        self, block: Block, certificate: CommitCertificate, payload: bytes | None = None
    ) -> Committed:
        """Execute and persist a block that `block_for(seq, payload)` returned for a
        committed certificate. Touches the store, not the mempool: may run in a worker
        thread. `payload` is kept only when the block is a filler for a real payload."""
        if block.header.prev_hash != self.store.last_block_hash or block.height != self.height + 1:
            raise StateCorrupt(f"block {block.height} does not extend the committed chain")
        receipts, changes, scheduled, switched = self.execute(block)
        original = payload if block.header.proposer == FILLER_PROPOSER else None
        extra = {}
        if switched is not None:
            extra["epochs"] = codec.encode([e.to_wire() for e in (*self.epochs, switched)])
        root = self.store.commit_block(block, receipts, changes, certificate, original, extra)
        if switched is not None:
            self.epochs.append(switched)
        return Committed(block, receipts, certificate, root, scheduled, switched)

    def finish(self, committed: Committed) -> list[bytes]:
        """Mempool bookkeeping after a commit; returns the hashes dropped as unincludable."""
        self._refresh_params()
        self.mempool.remove_committed(committed.block.txs)
        senders = {stx.tx.sender_address for stx in committed.block.txs}
        dropped = self.mempool.prune(self.height + 1, senders)
        if dropped:
            self.store.forget_mempool(dropped)
        return dropped

    def prune_mempool(self) -> list[bytes]:
        """A full sweep for expired transactions (the node runs it now and then)."""
        dropped = self.mempool.prune(self.height + 1)
        if dropped:
            self.store.forget_mempool(dropped)
        return dropped


def payload_digest(block: Block) -> bytes:
    return batch_digest(block.encode())
