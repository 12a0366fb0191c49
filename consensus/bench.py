"""Benchmark: blocks per second that four simulated replicas commit in one process.

    python -m consensus.bench [--blocks N] [--real-signatures]

Four honest replicas run over the deterministic simulator (`consensus.simnet`) with a
one-tick link delay; all blocks (256-byte payloads) are offered at once and the
primary keeps its window full. The figures are wall-clock time for the whole run in
this one process (every replica's work, plus encoding and the simulator), so they are
a lower bound on what one replica can do. Message and byte counts include every
protocol message (pre-prepare, prepare, commit, checkpoint, status). This module
reads the clock; the engine never does.
"""

from __future__ import annotations

import argparse
import time

from consensus.crypto import Ed25519Signer, Ed25519Verifier, Signer, Verifier
from consensus.simnet import Links, honest_network
from primitives.keys import PrivateKey

PAYLOAD_BYTES = 256


def run(blocks: int = 2000, real_signatures: bool = False, n: int = 4) -> dict[str, float]:
    """Commit `blocks` blocks on n replicas; return throughput and per-block costs."""
    signers: list[Signer] | None = None
    verifier: Verifier | None = None
    if real_signatures:
        signers = [Ed25519Signer(PrivateKey(bytes([i + 1]) * 32)) for i in range(n)]
        verifier = Ed25519Verifier()
    sim = honest_network(
        n,
        seed=1,
        checkpoint_interval=16,
        window=64,
        base_timeout=1_000_000,
        status_interval=1_000_000,
        links=Links(min_delay=1, max_delay=1),
        signers=signers,
        verifier=verifier,
    )
    sim.start()
    for k in range(blocks):
        payload = b"tx:%08d:" % k
        sim.propose_at(0, payload + b"\x00" * (PAYLOAD_BYTES - len(payload)))
    nodes = sim.nodes

    def done() -> bool:
        return all(node.app.executed >= blocks for node in nodes)

    started = time.perf_counter()
    sim.run(10**12, done)
    elapsed = time.perf_counter() - started
    if not done():
        raise RuntimeError("benchmark run did not commit every block")
    return {
        "blocks": float(blocks),
        "replicas": float(n),
        "seconds": elapsed,
        "blocks_per_s": blocks / elapsed,
        "messages_per_block": sim.stats.messages / blocks,
        "bytes_per_block": sim.stats.bytes / blocks,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--blocks", type=int, default=2000)
    parser.add_argument("--real-signatures", action="store_true", help="only this mode")
    parser.add_argument("--stub-signatures", action="store_true", help="only this mode")
    args = parser.parse_args(argv)
    modes = [False, True]
    if args.real_signatures != args.stub_signatures:
        modes = [args.real_signatures]
    for real in modes:
        figures = run(args.blocks, real)
        label = "ed25519" if real else "stubbed"
        print(
            f"signatures={label:8} blocks={int(figures['blocks'])} "
            f"blocks_per_s={figures['blocks_per_s']:.0f} "
            f"messages_per_block={figures['messages_per_block']:.2f} "
            f"bytes_per_block={figures['bytes_per_block']:.0f}"
        )


if __name__ == "__main__":
    main()
