"""A node catching up by block sync while its replica delivers: the two commit paths of
the consensus driver (`_commit_synced` for synced blocks, `_deliver` for blocks ordered
by consensus) run in separate tasks and both wait on the commit lock, which API readers
also hold. Whichever gets the lock second must see the height already taken and step
aside, not commit it again (which raised StateCorrupt and took the node down)."""

from __future__ import annotations

import trio
import trio.testing

from consensus import Deliver
from consensus.base import Digest, Seq, batch_digest
from consensus.certificates import CommitCertificate
from scctn_node.chain.chain import Chain, Committed
from scctn_node.chain.mempool import MempoolConfig
from scctn_node.chain.store import ChainStore
from scctn_node.config import ConsensusSection
from scctn_node.consensus_driver import ConsensusDriver, NoTransport, _commit_synced
from scctn_node.storage.kv import MemoryStore
from tests.unit.chain.helpers import VALIDATOR, lone_replica, one_validator_genesis, produce

CHAIN = "scctn-race"


def certified_blocks(count: int) -> tuple[list[tuple[bytes, CommitCertificate]], bytes]:
    """(payload, certificate) of heights 1..count, as a peer would serve them, and the
    state root after the last."""
    source = new_chain()
    replica = lone_replica(source, VALIDATOR)
    out = []
    for i in range(count):
        committed = produce(source, replica, 1000 + i)
        out.append((committed.block.encode(), committed.certificate))
    return out, source.store.state_root


def new_chain() -> Chain:
    genesis = one_validator_genesis(CHAIN, 10**9)
    return Chain(ChainStore(MemoryStore()), genesis, VALIDATOR.public.raw, MempoolConfig())


async def new_driver(commits: list[int]) -> ConsensusDriver:
    chain = new_chain()

    async def on_commit(committed: Committed, seconds: float) -> None:
        commits.append(committed.block.height)

    driver = ConsensusDriver(
        chain,
        VALIDATOR,
        ConsensusSection(),
        NoTransport(),
        block_interval_ms=100,
        empty_block_interval_ms=500,
        on_commit=on_commit,
        commit_lock=trio.Lock(),
    )
    driver.replica = None  # only the commit paths are under test, not the engine
    return driver


def deliver(payload: bytes, cert: CommitCertificate) -> Deliver:
    return Deliver(Seq(cert.seq), Digest(batch_digest(payload)), payload, cert)


def test_sync_and_consensus_racing_for_one_height_commit_it_once() -> None:
    blocks, root = certified_blocks(3)

    async def main(sync_first: bool) -> None:
        commits: list[int] = []
        driver = await new_driver(commits)
        payload, cert = blocks[0]
        results: dict[str, object] = {}

        async def synced() -> None:
            results["sync"] = await _commit_synced(driver, payload, cert)

        async def delivered() -> None:
            results["deliver"] = await driver._deliver(deliver(payload, cert))

        async with trio.open_nursery() as nursery:
            await driver.commit_lock.acquire()  # an API reader holds it: both queue up
            first, second = (synced, delivered) if sync_first else (delivered, synced)
            nursery.start_soon(first)
            await trio.testing.wait_all_tasks_blocked()
            nursery.start_soon(second)
            await trio.testing.wait_all_tasks_blocked()
            driver.commit_lock.release()
        assert driver.chain.height == 1 and commits == [1]
        # the loser stepped aside without committing: sync reports no block, deliver no effect
        assert (results["sync"] is None) != sync_first
        assert results["deliver"] == []
        # and both paths go on from there
        payload2, cert2 = blocks[1]
        assert await _commit_synced(driver, payload2, cert2) is not None
        await driver._deliver(deliver(*blocks[2]))
        assert driver.chain.height == 3 and commits == [1, 2, 3]
        assert driver.chain.store.state_root == root

    for sync_first in (True, False):
        trio.run(main, sync_first)


def test_a_synced_certificate_for_another_height_is_passed_over() -> None:
    blocks, _ = certified_blocks(2)

    async def main() -> None:
        commits: list[int] = []
        driver = await new_driver(commits)
        assert await _commit_synced(driver, *blocks[1]) is None  # height 2 before 1
        assert driver.chain.height == 0 and commits == []
        assert await _commit_synced(driver, *blocks[0]) is not None
        assert await _commit_synced(driver, *blocks[0]) is None  # height 1 again
        assert driver.chain.height == 1 and commits == [1]

    trio.run(main)
