"""A chain state to snapshot, built through `ChainStore` without the execution driver.

`commit()` writes what `ChainStore.commit_block` writes for a block (block, state, tree,
`height`, `last_block_hash`, `root/<h>`), minus the certificate: the certificate types
are being replaced by PBFT's, and state sync depends only on these records.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from genesis.document import GenesisAsset, GenesisBalance, GenesisDoc, GenesisValidator
from primitives.keys import PrivateKey
from scctn_node.chain.block import Block, Header, merkle_root
from scctn_node.chain.store import ChainStore
from scctn_node.storage import schema
from scctn_node.storage.kv import KVStore, LevelDBStore, MemoryStore
from scctn_node.storage.schema import Prefix

VALIDATOR = PrivateKey(b"\x01" * 32)
ALICE = PrivateKey(b"\x02" * 32)
CHAIN = "scctn-statesync"


def genesis(chain_id: str = CHAIN) -> GenesisDoc:
    return GenesisDoc(
        chain_id=chain_id,
        genesis_time_ms=1,
        validators=(GenesisValidator("v0", VALIDATOR.public.raw),),
        assets=(GenesisAsset("PTS", "Points", 0, 10**12, ALICE.address()),),
        balances=(GenesisBalance(ALICE.address(), "PTS", 1_000_000),),
    )


def make_block(store: ChainStore, time_ms: int, chain_id: str | None = None) -> Block:
    header = Header(
        chain_id=store.chain_id() if chain_id is None else chain_id,
        height=store.height + 1,
        prev_hash=store.last_block_hash,
        time_ms=time_ms,
        proposer=VALIDATOR.public.raw,
        txs_root=merkle_root([]),
        state_root=store.state_root,
        validator_set_hash=b"\x07" * 32,
    )
    return Block(header, (), None)


def commit(store: ChainStore, changes: Mapping[bytes, bytes | None], time_ms: int = 0) -> Block:
    """Commit one block carrying `changes` the way ChainStore.commit_block stores it."""
    block = make_block(store, time_ms or 1000 * (store.height + 1))
    h = block.height
    batch = store.kv.batch()
    batch.put(schema.block_key(h), block.encode())
    batch.put(schema.header_hash_key(block.hash), schema.height_key(h))
    for key, value in changes.items():
        if value is None:
            batch.delete(schema.state_key(key))
        else:
            batch.put(schema.state_key(key), value)
    root = store.tree.apply(dict(changes), batch)
    batch.put(schema.meta_key("height"), schema.height_key(h))
    batch.put(schema.meta_key("last_block_hash"), block.hash)
    batch.put(schema.meta_key(f"root/{h}"), root)
    store.kv.write(batch, sync=True)
    store.tree.committed()
    return block


def build_chain(kv: KVStore, blocks: int = 3, keys_per_block: int = 40) -> ChainStore:
    """Genesis plus `blocks` blocks of inserts, updates and deletes."""
    store = ChainStore(kv)
    store.init_genesis(genesis())
    for b in range(blocks):
        changes: dict[bytes, bytes | None] = {
            f"acct/{b}/{i:04d}".encode(): f"value {b} {i}".encode() * (1 + i % 5)
            for i in range(keys_per_block)
        }
        if b:
            changes[f"acct/{b - 1}/0000".encode()] = None  # a delete
            changes[f"acct/{b - 1}/0001".encode()] = b"updated"
        changes[bytes([0, b])] = b""  # binary key, empty value
        commit(store, changes)
    return store


def state_items(kv: KVStore) -> list[tuple[bytes, bytes]]:
    return list(kv.iterate(Prefix.STATE))


def all_items(kv: KVStore) -> list[tuple[bytes, bytes]]:
    return list(kv.iterate(b""))


@contextmanager
def open_kv(kind: str, path: Path) -> Iterator[KVStore]:
    kv: KVStore = MemoryStore() if kind == "memory" else LevelDBStore(path)
    try:
        yield kv
    finally:
        kv.close()
