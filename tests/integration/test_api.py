"""The API against a real node process: typed JSON errors for bad input, OpenAPI, the
WebSocket stream, metrics, and a 100,000-transaction burst that gets an answer for every
transaction and still commits all of them once the client retries on 'mempool full'."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import msgpack
import pytest
import trio
from trio_websocket import open_websocket_url

from primitives.keys import PrivateKey, format_address
from tests.integration.conftest import CHAIN_ID, funded_keys, make_home
from tests.integration.nodeproc import NodeProcess
from vm.ops.transfer import Transfer
from vm.tx import Transaction


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    tmp = tmp_path_factory.mktemp("api")
    home = make_home(tmp, funded_keys(4))
    proc = NodeProcess(home).start()
    yield proc
    assert proc.stop() == 0


def tx_hex(key: PrivateKey, nonce: int, amount: int = 1) -> str:
    tx = Transaction(
        CHAIN_ID, key.public.raw, nonce, 10_000, 10**6, "", (Transfer("PTS", b"\x05" * 20, amount),)
    )
    return tx.sign(key).encode().hex()


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("POST", "/v1/txs", b"{not json", 400, "bad_request"),
        ("POST", "/v1/txs", b"[]", 400, "bad_request"),
        ("POST", "/v1/txs", b'{"tx": "zz"}', 400, "bad_encoding"),
        ("POST", "/v1/txs", b'{"tx": "9301"}', 400, "bad_encoding"),
        ("POST", "/v1/txs", b'{"tx": 5}', 400, "bad_encoding"),
        ("POST", "/v1/txs/batch", b'{"txs": "x"}', 400, "bad_request"),
        ("GET", "/v1/txs/xyz", None, 400, "malformed_tx_hash"),
        ("GET", "/v1/txs/" + "00" * 32, None, 404, "tx_not_found"),
        ("GET", "/v1/blocks/99999", None, 404, "block_not_found"),
        ("GET", "/v1/blocks/abc", None, 400, "bad_request"),
        ("GET", "/v1/accounts/scc1notanaddress", None, 400, "invalid_address"),
        ("GET", "/v1/assets/NOPE", None, 404, "asset_not_found"),
        ("GET", "/no/such/route", None, 404, "not_found"),
        ("DELETE", "/v1/status", None, 405, "method_not_allowed"),
    ],
)
def test_bad_input_gets_typed_json_error(
    node: NodeProcess, method: str, path: str, body: bytes | None, status: int, code: str
) -> None:
    got_status, got, _ = node.request(method, path, body)
    assert got_status == status
    assert got["code"] == code and isinstance(got["message"], str) and got["message"]


def test_oversize_and_garbage_msgpack_bodies(node: NodeProcess) -> None:
    host, port = node.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.putrequest("POST", "/v1/txs/batch")
    conn.putheader("Content-Length", str(17 * 1024 * 1024))
    conn.putheader("Content-Type", "application/json")
    conn.endheaders(b"{")  # declares 17 MiB, sends one byte: refused without reading it all
    resp = conn.getresponse()
    assert resp.status == 413 and json.loads(resp.read())["code"] == "body_too_large"
    conn.close()
    status, body, _ = node.request("POST", "/v1/txs/batch", b"\xc1\xff", "application/msgpack")
    assert status == 400 and body["code"] == "bad_request"
    assert node.get("/health")["status"] == "ok"  # and the node is still serving


def test_submit_query_and_proof_round_trip(node: NodeProcess) -> None:
    key = funded_keys(4)[0]
    status, body, _ = node.post_json("/v1/txs", {"tx": tx_hex(key, 0, 42)})
    assert status == 202 and body["status"] == "accepted"
    again_status, again, _ = node.post_json("/v1/txs", {"tx": tx_hex(key, 0, 42)})
    assert again_status == 202 and again["hash"] == body["hash"]  # idempotent
    deadline = time.monotonic() + 20
    while (info := node.get(f"/v1/txs/{body['hash']}"))["status"] != "committed":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert info["receipt"]["code"] == "ok" and info["tx"]["ops"][0]["amount"] == 42
    dup_status, dup, _ = node.post_json("/v1/txs", {"tx": tx_hex(key, 0, 43)})
    assert dup_status == 400 and dup["code"] == "nonce_too_low"
    sink = format_address(b"\x05" * 20)
    account = node.get(f"/v1/accounts/{sink}?prove=true")
    assert account["balances"]["PTS"] >= 42 and "balance:PTS" in account["proofs"]
    spec = node.get("/openapi.json")
    assert "/v1/txs/batch" in spec["paths"] and "/v1/accounts/{address}" in spec["paths"]
    _, metrics, _ = node.request("GET", "/metrics")
    assert b"scctn_height" in metrics and b"scctn_block_commit_seconds_bucket" in metrics


def test_websocket_streams_blocks_and_receipts(node: NodeProcess) -> None:
    key = funded_keys(4)[1]
    ws_url = node.url.replace("http", "ws", 1) + "/v1/ws"

    async def main() -> list[dict[str, object]]:
        seen: list[dict[str, object]] = []
        async with open_websocket_url(ws_url) as ws:
            await trio.to_thread.run_sync(node.post_json, "/v1/txs", {"tx": tx_hex(key, 0, 7)})
            with trio.fail_after(20):
                while not any(m["type"] == "receipt" for m in seen):
                    seen.append(json.loads(await ws.get_message()))
        return seen

    messages = trio.run(main)
    receipt = next(m for m in messages if m["type"] == "receipt")
    assert receipt["receipt"]["code"] == "ok"  # type: ignore[index]
    assert any(m["type"] == "block" for m in messages)


BURST_SENDERS = 100
BURST_PER_SENDER = 1_000


@pytest.mark.timeout(600)
def test_burst_of_100k_gets_an_answer_for_each_and_all_commit(tmp_path: Path) -> None:
    keys = funded_keys(BURST_SENDERS)
    home = make_home(tmp_path, keys)
    node = NodeProcess(home, env={"SCCTN_MEMPOOL_MAX_TXS": "20000"}).start()
    try:
        batches = []
        for n0 in range(0, BURST_PER_SENDER, 100):
            raws = []
            for n in range(n0, n0 + 100):
                for k in keys:
                    tx = Transaction(
                        CHAIN_ID,
                        k.public.raw,
                        n,
                        10_000,
                        10**6,
                        "",
                        (Transfer("PTS", b"\x06" * 20, 1),),
                    )
                    raws.append(tx.sign(k).encode())
            batches.append(raws)
        assert sum(len(b) for b in batches) == 100_000

        def send(raws: list[bytes]) -> tuple[int, list[bytes]]:
            status, body, headers = node.request(
                "POST", "/v1/txs/batch", msgpack.packb(raws), "application/msgpack"
            )
            assert status == 200
            full = [raw for raw, r in zip(raws, body["results"], strict=True) if "hash" not in r]
            for r in body["results"]:
                assert "hash" in r or r["code"] in ("mempool_full", "account_limit", "nonce_gap"), r
            if any(r.get("code") == "mempool_full" for r in body["results"]):
                assert headers.get("retry-after") == "1"
            return len(raws) - len(full), full

        heights = []
        rss = []
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(send, batches))  # the burst: every tx gets an answer
        accepted = sum(a for a, _ in results)
        retry = [raw for _, full in results for raw in full]
        assert accepted + len(retry) == 100_000
        assert retry, "the burst was meant to overflow the mempool"
        deadline = time.monotonic() + 240
        while retry:  # a well-behaved client retries after the hint
            assert time.monotonic() < deadline, f"{len(retry)} transactions never admitted"
            heights.append(node.get("/v1/status")["height"])
            rss.append(_rss_mb(node))
            time.sleep(1)
            _, retry = send(retry) if len(retry) <= 10_000 else _send_chunks(send, retry)
            assert node.get("/v1/status")["mempool_size"] <= 20_000
        deadline = time.monotonic() + 240
        while node.get("/v1/status")["mempool_size"]:
            assert time.monotonic() < deadline, "mempool did not drain"
            time.sleep(0.5)
        for k in keys[:: BURST_SENDERS // 10]:
            assert (
                node.get(f"/v1/accounts/{format_address(k.address())}")["nonce"] == BURST_PER_SENDER
            )
        assert heights == sorted(heights) and (
            not heights or heights[-1] > heights[0] or len(heights) == 1
        )
        assert max(rss, default=0) < 2_000, f"node RSS grew to {max(rss)} MB"
    finally:
        assert node.stop() == 0


def _send_chunks(send, raws: list[bytes]) -> tuple[int, list[bytes]]:  # type: ignore[no-untyped-def]
    accepted, rest = 0, []
    for i in range(0, len(raws), 10_000):
        a, r = send(raws[i : i + 10_000])
        accepted += a
        rest.extend(r)
    return accepted, rest


def _rss_mb(node: NodeProcess) -> int:
    assert node.proc is not None
    for line in Path(f"/proc/{node.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return 0
