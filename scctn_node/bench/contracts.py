"""Speed of the contract machine alone (`scctn bench contracts`).

- loop: a counting loop of simple instructions (JUMPDEST, PUSH, ADD, DUP, PUSH, LT,
  JUMPI), run once with enough gas; instructions/s is instructions executed over the
  wall time of `interp.run` (best of `rounds`).
- call: a small contract (read a stored counter, add the argument, store it, emit an
  event, return the new value) called repeatedly through the in-memory `TestHost`
  (which snapshots its world on every call, like the executor); time per call.
- decode: `validate` of that contract without the cache (what a deploy costs).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from vm.contracts import code as code_mod
from vm.contracts.asm import assemble
from vm.contracts.code import validate
from vm.contracts.host import TestHost
from vm.contracts.interp import run

LOOP_BODY = 7  # instructions per iteration

COUNTER = """
    PUSHB "count"
    SLOAD
    PUSH 0
    ARG
    ADD
    DUP 1
    PUSHB "count"
    SSTORE
    PUSHB "counted"
    DUP 2
    SYS EMIT
    RETURN 1
"""


@dataclass(frozen=True, slots=True)
class ContractSettings:
    iterations: int = 300_000
    calls: int = 20_000
    rounds: int = 3


def _loop_source(iterations: int) -> str:
    return f"""
        PUSH 0
    loop:
        PUSH 1
        ADD
        DUP 1
        PUSH {iterations}
        LT
        JUMPI @loop
        RETURN 1
    """


def run_bench(settings: ContractSettings) -> dict[str, float]:
    program = validate(assemble(_loop_source(settings.iterations)))
    executed = 1 + settings.iterations * LOOP_BODY + 1
    best = float("inf")
    for _ in range(settings.rounds):
        t0 = time.perf_counter()
        out = run(program, TestHost(), [], 10**15)
        best = min(best, time.perf_counter() - t0)
        if not out.ok or out.values != (settings.iterations,):
            raise RuntimeError(f"loop benchmark failed: {out.reason}")
    loop_gas = out.gas_used

    counter = assemble(COUNTER)
    host = TestHost()
    per_call = float("inf")
    for _ in range(settings.rounds):
        t0 = time.perf_counter()
        for _ in range(settings.calls):
            out = host.invoke(validate(counter), [1], 100_000)
        per_call = min(per_call, (time.perf_counter() - t0) / settings.calls)
        if not out.ok:
            raise RuntimeError(f"call benchmark failed: {out.reason}")

    t0 = time.perf_counter()
    for _ in range(1_000):
        code_mod._decode(counter)
    decode = (time.perf_counter() - t0) / 1_000
    return {
        "loop instructions/s": executed / best,
        "loop gas/s": loop_gas / best,
        "call us/call": per_call * 1e6,
        "call calls/s": 1 / per_call,
        "call gas/call": float(out.gas_used),
        "decode us/contract": decode * 1e6,
    }


def main(settings: ContractSettings = ContractSettings()) -> dict[str, float]:
    figures = run_bench(settings)
    print(
        f"contract machine alone: a loop of {settings.iterations:,} iterations x {LOOP_BODY} "
        f"instructions, {settings.calls:,} calls of a small contract (best of {settings.rounds})"
    )
    for k, v in figures.items():
        print(f"  {k:<28} {v:,.2f}")
    return figures
