"""A real node process under load is killed with SIGKILL and restarted: every committed
receipt is still there, every acknowledged transaction is committed in the end, and the
state roots match an independent replay of the blocks."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import msgpack

from genesis.document import load_genesis
from primitives.keys import PrivateKey
from scctn_node.chain.replay import replay
from scctn_node.chain.store import ChainStore
from scctn_node.storage.kv import LevelDBStore
from tests.integration.conftest import CHAIN_ID, funded_keys, make_home
from tests.integration.nodeproc import NodeProcess
from vm.ops.transfer import Transfer
from vm.tx import Transaction

SENDERS = 20
PER_SENDER = 150


def presign(keys: list[PrivateKey]) -> list[bytes]:
    rng = random.Random(7)
    out = []
    for n in range(PER_SENDER):
        for k in keys:
            to = rng.choice(keys).address() if rng.random() < 0.5 else rng.randbytes(20)
            if to == k.address():
                to = rng.randbytes(20)
            tx = Transaction(
                CHAIN_ID, k.public.raw, n, 10_000, 10**6, "", (Transfer("PTS", to, 1 + n % 7),)
            )
            out.append(tx.sign(k).encode())
    return out


def submit_all(
    node: NodeProcess, raws: list[bytes], accepted: list[str], stop: threading.Event
) -> None:
    for i in range(0, len(raws), 100):
        if stop.is_set():
            return
        try:
            status, body, _ = node.request(
                "POST", "/v1/txs/batch", msgpack.packb(raws[i : i + 100]), "application/msgpack"
            )
        except OSError:
            return  # the node was killed mid-request: those are not acknowledged
        if status == 200:
            accepted.extend(r["hash"] for r in body["results"] if "hash" in r)
        time.sleep(0.01)


def committed_hashes(node: NodeProcess) -> dict[str, tuple[int, int]]:
    out = {}
    height = node.get("/v1/status")["height"]
    for h in range(1, height + 1):
        block = node.get(f"/v1/blocks/{h}?full=false")
        for i, tx_hash in enumerate(block["tx_hashes"]):
            out[tx_hash] = (h, i)
    return out


def test_sigkill_under_load_loses_nothing(tmp_path: Path, node_factory: list[NodeProcess]) -> None:
    keys = funded_keys(SENDERS)
    home = make_home(tmp_path, keys)
    node = NodeProcess(home).start()
    node_factory.append(node)
    raws = presign(keys)
    accepted: list[str] = []
    stop = threading.Event()
    loader = threading.Thread(target=submit_all, args=(node, raws, accepted, stop))
    loader.start()
    node.wait_height(3, timeout=60)
    while len(accepted) < len(raws) // 3:
        time.sleep(0.02)
    seen_before = committed_hashes(node)
    node.kill9()
    stop.set()
    loader.join(30)
    assert seen_before, "some blocks with transactions committed before the kill"

    node = NodeProcess(home).start()
    node_factory.append(node)
    # every receipt seen before the crash is still there, at the same place
    for tx_hash, (height, index) in seen_before.items():
        info = node.get(f"/v1/txs/{tx_hash}")
        assert info["status"] == "committed" and (info["height"], info["index"]) == (height, index)
    # every acknowledged transaction commits in the end (the mempool was durable)
    deadline = time.monotonic() + 60
    pending = set(accepted)
    while pending and time.monotonic() < deadline:
        pending -= set(committed_hashes(node))
        time.sleep(0.5)
    assert not pending, f"{len(pending)} acknowledged transactions never committed"
    final_height = node.get("/v1/status")["height"]
    expected_roots = [
        bytes.fromhex(node.get(f"/v1/blocks/{h}?full=false")["state_root_after"])
        for h in range(1, final_height + 1)
    ]
    assert node.stop() == 0

    store = ChainStore(LevelDBStore(home / "data" / "chain.db"))
    try:
        pairs = []
        for h in range(1, final_height + 1):
            block, cert = store.block(h), store.commit_of(h)
            assert block is not None and cert is not None
            pairs.append((block, cert))
        assert replay(load_genesis(home / "genesis.json"), pairs) == expected_roots
    finally:
        store.kv.close()
