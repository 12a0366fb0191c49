"""Re-execute a chain's blocks from genesis in a fresh in-memory store and check that
every block links to its parent, carries the state root its parent produced, and carries
a valid certificate of its parent. Used by tests and by operators to audit a node."""

from __future__ import annotations

from collections.abc import Iterable

from genesis.document import GenesisDoc
from scctn_node.chain.block import Block, CommitCertificate
from scctn_node.chain.chain import validator_infos
from scctn_node.chain.store import ChainStore
from scctn_node.errors import StateCorrupt
from scctn_node.storage.kv import MemoryStore
from vm.context import BlockContext
from vm.executor import execute_block
from vm.state import StateView


def replay(genesis: GenesisDoc, blocks: Iterable[Block]) -> list[bytes]:
    """State roots after each block, in order; raises StateCorrupt at the first mismatch."""
    store = ChainStore(MemoryStore())
    store.init_genesis(genesis)
    validators = validator_infos(genesis)
    roots: list[bytes] = []
    previous: Block | None = None
    for block in blocks:
        h = block.header
        if h.height != store.height + 1 or h.prev_hash != store.last_block_hash:
            raise StateCorrupt(f"block {h.height} does not extend height {store.height}")
        if h.state_root != store.state_root:
            raise StateCorrupt(f"block {h.height} carries a state root its parent did not produce")
        if previous is not None:
            cert = block.last_commit
            if (
                cert is None
                or cert.block_hash != previous.hash
                or not cert.verify(genesis.chain_id, validators)
            ):
                raise StateCorrupt(f"block {h.height} lacks a valid certificate of its parent")
        state = StateView(store.state)
        receipts = execute_block(
            state, block.txs, BlockContext(genesis.chain_id, h.height, h.time_ms)
        )
        placeholder = CommitCertificate(h.height, block.hash, ())
        roots.append(store.commit_block(block, receipts, state.changes(), placeholder))
        previous = block
    return roots
