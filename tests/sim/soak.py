"""Soak: run many random schedules and report every violation with its seed.

    python -m tests.sim.soak --schedules 100000 [--sizes 4,7] [--start 0]

Schedules alternate between the sizes given. A failing seed is printed as
`FAIL n=<n> seed=<seed>` with the schedule and the violations; add it to
`REGRESSION_SEEDS` in tests/sim/test_schedules.py. Exit status 1 if any failed.
"""

from __future__ import annotations

import argparse
import sys

from tests.sim.scenario import make_schedule, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--sizes", default="4,7")
    parser.add_argument("--start", type=int, default=0, help="first seed")
    parser.add_argument("--report-every", type=int, default=1000)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    failures = 0
    for k in range(args.schedules):
        seed = args.start + k // len(sizes)
        n = sizes[k % len(sizes)]
        outcome = run(make_schedule(seed, n))
        if outcome.violations:
            failures += 1
            print(f"FAIL n={n} seed={seed}: {outcome.schedule.describe()}", flush=True)
            for violation in outcome.violations[:5]:
                print(f"    {violation}", flush=True)
        if (k + 1) % args.report_every == 0:
            print(f"progress: {k + 1} schedules, {failures} failed", flush=True)
    print(f"done: {args.schedules} schedules, sizes {sizes}, {failures} failed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
