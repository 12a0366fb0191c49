"""Four validators as real processes on loopback: transactions submitted to any node are
gossiped and committed by PBFT; every node reaches the same state; kill -9 of up to f
validators (the primary included) under load loses nothing and they catch up on
restart; the whole network killed at once resumes from disk."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path

import msgpack
import pytest

from tests.integration.cluster import CHAIN_ID, Cluster, sender_key
from tests.integration.nodeproc import NodeProcess
from vm.ops.transfer import Transfer
from vm.tx import Transaction


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    c = Cluster(tmp_path, 4).start()
    yield c
    c.stop()


def transfers(sender: int, start: int, count: int) -> list[bytes]:
    key = sender_key(sender)
    rng = random.Random(sender * 1000 + start)
    return [
        Transaction(
            CHAIN_ID,
            key.public.raw,
            n,
            10_000,
            10**6,
            "",
            (Transfer("PTS", rng.randbytes(20), 1 + n % 5),),
        )
        .sign(key)
        .encode()
        for n in range(start, start + count)
    ]


def submit(node: NodeProcess, raws: list[bytes]) -> list[str]:
    status, body, _ = node.request(
        "POST", "/v1/txs/batch", msgpack.packb(raws), "application/msgpack"
    )
    assert status == 200, body
    assert body["rejected"] == 0, body["results"][:3]
    return [r["hash"] for r in body["results"]]


def wait_committed(
    node: NodeProcess, hashes: list[str], timeout: float = 60.0
) -> dict[str, tuple[int, int]]:
    deadline = time.monotonic() + timeout
    found: dict[str, tuple[int, int]] = {}
    for h in hashes:
        while True:
            code, info, _ = node.request("GET", f"/v1/txs/{h}")  # 404: not reached this node yet
            if code == 200 and info["status"] == "committed":
                assert info["receipt"]["code"] == "ok", info
                found[h] = (info["height"], info["index"])
                break
            assert time.monotonic() < deadline, f"{h} still {info}"
            time.sleep(0.05)
    return found


def test_transactions_through_any_node_commit_everywhere(cluster: Cluster) -> None:
    a = submit(cluster.nodes[2], transfers(0, 0, 150))  # a backup
    b = submit(cluster.nodes[3], transfers(1, 0, 150))
    c = submit(cluster.nodes[0], transfers(2, 0, 150))  # the primary of view 0
    placed = wait_committed(cluster.nodes[1], a + b + c)
    height = max(h for h, _ in placed.values())
    cluster.wait_converged(height)
    for node in cluster.nodes:  # every node holds every receipt at the same place
        for h in a[:5] + b[-5:] + c[:5]:
            info = node.get(f"/v1/txs/{h}")
            assert (info["height"], info["index"]) == placed[h]
    status = cluster.nodes[1].get("/v1/status")["consensus"]
    assert status["view_changes"] == 0 and status["validators_not_linked"] == []


@pytest.mark.parametrize(("victim", "seed"), [(0, 11), (2, 12), (3, 13)])
def test_kill9_of_f_validators_under_load_then_restart(
    cluster: Cluster, victim: int, seed: int
) -> None:
    # victim 0 is the primary of view 0; the kill lands at a seeded random moment while
    # the first batch is being gossiped, ordered and executed
    survivors = [n for i, n in enumerate(cluster.nodes) if i != victim]
    first = submit(survivors[0], transfers(0, 0, 200))
    time.sleep(random.Random(seed).uniform(0.0, 1.5))
    cluster.nodes[victim].kill9()
    seen = wait_committed(survivors[1], first)
    second = submit(survivors[2], transfers(1, 0, 200))
    seen.update(wait_committed(survivors[0], second, timeout=90))
    if victim == 0:
        assert survivors[0].get("/v1/status")["consensus"]["view"] >= 1
        assert "v0" in survivors[0].get("/v1/status")["consensus"]["validators_not_linked"]
    top = max(h for h, _ in seen.values())
    cluster.nodes[victim].start()
    cluster.wait_converged(top + 1, timeout=90)
    restarted = cluster.nodes[victim]
    for h, place in list(seen.items())[::20]:
        info = restarted.get(f"/v1/txs/{h}")
        assert info["status"] == "committed" and (info["height"], info["index"]) == place


def test_whole_network_killed_resumes_from_disk(cluster: Cluster) -> None:
    hashes = submit(cluster.nodes[1], transfers(3, 0, 100))
    placed = wait_committed(cluster.nodes[1], hashes)
    height, root = cluster.wait_converged(max(h for h, _ in placed.values()))
    for node in cluster.nodes:
        node.kill9()
    cluster.start()
    again_root = cluster.nodes[2].get(f"/v1/blocks/{height}?full=false")["state_root_after"]
    assert again_root == root
    cluster.wait_converged(height + 2, timeout=60)  # and it keeps committing
    more = submit(cluster.nodes[3], transfers(3, 100, 20))
    wait_committed(cluster.nodes[0], more)
