"""Re-execute a chain from genesis in a fresh in-memory store: every block must carry a
valid PBFT commit certificate for its height, match what `Chain.block_for` accepts for
the certified payload (the same rule every replica applies), and execution must
reproduce the state roots. Used by tests and by operators to audit a node's data."""

from __future__ import annotations

from collections.abc import Iterable

from consensus import verify_commit_certificate
from consensus.base import batch_digest
from consensus.certificates import CommitCertificate
from consensus.errors import InvalidCertificate
from genesis.document import GenesisDoc
from scctn_node.chain.block import FILLER_PROPOSER, Block
from scctn_node.chain.chain import DEFAULT_CONSENSUS, Chain
from scctn_node.chain.mempool import MempoolConfig
from scctn_node.chain.store import ChainStore
from scctn_node.errors import StateCorrupt
from scctn_node.storage.kv import MemoryStore


def replay(
    genesis: GenesisDoc,
    blocks: Iterable[tuple[Block, CommitCertificate]],
    *,
    checkpoint_interval: int = DEFAULT_CONSENSUS.checkpoint_interval,
    window: int = DEFAULT_CONSENSUS.window,
) -> list[bytes]:
    """State roots after each block, in order; raises StateCorrupt at the first mismatch.
    `checkpoint_interval` and `window` must be the network's (they place validator-set
    switches)."""
    chain = Chain(
        ChainStore(MemoryStore()),
        genesis,
        b"\x00" * 32,
        MempoolConfig(),
        checkpoint_interval=checkpoint_interval,
        window=window,
    )
    roots: list[bytes] = []
    for block, cert in blocks:
        h = block.height
        try:
            verify_commit_certificate(cert, chain.epoch_at(h).consensus_set, genesis.chain_id)
        except InvalidCertificate as exc:
            raise StateCorrupt(f"block {h}: {exc}") from exc
        if cert.seq != h:
            raise StateCorrupt(f"block {h} carries the certificate of {cert.seq}")
        filler = block.header.proposer == FILLER_PROPOSER
        payload = None if filler else block.encode()
        if not filler and cert.digest != batch_digest(payload):
            raise StateCorrupt(f"block {h} is not the payload its certificate commits")
        if chain.block_for(h, payload) != block:
            raise StateCorrupt(f"block {h} is not what the committed payload yields")
        roots.append(chain.commit(block, cert).state_root)
    return roots
