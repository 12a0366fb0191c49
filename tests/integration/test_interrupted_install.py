"""A node whose state-sync install was cut short by a crash starts clean at genesis."""

from __future__ import annotations

from pathlib import Path

from scctn_node.chain.store import ChainStore
from scctn_node.config import load_config
from scctn_node.node import open_chain
from scctn_node.statesync import IN_PROGRESS
from scctn_node.storage import schema
from scctn_node.storage.kv import LevelDBStore, MemoryStore
from tests.integration.conftest import ISSUER, funded_keys, make_home


def test_half_installed_snapshot_is_discarded_at_start(tmp_path: Path) -> None:
    home = make_home(tmp_path, funded_keys(2))
    config = load_config(home, env={})
    config.db_path.parent.mkdir(parents=True)
    kv = LevelDBStore(config.db_path)
    batch = kv.batch()
    batch.put(schema.meta_key(IN_PROGRESS), b"x" * 32)
    batch.put(schema.state_key(b"Bjunk"), b"\x01")  # a chunk written before the crash
    kv.write(batch, sync=True)
    kv.close()

    chain = open_chain(config, ISSUER)
    try:
        assert chain.height == 0
        assert chain.store.state.get(b"Bjunk") is None
        reference = ChainStore(MemoryStore())
        reference.init_genesis(chain.genesis)
        assert chain.store.state_root == reference.state_root
    finally:
        chain.store.kv.close()
