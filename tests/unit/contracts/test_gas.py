"""Gas: charged per instruction before it runs, exact under block charging."""

from __future__ import annotations

from tests.unit.contracts.util import gas_of, ok, trap
from vm.contracts.asm import assemble
from vm.contracts.code import validate
from vm.contracts.host import TestHost
from vm.contracts.interp import Value, run


class RecordingHost(TestHost):
    """Records every store and never rolls back: shows which instructions really ran."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[Value, Value]] = []

    def sstore(self, key: Value, value: Value) -> None:
        self.log.append((key, value))


SRC = """
    PUSH 1
    PUSH 10
    SSTORE
    PUSH 2
    PUSH 3
    ADD
    PUSH 11
    SSTORE
    PUSH 3
    PUSH 12
    SSTORE
    RETURN 0
"""
STEPS = ["PUSH", "PUSH", "SSTORE", "PUSH", "PUSH", "ADD", "PUSH", "SSTORE"]
STEPS += ["PUSH", "PUSH", "SSTORE", "RETURN"]


def test_out_of_gas_stops_at_the_exact_instruction() -> None:
    program = validate(assemble(SRC))
    total = gas_of(*STEPS)
    stores_at = []  # gas needed to have run each SSTORE
    acc = 0
    for s in STEPS:
        acc += gas_of(s)
        if s == "SSTORE":
            stores_at.append(acc)
    for g in list(range(0, 40)) + [stores_at[0] - 1, stores_at[0], total - 1, total]:
        host = RecordingHost()
        out = run(program, host, [], g)
        assert len(host.log) == sum(1 for need in stores_at if need <= g), g
        if g < total:
            trap(out, "out of gas")
            assert out.gas_used == g
        else:
            ok(out)
            assert out.gas_used == total
    for g in range(stores_at[1] - 3, stores_at[2] + 3):
        host = RecordingHost()
        out = run(program, host, [], g)
        assert len(host.log) == sum(1 for need in stores_at if need <= g)


def test_gas_limit_edges() -> None:
    program = validate(assemble("PUSH 1\nRETURN 1"))
    need = gas_of("PUSH", "RETURN")
    ok(run(program, TestHost(), [], need), 1)
    trap(run(program, TestHost(), [], need - 1), "out of gas")
    trap(run(program, TestHost(), [], 0), "out of gas")
    trap(run(program, TestHost(), [], -5), "out of gas")
    assert run(program, TestHost(), [], -5).gas_used == 0
    assert run(validate(b""), TestHost(), [], 0).ok  # the implicit STOP is free


def test_trap_in_a_block_charges_up_to_the_trap() -> None:
    out = run(
        validate(assemble("PUSH 0\nPUSH 1\nSUB\nPUSH 5\nPUSH 6\nRETURN 2")), TestHost(), [], 10**6
    )
    trap(out, "overflow")
    assert out.gas_used == gas_of("PUSH", "PUSH", "SUB")


def test_trap_after_switching_to_exact_charging() -> None:
    # not enough gas for the whole block, but enough to reach the trap
    program = validate(assemble("PUSH 0\nPUSH 1\nSUB\nPUSH 5\nPUSH 6\nRETURN 2"))
    need = gas_of("PUSH", "PUSH", "SUB")
    out = run(program, TestHost(), [], need + 1)
    trap(out, "overflow")
    assert out.gas_used == need


def test_loop_runs_out_of_gas() -> None:
    program = validate(assemble("top:\nJUMP @top"))
    out = run(program, TestHost(), [], 1_000_001)
    trap(out, "out of gas")
    assert out.gas_used == 1_000_001
