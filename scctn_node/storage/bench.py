"""State tree benchmark: 1,000-key applies against a large state in LevelDB.

`python -m scctn_node.storage.bench [--keys N] [--update-keys K] [--rounds R]`

Builds a state of N keys in a fresh LevelDB in a temporary directory (in batches of
`BUILD_BATCH` keys, as blocks would), reopens it so the tree starts with an empty page
cache, then times R applies of K random keys each (half updates of existing keys,
half inserts), each followed by the synced batch write and `committed()` as the node
does. `apply_first_ms` is the first apply after reopening (cold cache); then `warmup`
applies are run untimed; the percentiles are over the R rounds after those.
Figures are wall-clock milliseconds per apply, and the CPU time of the applying thread
(`*_cpu_*`), which is what to compare on a machine shared with other work.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from scctn_node.storage.kv import LevelDBStore
from scctn_node.storage.smt import StateTree

BUILD_BATCH = 50_000


def _key(i: int) -> bytes:
    return b"acct/" + i.to_bytes(8, "big")


def _percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def run(
    total_keys: int = 1_000_000,
    update_keys: int = 1_000,
    rounds: int = 20,
    *,
    seed: int = 1,
    warmup: int = 5,
    directory: str | Path | None = None,
) -> dict[str, float]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(dir=directory, prefix="scctn-bench-") as tmp:
        path = Path(tmp) / "db"
        t0 = time.perf_counter()
        with LevelDBStore(path) as store:
            tree = StateTree(store)
            for lo in range(0, total_keys, BUILD_BATCH):
                hi = min(total_keys, lo + BUILD_BATCH)
                batch = store.batch()
                tree.apply({_key(i): rng.randbytes(32) for i in range(lo, hi)}, batch)
                store.write(batch, sync=False)
                tree.committed()
        build_s = time.perf_counter() - t0

        apply_ms: list[float] = []
        cpu_ms: list[float] = []
        write_ms: list[float] = []
        next_key = total_keys
        with LevelDBStore(path) as store:
            tree = StateTree(store)
            for n in range(1 + warmup + rounds):
                updates: dict[bytes, bytes | None] = {}
                while len(updates) < update_keys // 2 and total_keys:
                    updates[_key(rng.randrange(total_keys))] = rng.randbytes(32)
                while len(updates) < update_keys:
                    updates[_key(next_key)] = rng.randbytes(32)
                    next_key += 1
                batch = store.batch()
                c1 = time.thread_time()
                t1 = time.perf_counter()
                tree.apply(updates, batch)
                t2 = time.perf_counter()
                c2 = time.thread_time()
                store.write(batch, sync=True)
                tree.committed()
                t3 = time.perf_counter()
                if n == 0 or n > warmup:
                    apply_ms.append((t2 - t1) * 1000)
                    cpu_ms.append((c2 - c1) * 1000)
                    write_ms.append((t3 - t2) * 1000)
    first, steady, steady_cpu = apply_ms[0], apply_ms[1:] or apply_ms, cpu_ms[1:] or cpu_ms
    return {
        "total_keys": float(total_keys),
        "update_keys": float(update_keys),
        "rounds": float(len(steady)),
        "build_s": build_s,
        "apply_first_ms": first,
        "apply_p50_ms": _percentile(steady, 50),
        "apply_p99_ms": _percentile(steady, 99),
        "apply_mean_ms": statistics.fmean(steady),
        "apply_cpu_p50_ms": _percentile(steady_cpu, 50),
        "apply_cpu_p99_ms": _percentile(steady_cpu, 99),
        "write_p50_ms": _percentile(write_ms[1:] or write_ms, 50),
        "keys_per_s": update_keys / (statistics.fmean(steady) / 1000),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--keys", type=int, default=1_000_000, help="state size (keys)")
    parser.add_argument("--update-keys", type=int, default=1_000, help="keys per apply")
    parser.add_argument("--rounds", type=int, default=20, help="timed applies")
    parser.add_argument("--warmup", type=int, default=5, help="untimed applies first")
    parser.add_argument("--dir", default=None, help="where to put the temporary database")
    args = parser.parse_args(argv)
    figures = run(args.keys, args.update_keys, args.rounds, warmup=args.warmup, directory=args.dir)
    print(
        f"state tree: {int(figures['total_keys']):,} keys, "
        f"{int(figures['update_keys']):,} keys per apply, {int(figures['rounds'])} rounds"
    )
    print(f"  build            {figures['build_s']:.1f} s")
    print(f"  first apply      {figures['apply_first_ms']:.1f} ms (cold page cache)")
    print(f"  apply p50        {figures['apply_p50_ms']:.1f} ms")
    print(f"  apply p99        {figures['apply_p99_ms']:.1f} ms")
    print(f"  apply mean       {figures['apply_mean_ms']:.1f} ms")
    print(
        f"  apply CPU        p50 {figures['apply_cpu_p50_ms']:.1f} ms, "
        f"p99 {figures['apply_cpu_p99_ms']:.1f} ms (applying thread)"
    )
    print(f"  batch write p50  {figures['write_p50_ms']:.1f} ms (sync)")
    print(f"  throughput       {figures['keys_per_s']:,.0f} keys/s")


if __name__ == "__main__":
    main()
