"""The chain store: committed blocks, receipts, the tx index, state and the state tree,
all in one key-value store (LevelDB in production).

Invariant: a block, its receipts, its tx index entries, its state writes, the state-tree
nodes, the removal of its transactions from the persisted mempool and the new `height`
meta record are written in ONE synced batch. After a crash the store is exactly at the
last committed block.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from consensus.certificates import CommitCertificate
from genesis.document import GenesisDoc
from genesis.state import genesis_state
from primitives import codec
from primitives.hashing import Digest
from scctn_node.chain.block import Block, Header, decode_block
from scctn_node.errors import StateCorrupt
from scctn_node.storage import schema
from scctn_node.storage.kv import KVStore, WriteBatch
from scctn_node.storage.schema import Prefix
from scctn_node.storage.smt import Proof, StateTree
from vm.receipt import Receipt
from vm.tables import ASSET as ASSET_TABLE


@dataclass(frozen=True, slots=True)
class TxLocation:
    height: int
    index: int


class StoreState:
    """The committed state as a `vm.state.StateReader`."""

    __slots__ = ("_kv",)

    def __init__(self, kv: KVStore) -> None:
        self._kv = kv

    def get(self, key: bytes) -> bytes | None:
        return self._kv.get(schema.state_key(key))


class ChainStore:
    def __init__(self, kv: KVStore) -> None:
        self.kv = kv
        self.tree = StateTree(kv)
        self.state = StoreState(kv)

    # ------------------------------------------------------------------ meta
    def _meta(self, name: str) -> bytes | None:
        return self.kv.get(schema.meta_key(name))

    @property
    def initialized(self) -> bool:
        return self._meta("genesis_hash") is not None

    @property
    def height(self) -> int:
        raw = self._meta("height")
        return 0 if raw is None else int.from_bytes(raw, "big")

    @property
    def genesis_hash(self) -> bytes:
        raw = self._meta("genesis_hash")
        if raw is None:
            raise StateCorrupt("the store has no genesis")
        return raw

    @property
    def last_block_hash(self) -> bytes:
        raw = self._meta("last_block_hash")
        return self.genesis_hash if raw is None else raw

    @property
    def state_root(self) -> Digest:
        return self.tree.root()

    def init_genesis(self, doc: GenesisDoc) -> None:
        """Write the genesis state once; on an existing store check it is the same chain."""
        if self.initialized:
            if self.genesis_hash != doc.hash():
                raise StateCorrupt("the data directory belongs to a different genesis")
            return
        batch = self.kv.batch()
        changes = genesis_state(doc)
        self._write_state(changes, batch)
        self._record_assets(changes, 0, batch)
        self.tree.apply(dict(changes), batch)
        batch.put(schema.meta_key("genesis_hash"), doc.hash())
        batch.put(schema.meta_key("chain_id"), doc.chain_id.encode())
        batch.put(schema.meta_key("height"), schema.height_key(0))
        self._write_with_tree(batch)

    def _write_state(
        self, changes: Sequence[tuple[bytes, bytes | None]], batch: WriteBatch
    ) -> None:
        for key, value in changes:
            if value is None:
                batch.delete(schema.state_key(key))
            else:
                batch.put(schema.state_key(key), value)

    @staticmethod
    def _record_assets(
        changes: Sequence[tuple[bytes, bytes | None]], height: int, batch: WriteBatch
    ) -> None:
        """Keep each point type's record (its liability counters) as of every block that
        changed it, so the liability can be read at any height."""
        for key, value in changes:
            if key[:1] == ASSET_TABLE and value is not None:
                batch.put(schema.asset_history_key(key[1:], height), value)

    def asset_at(self, symbol: str, height: int) -> bytes | None:
        """A point type's record as it was after block `height` (None if it did not exist
        then, or this node has no history that far back: state sync starts it later)."""
        prefix = schema.Prefix.ASSET_HISTORY + symbol.encode() + b"\x00"
        for _, value in self.kv.iterate(
            prefix, start=schema.asset_history_key(symbol.encode(), height), reverse=True
        ):
            return value
        return None

    # ---------------------------------------------------------------- commit
    def commit_block(
        self,
        block: Block,
        receipts: Sequence[Receipt],
        changes: Sequence[tuple[bytes, bytes | None]],
        certificate: CommitCertificate,
        original_payload: bytes | None = None,
        extra_meta: dict[str, bytes] | None = None,
    ) -> Digest:
        """Persist a committed, executed block atomically; returns the new state root."""
        if block.height != self.height + 1:
            raise StateCorrupt(f"block {block.height} does not follow {self.height}")
        if len(receipts) != len(block.txs):
            raise StateCorrupt("receipts do not line up with transactions")
        batch = self.kv.batch()
        h = block.height
        batch.put(schema.block_key(h), block.encode())
        batch.put(schema.header_hash_key(block.hash), schema.height_key(h))
        for i, (stx, receipt) in enumerate(zip(block.txs, receipts, strict=True)):
            batch.put(schema.tx_index_key(stx.hash), schema.height_key(h) + i.to_bytes(4, "big"))
            batch.put(schema.receipt_key(h, i), receipt.encode())
            batch.delete(schema.mempool_key(stx.hash))
        self._write_state(changes, batch)
        self._record_assets(changes, h, batch)
        root = self.tree.apply(dict(changes), batch)
        batch.put(schema.meta_key("height"), schema.height_key(h))
        batch.put(schema.meta_key("last_block_hash"), block.hash)
        encoded_cert = codec.encode(certificate.to_wire())
        batch.put(schema.meta_key("last_commit"), encoded_cert)
        batch.put(schema.meta_key(f"cert/{h}"), encoded_cert)
        batch.put(schema.meta_key(f"digest/{h}"), certificate.digest)
        if original_payload is not None:  # a filler written for a payload that did not fit
            batch.put(schema.meta_key(f"payload/{h}"), original_payload)
        for name, value in (extra_meta or {}).items():
            batch.put(schema.meta_key(name), value)
        batch.put(schema.meta_key(f"root/{h}"), root)
        self._write_with_tree(batch)
        return root

    def _write_with_tree(self, batch: WriteBatch) -> None:
        """Write a batch that carries tree changes; keep the tree's memory in step."""
        try:
            self.kv.write(batch, sync=True)
        except BaseException:
            self.tree.discard()
            raise
        self.tree.committed()

    # ----------------------------------------------------------------- reads
    def block(self, height: int) -> Block | None:
        raw = self.kv.get(schema.block_key(height))
        return None if raw is None else decode_block(raw)

    def header(self, height: int) -> Header | None:
        block = self.block(height)
        return None if block is None else block.header

    def state_root_at(self, height: int) -> bytes | None:
        """State root after executing block `height` (0 = genesis)."""
        if height == 0:
            block1 = self.block(1)
            if block1 is not None:
                return block1.header.state_root
            return self.tree.root() if self.height == 0 else None
        return self._meta(f"root/{height}")

    def locate_tx(self, tx_hash: bytes) -> TxLocation | None:
        raw = self.kv.get(schema.tx_index_key(tx_hash))
        if raw is None:
            return None
        return TxLocation(int.from_bytes(raw[:8], "big"), int.from_bytes(raw[8:], "big"))

    def receipt(self, loc: TxLocation) -> Receipt:
        raw = self.kv.get(schema.receipt_key(loc.height, loc.index))
        if raw is None:
            raise StateCorrupt(f"receipt {loc.height}/{loc.index} missing")
        return Receipt.decode(raw)

    def receipts(self, height: int) -> list[Receipt]:
        prefix = Prefix.RECEIPT + schema.height_key(height)
        return [Receipt.decode(v) for _, v in self.kv.iterate(prefix)]

    def state_items(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        full = schema.state_key(prefix)
        for key, value in self.kv.iterate(full):
            yield key[len(Prefix.STATE) :], value

    def prove(self, key: bytes) -> Proof:
        return self.tree.prove(key)

    # --------------------------------------------------------------- mempool
    def persisted_mempool(self) -> Iterator[bytes]:
        for _, value in self.kv.iterate(Prefix.MEMPOOL):
            yield value

    def persist_mempool(self, txs: Sequence[tuple[bytes, bytes]]) -> None:
        batch = self.kv.batch()
        for tx_hash, raw in txs:
            batch.put(schema.mempool_key(tx_hash), raw)
        self.kv.write(batch, sync=True)

    def forget_mempool(self, tx_hashes: Sequence[bytes]) -> None:
        batch = self.kv.batch()
        for tx_hash in tx_hashes:
            batch.delete(schema.mempool_key(tx_hash))
        self.kv.write(batch, sync=False)

    def last_commit(self) -> CommitCertificate | None:
        raw = self._meta("last_commit")
        return None if raw is None else CommitCertificate.from_wire(codec.decode(raw))

    def adopt_certificate(self, certificate: CommitCertificate) -> None:
        """After a state-sync install at `certificate.seq`: record the tip's certificate,
        as `commit_block` would have."""
        encoded = codec.encode(certificate.to_wire())
        batch = self.kv.batch()
        batch.put(schema.meta_key("last_commit"), encoded)
        batch.put(schema.meta_key(f"cert/{certificate.seq}"), encoded)
        batch.put(schema.meta_key(f"digest/{certificate.seq}"), certificate.digest)
        self.kv.write(batch, sync=True)

    def original_payload(self, height: int) -> bytes | None:
        """For a filler height: the committed payload that did not fit (None: null batch)."""
        return self._meta(f"payload/{height}")

    def certified_digest(self, height: int) -> bytes | None:
        """The digest PBFT committed at `height` (of the block's bytes, or the null batch)."""
        return self._meta(f"digest/{height}")

    def commit_of(self, height: int) -> CommitCertificate | None:
        """The PBFT commit certificate this node holds for block `height` (every block
        has one, fillers included; the next block may carry another valid one)."""
        raw = self._meta(f"cert/{height}")
        return None if raw is None else CommitCertificate.from_wire(codec.decode(raw))

    def chain_id(self) -> str:
        raw = self._meta("chain_id")
        if raw is None:
            raise StateCorrupt("the store has no chain id")
        return raw.decode()
