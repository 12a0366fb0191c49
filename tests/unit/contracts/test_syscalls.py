"""System calls against the in-memory TestHost, and its journal."""

from __future__ import annotations

from tests.unit.contracts.util import exe, gas_of, ok, trap
from vm.contracts.asm import assemble
from vm.contracts.code import validate
from vm.contracts.host import TestHost, TestWorld
from vm.contracts.isa import MAX_CALL_DEPTH

SELF = b"\xc0" * 20
CALLER = b"\xa1" * 20
BOB = b"\xb0" * 20


def test_context_calls() -> None:
    h = TestHost(SELF, CALLER)
    h.world.height = 42
    h.world.time_ms = 1234
    out = exe("SYS CALLER\nSYS SELF\nSYS HEIGHT\nSYS TIME\nRETURN 4", host=h)
    ok(out, CALLER, SELF, 42, 1234)
    assert out.gas_used == gas_of("SYS CALLER", "SYS SELF", "SYS HEIGHT", "SYS TIME", "RETURN")


def test_balance_transfer_burn() -> None:
    h = TestHost(SELF, CALLER)
    h.world.balances[(SELF, "PTS")] = 100
    src = f"""
        PUSHB "PTS"
        PUSHB 0x{BOB.hex()}
        PUSH 30
        SYS TRANSFER
        PUSHB "PTS"
        PUSH 20
        SYS BURN
        PUSHB 0x{BOB.hex()}
        PUSHB "PTS"
        SYS BALANCE
        SYS SELF
        PUSHB "PTS"
        SYS BALANCE
        RETURN 2
    """
    ok(exe(src, host=h), 30, 50)
    assert h.world.balances == {(SELF, "PTS"): 50, (BOB, "PTS"): 30}


def test_failed_transfer_reverts_everything() -> None:
    h = TestHost(SELF, CALLER)
    h.world.balances[(SELF, "PTS")] = 10
    src = f"""
        PUSH 1
        PUSHB "k"
        SSTORE
        PUSHB "PTS"
        PUSHB 0x{BOB.hex()}
        PUSH 5
        SYS TRANSFER
        PUSHB "PTS"
        PUSHB 0x{BOB.hex()}
        PUSH 6
        SYS TRANSFER
    """
    out = exe(src, host=h)
    trap(out, "insufficient balance")
    assert out.gas_used == gas_of(
        "PUSH", "PUSHB", "SSTORE", "PUSHB", "PUSHB", "PUSH", "SYS TRANSFER"
    ) + gas_of("PUSHB", "PUSHB", "PUSH", "SYS TRANSFER")
    assert h.world.balances == {(SELF, "PTS"): 10}
    assert h.storage == {}


def test_syscall_argument_types() -> None:
    trap(exe('PUSH 1\nPUSHB "PTS"\nSYS BALANCE'), "type error")
    trap(exe('PUSHB "a"\nPUSHB 0xff\nSYS BALANCE'), "bad symbol")
    trap(exe('PUSHB "PTS"\nPUSHB "to"\nPUSHB "x"\nSYS TRANSFER'), "type error")
    trap(exe("PUSH 1\nPUSH 1\nSYS BURN"), "type error")
    trap(exe("PUSH 1\nPUSH 1\nSYS EMIT"), "type error")
    trap(exe('PUSHB "a"\nPUSHB 0xc3a9\nSYS ROLE'), "bad role name")
    trap(exe("SYS TRANSFER"), "stack underflow")


def test_issue_within_delegation() -> None:
    h = TestHost(SELF, CALLER)
    h.world.issuable[(SELF, "PTS")] = 10
    src = f'PUSHB "PTS"\nPUSHB 0x{BOB.hex()}\nARG 0\nSYS ISSUE'.replace("ARG 0", "PUSH 0\nARG")
    ok(exe(src, [7], host=h))
    trap(exe(src, [4], host=h), "over delegation cap")
    assert h.world.balances == {(BOB, "PTS"): 7}
    assert h.world.issuable[(SELF, "PTS")] == 3


def test_emit_and_role() -> None:
    h = TestHost(SELF, CALLER)
    h.world.roles.add((BOB, "issuer"))
    src = f"""
        PUSHB "topic"
        PUSH 9
        SYS EMIT
        PUSHB 0x{BOB.hex()}
        PUSHB "issuer"
        SYS ROLE
        PUSHB 0x{BOB.hex()}
        PUSHB "auditor"
        SYS ROLE
        RETURN 2
    """
    ok(exe(src, host=h), 1, 0)
    assert h.world.events == [(SELF, b"topic", 9)]
    out = exe('PUSHB "t"\nPUSH 1\nSYS EMIT\nPUSH 0\nPUSH 1\nSUB', host=h)
    trap(out, "overflow")
    assert h.world.events == [(SELF, b"topic", 9)]  # the failed run's event is gone


