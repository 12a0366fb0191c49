"""End-to-end throughput of one validator: pre-signed transfers submitted over the REST
API (msgpack batches) by client threads, each owning a set of senders so nonces arrive in
order; a watcher polls blocks to see when each transaction is committed.

Figures: committed transfers/s (first submission to last commit), end-to-end latency
p50/p99 (submission of a transaction's batch to its block becoming visible), and the
node's own block commit time p50/p99 (from its Prometheus histogram is too coarse, so
from block timestamps: the gap between consecutive blocks' build times under load).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack

from genesis.document import GenesisAsset, GenesisBalance, GenesisDoc, GenesisValidator
from primitives.keys import PrivateKey, verify
from scctn_node.devnet import write_network
from scctn_node.localnet import write_private
from vm.ops.transfer import Transfer
from vm.tx import Transaction

CHAIN_ID = "scctn-bench"


@dataclass(frozen=True, slots=True)
class TpsSettings:
    txs: int = 60_000
    senders: int = 300
    batch: int = 1_000
    clients: int = 2
    block_interval_ms: int = 100
    validators: int = 1


def _post(url: str, body: bytes) -> tuple[int, Any]:
    req = urllib.request.Request(url, data=body, method="POST")
    req.add_header("Content-Type", "application/msgpack")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read())


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def _start_node(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    log = open(home / "node.log", "wb")  # handed to the child process
    proc = subprocess.Popen(
        [sys.executable, "-m", "scctn_node", "start", "--home", str(home)], stdout=log, stderr=log
    )
    log.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        info = home / "node.json"
        if info.exists():
            try:
                url = json.loads(info.read_text())["api"]
                _get(url + "/health")
                return proc, url
            except (ValueError, KeyError, OSError):
                pass
        if proc.poll() is not None:
            raise RuntimeError("node exited: " + (home / "node.log").read_text()[-1000:])
        time.sleep(0.1)
    raise RuntimeError("node did not start")


def _presign(keys: list[PrivateKey], per_sender: int) -> list[list[bytes]]:
    sink = [PrivateKey(bytes([200, i % 256]) * 16).address() for i in range(64)]
    per_key: list[list[bytes]] = []
    for i, k in enumerate(keys):
        txs = []
        for n in range(per_sender):
            tx = Transaction(
                CHAIN_ID,
                k.public.raw,
                n,
                10_000,
                10**7,
                "",
                (Transfer("PTS", sink[(i + n) % 64], 1),),
            )
            txs.append(tx.sign(k).encode())
        per_key.append(txs)
    return per_key


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(settings: TpsSettings = TpsSettings()) -> dict[str, float]:
    per_sender = max(1, settings.txs // settings.senders)
    keys = [PrivateKey(i.to_bytes(4, "big") * 8) for i in range(1, settings.senders + 1)]
    t0 = time.perf_counter()
    signed = _presign(keys, per_sender)
    sign_s = time.perf_counter() - t0
    total = per_sender * settings.senders
    n = settings.validators
    validators = [PrivateKey(bytes([0x20 + i]) * 32) for i in range(n)]
    issuer = PrivateKey(b"\x11" * 32)
    genesis = GenesisDoc(
        CHAIN_ID,
        int(time.time() * 1000),
        tuple(GenesisValidator(f"v{i}", k.public.raw) for i, k in enumerate(validators)),
        (GenesisAsset("PTS", "Points", 0, 10**15, issuer.address()),),
        tuple(GenesisBalance(k.address(), "PTS", 10**9) for k in keys),
    )
    keep = os.environ.get("SCCTN_BENCH_KEEP")  # keep the homes and logs to look at
    with tempfile.TemporaryDirectory(prefix="scctn-bench-") as scratch:
        tmp = tempfile.mkdtemp(prefix="scctn-bench-kept-") if keep else scratch
        write_private(Path(tmp) / "pass", "bench\n")
        homes = write_network(
            Path(tmp),
            genesis,
            validators,
            api_ports=[_free_port() for _ in range(n)],
            p2p_ports=[_free_port() for _ in range(n)],
            passphrase="bench",
            passphrase_file=Path(tmp) / "pass",
            overrides={
                "chain": {
                    "block_interval_ms": settings.block_interval_ms,
                    "empty_block_interval_ms": 1000,
                },
                "mempool": {"max_txs": 100_000},
            },
        )
        procs: list[subprocess.Popen[bytes]] = []
        try:
            urls = []
            for home in homes:
                proc, url = _start_node(home)
                procs.append(proc)
                urls.append(url)
            figures = _drive(urls, signed, settings, total, sign_s, [p.pid for p in procs])
            figures["validators"] = float(n)
            figures["ed25519_verify_per_core_s"] = _verify_rate()
            figures["verify_bound_tx_per_s"] = (
                figures["ed25519_verify_per_core_s"] * (os.cpu_count() or 1) / n
            )
            figures["fraction_of_verify_bound"] = (
                figures["transfers_per_s"] / figures["verify_bound_tx_per_s"]
            )
            return figures
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(30)


def _verify_rate() -> float:
    """Ed25519 verifications per second on one core (pynacl), as the node does them."""
    key = PrivateKey(b"\x33" * 32)
    msg = b"x" * 150
    sig = key.sign(msg)
    count = 3000
    start = time.perf_counter()
    for _ in range(count):
        verify(key.public.raw, msg, sig)
    return count / (time.perf_counter() - start)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _client(url: str, mine: list[list[bytes]], batch: int) -> list[tuple[str, float]]:
    """Submit `mine` (per sender, in nonce order); returns (tx hash, time sent) pairs."""
    sent_at: list[tuple[str, float]] = []
    per_sender = len(mine[0]) if mine else 0
    step = max(1, batch // max(1, len(mine)))
    for n0 in range(0, per_sender, step):
        raws = [txs[n] for txs in mine for n in range(n0, min(n0 + step, per_sender))]
        while raws:
            sent = time.monotonic()
            status, body = _post(url + "/v1/txs/batch", msgpack.packb(raws))
            if status != 200:
                raise RuntimeError(f"batch refused: {status} {body}")
            retry = []
            for raw, r in zip(raws, body["results"], strict=True):
                if "hash" in r:
                    sent_at.append((r["hash"], sent))
                elif r["code"] in ("mempool_full", "account_limit", "nonce_gap"):
                    retry.append(raw)
                else:
                    raise RuntimeError(f"rejected: {r}")
            raws = retry
            if retry:
                time.sleep(0.05)
    return sent_at


def _drive(
    urls: list[str],
    signed: list[list[bytes]],
    s: TpsSettings,
    total: int,
    sign_s: float,
    pids: list[int],
) -> dict[str, float]:
    url = urls[0]  # the watcher's node
    clients = max(s.clients, len(urls))  # each client submits to one node, in nonce order
    done = threading.Event()
    commit_seen: dict[str, float] = {}
    block_sizes: list[int] = []

    def watcher() -> None:
        height = _get(url + "/v1/status")["height"]
        while not done.is_set():
            top = _get(url + "/v1/status")["height"]
            while height < top:
                height += 1
                b = _get(f"{url}/v1/blocks/{height}?full=false")
                now = time.monotonic()
                if b["tx_hashes"]:
                    block_sizes.append(len(b["tx_hashes"]))
                for h in b["tx_hashes"]:
                    commit_seen[h] = now
                if len(commit_seen) >= total:
                    done.set()
            time.sleep(0.01)

    cpu0 = sum(_cpu_seconds(pid) for pid in pids)
    start = time.monotonic()
    w = threading.Thread(target=watcher, daemon=True)
    w.start()
    # client processes (fork: they inherit the pre-signed transactions), not threads,
    # so the clients' JSON work does not share one GIL
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(clients) as pool:
        parts = pool.starmap(
            _client,
            [(urls[i % len(urls)], signed[i::clients], s.batch) for i in range(clients)],
        )
    submitted_s = time.monotonic() - start
    if not done.wait(300):
        raise RuntimeError(f"only {len(commit_seen)} of {total} committed")
    elapsed = max(commit_seen.values()) - start
    cpu = sum(_cpu_seconds(pid) for pid in pids) - cpu0
    latencies = [commit_seen[h] - t for part in parts for h, t in part if h in commit_seen]
    return {
        "transfers": float(total),
        "transfers_per_s": total / elapsed,
        "submit_phase_s": submitted_s,
        "latency_p50_ms": _percentile(latencies, 0.50) * 1000,
        "latency_p99_ms": _percentile(latencies, 0.99) * 1000,
        "mean_block_txs": sum(block_sizes) / max(1, len(block_sizes)),
        "node_cpu_cores_per_node": cpu / elapsed / len(pids),
        "node_cpu_us_per_tx_all_nodes": cpu / total * 1e6,
        "presign_per_s": total / sign_s,
    }


def main(settings: TpsSettings = TpsSettings()) -> dict[str, float]:
    figures = run(settings)
    n = settings.validators
    print(f"{n} validator{'s' if n > 1 else ''}: throughput end to end through the REST API")
    for k, v in figures.items():
        print(f"  {k:<28} {v:,.2f}")
    return figures
