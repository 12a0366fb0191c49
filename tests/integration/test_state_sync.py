"""A validator whose data is wiped state-syncs from a peer's snapshot at a stable
checkpoint (verified against the checkpoint's certified state root), then catches up by
blocks and rejoins; blocks below the snapshot are not downloaded."""

from __future__ import annotations

import shutil
from pathlib import Path

from primitives.keys import format_address
from tests.integration.cluster import Cluster, sender_key
from tests.integration.test_network import submit, transfers, wait_committed


def small_checkpoints(cluster: Cluster, interval: int = 4) -> None:
    for node in cluster.nodes:
        cfg = node.home / "config.toml"
        text = cfg.read_text().replace(
            "checkpoint_interval = 4", f"checkpoint_interval = {interval}"
        )
        text = text.replace("state_sync_min_gap = 1000", "state_sync_min_gap = 1")
        cfg.write_text(text.replace("window = 16", f"window = {interval * 4}"))


def test_wiped_validator_state_syncs_and_rejoins(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, 4)
    small_checkpoints(cluster)
    cluster.start()
    try:
        hashes = submit(cluster.nodes[1], transfers(0, 0, 120))
        placed = wait_committed(cluster.nodes[0], hashes)
        height, _ = cluster.wait_converged(max(h for h, _ in placed.values()) + 12)
        victim = cluster.nodes[3]
        victim.kill9()
        shutil.rmtree(victim.home / "data")
        victim.start()
        height, root = cluster.wait_converged(height + 4, timeout=90)
        status = victim.get("/v1/status")["consensus"]
        assert status["state_syncs"] == 1, status
        code, body, _ = victim.request("GET", "/v1/blocks/1")
        assert code == 404 and body["code"] == "block_not_found"  # came by snapshot, not blocks
        sender = format_address(sender_key(0).address())
        synced = victim.get(f"/v1/accounts/{sender}")
        assert synced["nonce"] == 120  # the state came across
        assert synced["balances"] == cluster.nodes[0].get(f"/v1/accounts/{sender}")["balances"]
        more = submit(victim, transfers(1, 0, 30))
        wait_committed(cluster.nodes[2], more)
        wait_committed(victim, more)
    finally:
        cluster.stop()
