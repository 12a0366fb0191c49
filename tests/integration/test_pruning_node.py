"""A node with `[storage] retain_blocks` drops old blocks as it goes, answers clearly for
pruned heights and transactions, keeps its state whole, and restarts fine."""

from __future__ import annotations

import time
from pathlib import Path

from primitives.keys import format_address
from tests.integration.conftest import funded_keys, make_home
from tests.integration.nodeproc import NodeProcess
from tests.integration.test_api import tx_hex


def test_old_blocks_are_pruned_and_reported(tmp_path: Path) -> None:
    keys = funded_keys(2)
    home = make_home(tmp_path, keys)
    cfg = home / "config.toml"
    text = cfg.read_text().replace("retain_blocks = 0", "retain_blocks = 10")
    text = text.replace("empty_block_interval_ms = 500", "empty_block_interval_ms = 100")
    cfg.write_text(text)
    node = NodeProcess(home).start()
    try:
        status, body, _ = node.post_json("/v1/txs", {"tx": tx_hex(keys[0], 0, 9)})
        assert status == 202
        tx_hash = body["hash"]
        node.wait_height(5, timeout=60)
        assert node.get("/v1/blocks/1")["height"] == 1  # kept until retain_blocks passes it
        deadline = time.monotonic() + 90
        while True:
            code, block1, _ = node.request("GET", "/v1/blocks/1")
            if code == 404:
                break
            assert time.monotonic() < deadline, "block 1 never pruned"
            time.sleep(0.3)
        assert block1["code"] == "block_pruned" and "kept from" in block1["message"]
        code, info, _ = node.request("GET", f"/v1/txs/{tx_hash}")
        assert code == 404 and "keeps blocks from height" in info["message"]
        sink = format_address(b"\x05" * 20)
        assert node.get(f"/v1/accounts/{sink}")["balances"]["PTS"] == 9  # the state is whole
        assert node.get("/v1/blocks/latest")["height"] >= 10
        assert node.stop() == 0
        node.start()
        height = node.get("/v1/status")["height"]
        node.wait_height(height + 3)
    finally:
        node.stop()
