"""A network partition, on four validator processes whose every link runs through a TCP
proxy owned by the test (tests/integration/proxy.py): the primary is cut off from
everyone, the other three change view and keep committing; when the partition heals,
the old primary catches up and joins in again without being restarted, and no
transaction submitted to a connected node is lost."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.cluster import Cluster
from tests.integration.nodeproc import NodeProcess
from tests.integration.proxy import Proxy
from tests.integration.test_network import submit, transfers, wait_committed

WAIT = 60.0  # generous bounds on a loaded 2-core machine; nothing here measures time


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[Cluster, Proxy]]:
    with Proxy() as proxy:
        cluster = Cluster(tmp_path, 4, route=proxy.add)
        try:
            yield cluster.start(), proxy
        finally:
            cluster.stop()


def wait_for(what: str, check: Callable[[], Any], timeout: float = WAIT) -> Any:
    """Poll `check` until it returns something truthy; returns it."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def consensus(node: NodeProcess) -> dict[str, Any]:
    status: dict[str, Any] = node.get("/v1/status")["consensus"]
    return status


def committed_on(node: NodeProcess, tx_hash: str) -> bool:
    code, info, _ = node.request("GET", f"/v1/txs/{tx_hash}")
    return code == 200 and info["status"] == "committed"


def steady_primary(cluster: Cluster) -> int:
    """Warm up, then wait for a full mesh in which every node is in the same view, not
    changing it, and committing; returns the index of that view's primary.

    The warm-up batch matters: nodes start one after the other, so the first primary may
    time out its first (empty) block alone and sit in a view change to view 1 that nobody
    joins until some backup holds a transaction and times out too."""
    names = [f"v{i}" for i in range(len(cluster.nodes))]
    wait_committed(cluster.nodes[1], submit(cluster.nodes[1], transfers(3, 0, 10)))

    def agreed() -> str | None:
        states = [n.get("/v1/status") for n in cluster.nodes]
        views = {s["consensus"]["view"] for s in states}
        settled = all(
            s["height"] >= 2
            and s["consensus"]["validators_not_linked"] == []
            and not s["consensus"]["view_change_in_progress"]
            for s in states
        )
        return states[0]["consensus"]["primary"] if settled and len(views) == 1 else None

    return names.index(wait_for("a settled full mesh", agreed))


def test_isolated_primary_is_replaced_then_catches_up_after_heal(
    proxied: tuple[Cluster, Proxy],
) -> None:
    cluster, proxy = proxied
    nodes = cluster.nodes
    names = [f"v{i}" for i in range(len(nodes))]
    old = steady_primary(cluster)
    before = consensus(nodes[old])
    others = [n for i, n in enumerate(nodes) if i != old]
    isolated = nodes[old]
    assert isolated.proc is not None
    pid = isolated.proc.pid

    # The primary is cut off while a batch is in flight.
    first = submit(others[1], transfers(0, 0, 150))
    proxy.cut(old)
    assert proxy.live(old) == 0
    placed = wait_committed(others[0], first, timeout=WAIT)

    # The others move to a new view with another primary and keep committing.
    view = wait_for(
        "the survivors' view change",
        lambda: all(consensus(n)["view"] > before["view"] for n in others) and consensus(others[0]),
    )
    assert view["primary"] != names[old] and names[old] in view["validators_not_linked"]
    second = submit(others[2], transfers(1, 0, 150))
    placed.update(wait_committed(others[1], second, timeout=WAIT))

    # The isolated node sees nobody and has not committed what came after the cut.
    wait_for(
        "the isolated node to see its links down",
        lambda: (
            set(consensus(isolated)["validators_not_linked"])
            == {names[i] for i in range(len(nodes)) if i != old}
        ),
    )
    top = max(h for h, _ in placed.values())
    assert isolated.get("/v1/status")["height"] < top
    assert not any(committed_on(isolated, h) for h in second)
    assert proxy.refused > 0  # it (or they) kept dialling through the cut and was refused

    # Heal: the same process (never restarted) catches up and joins the new view.
    proxy.heal(old)
    wait_for(
        "the old primary to link again",
        lambda: consensus(isolated)["validators_not_linked"] == [],
    )
    cluster.wait_converged(top, timeout=WAIT)
    assert isolated.proc.poll() is None and isolated.proc.pid == pid
    for h, place in placed.items():
        info = isolated.get(f"/v1/txs/{h}")
        assert info["status"] == "committed" and (info["height"], info["index"]) == place

    def rejoined() -> bool:
        mine, theirs = consensus(isolated), consensus(others[0])
        return mine["view"] == theirs["view"] and not mine["view_change_in_progress"]

    wait_for("the old primary to reach the others' view", rejoined)

    # It takes part again: what it is handed now commits everywhere at the same place.
    third = submit(isolated, transfers(3, 10, 50))
    found = wait_committed(others[2], third, timeout=WAIT)
    cluster.wait_converged(max(h for h, _ in found.values()), timeout=WAIT)
    for node in nodes:
        for h, place in list(found.items())[::5]:
            info = node.get(f"/v1/txs/{h}")
            assert info["status"] == "committed" and (info["height"], info["index"]) == place


# ---------------------------------------------------------------------------------
# Found while writing the test above; they fail until the node is fixed (kept out of
# git until then; see the report of issue 5).


def test_a_network_started_one_node_at_a_time_commits_without_transactions(
    proxied: tuple[Cluster, Proxy],
) -> None:
    cluster, _ = proxied
    cluster.wait_converged(2, timeout=WAIT)  # empty blocks, no transaction needed


def test_view_changes_are_counted_and_logged(proxied: tuple[Cluster, Proxy]) -> None:
    cluster, proxy = proxied
    old = steady_primary(cluster)
    before = consensus(cluster.nodes[old])
    others = [n for i, n in enumerate(cluster.nodes) if i != old]
    proxy.cut(old)
    submit(others[0], transfers(0, 0, 10))
    wait_for("the view change", lambda: all(consensus(n)["view"] > before["view"] for n in others))
    for node in others:
        assert consensus(node)["view_changes"] >= 1
        assert "view change: view" in node.log.read_text()


def test_transactions_held_by_the_isolated_node_commit_after_heal(
    proxied: tuple[Cluster, Proxy],
) -> None:
    cluster, proxy = proxied
    old = steady_primary(cluster)
    before = consensus(cluster.nodes[old])
    isolated = cluster.nodes[old]
    others = [n for i, n in enumerate(cluster.nodes) if i != old]
    proxy.cut(old)
    wait_committed(others[0], submit(others[1], transfers(0, 0, 10)))
    wait_for("the view change", lambda: all(consensus(n)["view"] > before["view"] for n in others))
    held = submit(isolated, transfers(2, 0, 20))  # accepted: 200, "accepted"
    stalled = wait_for(
        "the isolated node's health to report a stall",
        lambda: (lambda r: r[1] if r[0] == 503 else None)(isolated.request("GET", "/health")),
    )
    assert stalled["status"] == "stalled" and stalled["mempool_size"] >= len(held)
    proxy.heal(old)
    wait_for("links again", lambda: consensus(isolated)["validators_not_linked"] == [])
    found = wait_committed(others[0], held, timeout=WAIT)
    cluster.wait_converged(max(h for h, _ in found.values()), timeout=WAIT)