CALLEE = b"\xcc" * 20
ADDER = """
    PUSH 0
    ARG
    PUSH 1
    ARG
    ADD
    DUP 1
    PUSHB "last"
    SSTORE
    SYS CALLER
    RETURN 2
"""


def _world_with(code: str) -> TestWorld:
    w = TestWorld()
    w.contracts[CALLEE] = validate(assemble(code))
    return w


CALL_SRC = f"""
    PUSHB 0x{CALLEE.hex()}
    PUSH 0
    ARG
    PUSH 1
    ARG
    PUSH 2
    SYS CALL
    RETURN 3
"""


def test_call_returns_values_and_count() -> None:
    w = _world_with(ADDER)
    h = TestHost(SELF, CALLER, w)
    out = exe(CALL_SRC, [2, 3], host=h)
    ok(out, 5, SELF, 2)
    assert w.storage == {CALLEE: {b"last": 5}}
    callee_gas = gas_of("PUSH", "ARG", "PUSH", "ARG", "ADD", "DUP", "PUSHB", "SSTORE")
    callee_gas += gas_of("SYS CALLER", "RETURN")
    own = gas_of("PUSHB", "PUSH", "ARG", "PUSH", "ARG", "PUSH", "SYS CALL", "RETURN")
    assert out.gas_used == own + callee_gas


def test_failed_inner_call_fails_the_outer_and_reverts() -> None:
    w = _world_with(ADDER)
    h = TestHost(SELF, CALLER, w)
    src = 'PUSH 1\nPUSHB "mine"\nSSTORE\n' + CALL_SRC
    out = exe(src, [2**64 - 1, 1], host=h)
    trap(out, "call failed: overflow")
    assert w.storage == {}
    assert out.gas_used > gas_of("PUSH", "PUSHB", "SSTORE", "SYS CALL")


def test_call_gas_is_bounded_by_what_is_left() -> None:
    w = _world_with("top:\nJUMP @top")
    h = TestHost(SELF, CALLER, w)
    out = exe(CALL_SRC, [1, 2], gas=100_000, host=h)
    trap(out, "call failed: out of gas")
    assert out.gas_used == 100_000


def test_call_unknown_contract_and_bad_arguments() -> None:
    trap(exe(CALL_SRC, [1, 2]), "no such contract")
    trap(exe("PUSH 1\nPUSH 5\nSYS CALL"), "stack underflow")
    trap(exe('PUSHB "a"\nSYS CALL'), "type error")
    trap(exe("PUSH 1\nPUSH 0\nSYS CALL"), "type error")


def test_call_depth_is_bounded() -> None:
    w = TestWorld()
    me = b"\xdd" * 20
    # calls itself forever: each level adds one to the depth
    w.contracts[me] = validate(assemble(f"PUSHB 0x{me.hex()}\nPUSH 0\nSYS CALL\nRETURN 1"))
    h = TestHost(me, CALLER, w)
    out = h.invoke(w.contracts[me], [], 10**9)
    prefix = "call failed: " * MAX_CALL_DEPTH
    trap(out, prefix + "call depth")
    out = h.invoke(w.contracts[me], [], 10**9, depth=MAX_CALL_DEPTH)
    trap(out, "call depth")


def test_call_results_respect_the_stack_limit() -> None:
    w = _world_with("PUSH 1\n" * 200 + "RETURN 200")
    h = TestHost(SELF, CALLER, w)
    src = "PUSH 1\n" * 55 + f"PUSHB 0x{CALLEE.hex()}\nPUSH 0\nSYS CALL\nRETURN 1"
    ok(exe(src, host=h), 200)
    src = "PUSH 1\n" * 56 + f"PUSHB 0x{CALLEE.hex()}\nPUSH 0\nSYS CALL\nRETURN 1"
    trap(exe(src, host=h), "stack overflow")


class BuggyHost(TestHost):
    def height(self) -> int:
        raise TypeError("a bug in the host")


def test_a_host_bug_is_not_a_trap() -> None:
    import pytest

    from vm.contracts.interp import HostError

    with pytest.raises(HostError, match="a bug in the host"):
        exe("SYS HEIGHT\nRETURN 1", host=BuggyHost())


def test_deployer() -> None:
    deployer = b"\xd0" * 20
    ok(
        exe("SYS DEPLOYER\nSYS CALLER\nRETURN 2", host=TestHost(SELF, CALLER, deployer=deployer)),
        deployer,
        CALLER,
    )
    ok(exe("SYS DEPLOYER\nRETURN 1", host=TestHost(SELF, CALLER)), CALLER)  # default: the caller
