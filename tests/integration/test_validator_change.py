"""Validator-set changes by governance, end to end with real processes: a fifth node
follows the chain, the validators vote it in (more than two thirds), it becomes a
validator at the switch height; then the five vote one of the founders out, who keeps
following. The network commits throughout and every node reaches the same state."""

from __future__ import annotations

import time
from pathlib import Path

import msgpack

from genesis.document import GenesisAsset, GenesisBalance, GenesisDoc, GenesisValidator
from primitives.keys import PrivateKey
from scctn_node.devnet import write_network
from scctn_node.localnet import write_private
from tests.integration.nodeproc import NodeProcess, free_port
from vm.ops.transfer import Transfer
from vm.ops.validator import ValidatorVote
from vm.tx import Transaction

CHAIN = "scctn-gov"
KEYS = [PrivateKey(bytes([0x70 + i]) * 32) for i in range(5)]
PAYER = PrivateKey(b"\x7f" * 32)


def signed(key: PrivateKey, nonce: int, op: object) -> bytes:
    return Transaction(CHAIN, key.public.raw, nonce, 100_000, 10**6, "", (op,)).sign(key).encode()  # type: ignore[arg-type]


def post(node: NodeProcess, raws: list[bytes]) -> list[str]:
    status, body, _ = node.request(
        "POST", "/v1/txs/batch", msgpack.packb(raws), "application/msgpack"
    )
    assert status == 200 and body["rejected"] == 0, body
    return [r["hash"] for r in body["results"]]


def committed(node: NodeProcess, tx_hash: str, timeout: float = 60) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        code, info, _ = node.request("GET", f"/v1/txs/{tx_hash}")
        if code == 200 and info["status"] == "committed":
            return info  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, info
        time.sleep(0.1)


def wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def converged(nodes: list[NodeProcess], above: int) -> bool:
    heights = [n.get("/v1/status")["height"] for n in nodes]
    h = min(heights)
    if h <= above:
        return False
    roots = {n.get(f"/v1/blocks/{h}?full=false")["state_root_after"] for n in nodes}
    assert len(roots) == 1, f"state roots differ at {h}"
    return True


def test_vote_a_validator_in_then_another_out(tmp_path: Path) -> None:
    write_private(tmp_path / "pass", "gov\n")
    genesis = GenesisDoc(
        CHAIN,
        int(time.time() * 1000),
        tuple(GenesisValidator(f"v{i}", k.public.raw) for i, k in enumerate(KEYS[:4])),
        (GenesisAsset("PTS", "P", 0, 10**9, PAYER.address()),),
        (GenesisBalance(PAYER.address(), "PTS", 10**6),),
    )
    homes = write_network(
        tmp_path,
        genesis,
        KEYS,
        api_ports=[free_port() for _ in KEYS],
        p2p_ports=[free_port() for _ in KEYS],
        passphrase="gov",
        passphrase_file=tmp_path / "pass",
        overrides={
            "chain": {"block_interval_ms": 100, "empty_block_interval_ms": 300},
            "consensus": {"checkpoint_interval": 4, "window": 8, "base_timeout_ms": 1500},
        },
    )
    nodes = [NodeProcess(h) for h in homes]
    try:
        for n in nodes:
            n.start()
        wait_for(lambda: nodes[4].get("/v1/status")["height"] >= 3, 60, "the follower follows")
        assert nodes[4].get("/v1/status")["consensus"]["is_validator"] is False

        add = ValidatorVote("add", "v4", KEYS[4].public.raw)
        hashes = post(nodes[0], [signed(KEYS[i], 0, add) for i in range(3)])
        events = [committed(nodes[1], h)["receipt"]["events"][0]["kind"] for h in hashes]  # type: ignore[index]
        assert sorted(events) == ["validator.changed", "validator.voted", "validator.voted"]
        wait_for(lambda: nodes[4].get("/v1/status")["consensus"]["is_validator"], 90, "v4 joins")
        status = nodes[0].get("/v1/status")["consensus"]
        assert status["epoch"] == 1 and status["validators"] == ["v0", "v1", "v2", "v3", "v4"]
        pay = post(nodes[4], [signed(PAYER, 0, Transfer("PTS", KEYS[0].address(), 5))])
        committed(nodes[2], pay[0])
        top = max(n.get("/v1/status")["height"] for n in nodes)
        wait_for(lambda: converged(nodes, top), 60, "five nodes converge")

        remove = ValidatorVote("remove", "v0", KEYS[0].public.raw)
        hashes = post(nodes[1], [signed(KEYS[i], 1 if i < 3 else 0, remove) for i in (1, 2, 3, 4)])
        for h in hashes:
            committed(nodes[1], h)
        wait_for(
            lambda: not nodes[0].get("/v1/status")["consensus"]["is_validator"], 90, "v0 retires"
        )
        assert nodes[3].get("/v1/status")["consensus"]["validators"] == ["v1", "v2", "v3", "v4"]
        pay = post(nodes[0], [signed(PAYER, 1, Transfer("PTS", KEYS[1].address(), 7))])
        committed(nodes[4], pay[0])
        top = max(n.get("/v1/status")["height"] for n in nodes)
        wait_for(lambda: converged(nodes, top), 60, "all five (v0 following) converge")
    finally:
        for n in nodes:
            n.stop()
