"""Helpers for the contract machine's unit tests."""

from __future__ import annotations

from vm.contracts.asm import assemble
from vm.contracts.code import validate
from vm.contracts.host import TestHost
from vm.contracts.interp import Outcome, Value
from vm.contracts.isa import BY_NAME, SYSCALL_BY_NAME, SYSCALLS

U64 = 2**64 - 1
GAS = 10**9


def exe(
    src: str, args: list[Value] | None = None, gas: int = GAS, host: TestHost | None = None
) -> Outcome:
    """Assemble, validate and run `src` on a TestHost."""
    h = host if host is not None else TestHost()
    return h.invoke(validate(assemble(src)), list(args or []), gas)


def gas_of(*names: str) -> int:
    """Table gas of the named instructions ("SYS EMIT" includes the call's own gas)."""
    total = 0
    for n in names:
        if n.startswith("SYS "):
            total += BY_NAME["SYS"].gas + SYSCALLS[SYSCALL_BY_NAME[n[4:]]][3]
        else:
            total += BY_NAME[n].gas
    return total


def ok(out: Outcome, *values: Value) -> None:
    assert out.ok, out.reason
    assert out.values == values


def trap(out: Outcome, reason: str) -> None:
    assert not out.ok
    assert out.reason == reason
    assert out.values == ()
