"""Contract-call throughput: `contract.call` transactions through the executor, as the
node runs them (no signatures, no network, no disk; the harness of scctn_node/bench/vm.py).

Two workloads, each on contracts deployed before the clock starts:

- counter: add an argument to a stored counter, emit an event, return the new value
  (one SLOAD, one SSTORE, one EMIT);
- payout: a contract pays 1 point from its own account to a holder (a ledger move with
  every rule of the point type), after storing a value; the callers go round robin.

Figures are per second of the timed region (execution plus `changes()` and the commit
to the dict), `exec_calls_per_s` counts `execute_block` alone. Every receipt must be "ok".
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from typing import Any

from scctn_node.bench.vm import DictReader, Senders, _block, _check
from vm import governance
from vm.contracts import asm
from vm.contracts import ledger_host as lh
from vm.executor import execute_block
from vm.ops.asset import AssetCreate, AssetIssue
from vm.ops.contract import ContractCall, ContractDeploy
from vm.ops.registry import Operation
from vm.ops.transfer import Transfer
from vm.state import StateView
from vm.tx import SignedTransaction

COUNTER = """
    PUSH 1
    SLOAD
    PUSH 0
    ARG
    ADD
    DUP 1
    PUSH 1
    SSTORE
    PUSHB "count"
    DUP 2
    SYS EMIT
    RETURN 1
"""

PAYOUT = """
    PUSH 7
    PUSH 9
    SSTORE
    PUSHB "PTS"
    PUSH 0
    ARG
    PUSH 1
    SYS TRANSFER
    STOP
"""

BUDGET = 50_000


@dataclass(frozen=True, slots=True)
class CallSettings:
    calls: int = 20_000
    callers: int = 500
    block: int = 2_000


def _deploy(reader: DictReader, issuer: Senders, callers: Senders) -> tuple[bytes, bytes]:
    state = StateView(reader)
    governance.add_member(state, issuer.addresses[0], "issuer")
    governance.set_roles(state, issuer.addresses[0], governance.ROLES["issuer"])
    state.release()
    counter = asm.assemble(COUNTER)
    payout = asm.assemble(PAYOUT)
    addr_counter = lh.contract_address(issuer.addresses[0], b"", lh.code_hash(counter))
    addr_payout = lh.contract_address(issuer.addresses[0], b"", lh.code_hash(payout))
    setup: list[Operation] = [
        AssetCreate("PTS", "Points", 0, 10**15),
        AssetIssue("PTS", issuer.addresses[0], 10**12),
        ContractDeploy(counter, b""),
        ContractDeploy(payout, b""),
        Transfer("PTS", addr_payout, 10**9),
    ]
    txs = [issuer.tx(0, op, gas=2_000_000) for op in setup]
    _check(execute_block(state, txs, _block(1)), "setup")
    reader.commit(state.changes())
    return addr_counter, addr_payout


def _timed(reader: DictReader, txs: list[SignedTransaction], block: int) -> tuple[float, float]:
    total = exec_s = 0.0
    height = 2
    gc.collect()
    for start in range(0, len(txs), block):
        t0 = time.perf_counter()
        state = StateView(reader)
        receipts = execute_block(state, txs[start : start + block], _block(height))
        t1 = time.perf_counter()
        reader.commit(state.changes())
        total += time.perf_counter() - t0
        exec_s += t1 - t0
        _check(receipts, f"block {height}")
        height += 1
    return total, exec_s


def bench_calls(settings: CallSettings = CallSettings()) -> dict[str, Any]:
    """Contract calls per second for the two workloads."""
    out: dict[str, Any] = {"calls": settings.calls, "block": settings.block}
    for name in ("counter", "payout"):
        reader = DictReader()
        issuer = Senders(1, 0x51)
        callers = Senders(settings.callers, 0x52)
        counter, payout = _deploy(reader, issuer, callers)
        m = len(callers.keys)
        txs = []
        for n in range(settings.calls):
            i = n % m
            if name == "counter":
                op = ContractCall(counter, (1,), BUDGET)
            else:
                op = ContractCall(payout, (callers.addresses[(i + 1) % m],), BUDGET)
            txs.append(callers.tx(i, op))
        total, exec_s = _timed(reader, txs, settings.block)
        out[f"{name}_calls_per_s"] = round(settings.calls / total)
        out[f"{name}_exec_calls_per_s"] = round(settings.calls / exec_s)
    return out


if __name__ == "__main__":
    for k, v in bench_calls().items():
        print(f"{k}: {v}")
