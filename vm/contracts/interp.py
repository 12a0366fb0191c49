"""The contract interpreter: a tight loop over a validated, pre-decoded `Program`.

Theory of operation. The stack is a Python list of values (u64 ints or byte strings of at
most MAX_VALUE_BYTES); memory is MAX_MEMORY slots. Gas is charged per basic block (see
`vm/contracts/code.py`): when a block's gas exceeds what is left the loop switches to the
per-instruction table, so out of gas stops at the exact instruction whose gas cannot be
paid, and a trap mid-block refunds the gas of the instructions after it. The result is the
same as charging each instruction before it runs.

Every failure a program can cause is a typed trap and becomes `Outcome(ok=False, ...)`:
Python's IndexError (stack underflow), TypeError (type error) and ZeroDivisionError
(division by zero) raised by the operations are mapped to traps, so each operation checks
only what Python would not. A trap or out of gas leaves the host's effects to be reverted
by the caller; gas used is what was charged (all of it on out of gas).

Deterministic: no floats, no clocks, no iteration over unordered containers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from primitives.hashing import Tags, digest
from vm.contracts.code import Program
from vm.contracts.errors import Trap
from vm.contracts.isa import MAX_CALL_DEPTH, MAX_MEMORY, MAX_STACK, MAX_VALUE_BYTES, U64_MAX

if TYPE_CHECKING:
    from vm.contracts.host import Host

Value = int | bytes
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    values: tuple[Value, ...]
    gas_used: int
    reason: str


class _OutOfGas(Exception):
    pass


def is_value(v: object) -> bool:
    """A machine value: a u64 int (not a bool) or bytes of at most MAX_VALUE_BYTES."""
    if type(v) is int:
        return 0 <= v <= U64_MAX
    return type(v) is bytes and len(v) <= MAX_VALUE_BYTES


def run(program: Program, host: Host, args: list[Value], gas_limit: int, depth: int = 0) -> Outcome:
    """Run `program` with `args`; never raises for anything the program does."""
    gas_limit = max(0, gas_limit)
    if not all(is_value(a) for a in args):
        return Outcome(False, (), 0, "bad argument")
    if depth > MAX_CALL_DEPTH:
        return Outcome(False, (), 0, "call depth")
    return _loop(program, host, tuple(args), gas_limit, depth)


def _loop(
    program: Program, host: Host, args: tuple[Value, ...], gas_limit: int, depth: int
) -> Outcome:
    code = program.fast
    slow = program.slow
    rest = program.rest
    gas = gas_limit
    stack: list[Any] = []
    push = stack.append
    pop = stack.pop
    mem: list[Any] = [0] * MAX_MEMORY
    nargs = len(args)
    pc = 0
    reason = ""
    try:
        while True:
            op, arg, bg = code[pc]
            pc += 1
            if bg:
                if bg > gas:
                    if code is slow:
                        raise _OutOfGas
                    code = slow
                    rest = _ZEROS
                    pc -= 1
                    continue
                gas -= bg
            if op == 0x10:  # PUSH
                if len(stack) >= MAX_STACK:
                    raise Trap("stack overflow")
                push(arg)
            elif op == 0x13:  # DUP
                if len(stack) >= MAX_STACK:
                    raise Trap("stack overflow")
                push(stack[-arg])
            elif op == 0x01:  # ADD
                b = pop()
                r = pop() + b
                if r > U64_MAX:
                    raise Trap("overflow")
                push(r)
            elif op == 0x22:  # JUMPDEST
                pass
            elif op == 0x21:  # JUMPI
                if pop() > 0:
                    pc = arg
            elif op == 0x07:  # LT
                b = pop()
                a = pop()
                if type(a) is not int:
                    raise TypeError
                push(1 if a < b else 0)
            elif op == 0x14:  # SWAP
                i = -arg - 1
                stack[-1], stack[i] = stack[i], stack[-1]
            elif op == 0x02:  # SUB
                b = pop()
                r = pop() - b
                if r < 0:
                    raise Trap("overflow")
                push(r)
            elif op == 0x20:  # JUMP
                pc = arg
            elif op == 0x12:  # POP
                pop()
            elif op == 0x30:  # MLOAD
                i = pop()
                if i >= MAX_MEMORY:
                    raise Trap("memory index")
                push(mem[i])
            elif op == 0x31:  # MSTORE
                i = pop()
                v = pop()
                if i >= MAX_MEMORY:
                    raise Trap("memory index")
                mem[i] = v
            elif op == 0x08:  # GT
                b = pop()
                a = pop()
                if type(a) is not int:
                    raise TypeError
                push(1 if a > b else 0)
            elif op == 0x09:  # EQ
                b = pop()
                a = pop()
                if type(a) is not type(b):
                    raise TypeError
                push(1 if a == b else 0)
            elif op == 0x0A or op == 0x0D:  # ISZERO, NOT
                push(0 if pop() > 0 else 1)
            elif op == 0x00:  # STOP
                return Outcome(True, (), gas_limit - gas, "")
            elif op == 0x60:  # RETURN
                n = len(stack)
                if arg > n:
                    raise IndexError
                return Outcome(True, tuple(stack[n - arg :]), gas_limit - gas, "")
            else:
                gas = _other(op, arg, stack, mem, args, nargs, host, gas, depth)
    except _OutOfGas:
        return Outcome(False, (), gas_limit, "out of gas")
    except _CallFailed as t:
        gas = t.gas_left
        reason = t.reason
    except Trap as t:
        reason = t.reason
    except IndexError:
        reason = "stack underflow"
    except TypeError:
        reason = "type error"
    except ZeroDivisionError:
        reason = "division by zero"
    return Outcome(False, (), gas_limit - gas - rest[pc - 1], reason)


_ZEROS: tuple[int, ...] = (0,) * 65536


def _int(v: Any) -> int:
    if type(v) is not int:
        raise TypeError
    return v


def _bytes(v: Any) -> bytes:
    if type(v) is not bytes:
        raise TypeError
    return v


def _other(
    op: int,
    arg: Any,
    stack: list[Any],
    mem: list[Any],
    args: tuple[Value, ...],
    nargs: int,
    host: Host,
    gas: int,
    depth: int,
) -> int:
    """The less frequent instructions; returns the gas left (CALL spends the callee's)."""
    pop = stack.pop
    push = stack.append
    if op == 0x11:  # PUSHB
        if len(stack) >= MAX_STACK:
            raise Trap("stack overflow")
        push(arg)
    elif op == 0x03:  # MUL
        b = _int(pop())
        r = _int(pop()) * b
        if r > U64_MAX:
            raise Trap("overflow")
        push(r)
    elif op == 0x04:  # DIV
        b = pop()
        push(pop() // b)
    elif op == 0x05:  # MOD
        b = pop()
        push(_int(pop()) % b)
    elif op == 0x06:  # MULDIV
        c = _int(pop())
        b = _int(pop())
        a = _int(pop())
        r = a * b // c
        if r > U64_MAX:
            raise Trap("overflow")
        push(r)
    elif op == 0x0B:  # AND
        b = pop()
        push(pop() & b)
    elif op == 0x0C:  # OR
        b = pop()
        push(pop() | b)
    elif op == 0x0E:  # MIN
        b = pop()
        push(min(_int(pop()), b))
    elif op == 0x0F:  # MAX
        b = pop()
        push(max(_int(pop()), b))
    elif op == 0x40:  # SLOAD
        push(_checked(_h(host.sload, pop())))
    elif op == 0x41:  # SSTORE
        k = pop()
        _h(host.sstore, k, pop())
    elif op == 0x50:  # ARG
        i = pop()
        if i >= nargs:
            raise Trap("argument index")
        push(args[i])
    elif op == 0x51:  # NARGS
        if len(stack) >= MAX_STACK:
            raise Trap("stack overflow")
        push(nargs)
    elif op == 0x52:  # CONCAT
        b = pop()
        r = _bytes(pop()) + b
        if len(r) > MAX_VALUE_BYTES:
            raise Trap("value too long")
        push(r)
    elif op == 0x53:  # LEN
        push(len(_bytes(pop())))
    elif op == 0x54:  # TOBYTES
        push(_int(pop()).to_bytes(8, "big"))
    elif op == 0x55:  # TOINT
        v = _bytes(pop())
        if len(v) > 8:
            raise Trap("value too long")
        push(int.from_bytes(v, "big"))
    elif op == 0x56:  # HASH
        push(digest(Tags.CONTRACT_HASH, _bytes(pop())))
    elif op == 0x61:  # REVERT
        raise Trap("revert: " + _bytes(pop()).decode("utf-8", "backslashreplace"))
    elif op == 0x70:  # SYS
        return _sys(arg, stack, host, gas, depth)
    else:  # unreachable for a validated program
        raise Trap(f"invalid opcode 0x{op:02x}")
    return gas


class HostError(RuntimeError):
    """A host method raised something other than Trap: a bug in the host, never a trap
    (so it is not mistaken for the program's own type error or stack underflow)."""


def _h(fn: Callable[..., T], *args: Any) -> T:
    try:
        return fn(*args)
    except Trap:
        raise
    except Exception as e:
        raise HostError(f"host {fn.__name__} failed: {e!r}") from e


def _checked(v: Any) -> Value:
    if not is_value(v):
        raise Trap("host returned a bad value")
    return v  # type: ignore[no-any-return]


def _text(v: Any, what: str) -> str:
    b = _bytes(v)
    try:
        return b.decode("ascii")
    except UnicodeDecodeError:
        raise Trap(f"bad {what}") from None


def _sys(sid: int, stack: list[Any], host: Host, gas: int, depth: int) -> int:
    pop = stack.pop
    push = stack.append
    if sid == 9:  # CALL
        return _call(stack, host, gas, depth)
    if (sid <= 3 or sid == 11) and len(stack) >= MAX_STACK:
        raise Trap("stack overflow")
    if sid == 0:
        push(_checked(_h(host.caller)))
    elif sid == 1:
        push(_checked(_h(host.address)))
    elif sid == 2:
        push(_checked(_h(host.height)))
    elif sid == 3:
        push(_checked(_h(host.time_ms)))
    elif sid == 4:  # BALANCE (account, symbol)
        symbol = _text(pop(), "symbol")
        push(_checked(_h(host.balance, _bytes(pop()), symbol)))
    elif sid == 5 or sid == 6:  # TRANSFER / ISSUE (symbol, to, amount)
        amount = _int(pop())
        to = _bytes(pop())
        symbol = _text(pop(), "symbol")
        if sid == 5:
            _h(host.transfer, symbol, to, amount)
        else:
            _h(host.issue, symbol, to, amount)
    elif sid == 7:  # BURN (symbol, amount)
        amount = _int(pop())
        _h(host.burn, _text(pop(), "symbol"), amount)
    elif sid == 8:  # EMIT (topic, value)
        value = pop()
        _h(host.emit, _bytes(pop()), value)
    elif sid == 10:  # ROLE (address, role)
        role = _text(pop(), "role name")
        push(1 if _h(host.has_role, _bytes(pop()), role) else 0)
    elif sid == 11:  # DEPLOYER
        push(_checked(_h(host.deployer)))
    else:
        raise Trap(f"unknown system call {sid}")
    return gas


def _call(stack: list[Any], host: Host, gas: int, depth: int) -> int:
    n = _int(stack.pop())
    if n > len(stack) - 1:
        raise IndexError
    call_args = stack[len(stack) - n :]
    del stack[len(stack) - n :]
    address = _bytes(stack.pop())
    if depth + 1 > MAX_CALL_DEPTH:
        raise Trap("call depth")
    out = _h(host.call, address, call_args, gas, depth + 1)
    gas -= min(max(out.gas_used, 0), gas)
    if not out.ok:
        raise _CallFailed("call failed: " + out.reason, gas)
    values = [_checked(v) for v in out.values]
    if len(stack) + len(values) + 1 > MAX_STACK:
        raise _CallFailed("stack overflow", gas)
    stack.extend(values)
    stack.append(len(values))
    return gas


class _CallFailed(Trap):
    """A trap after the callee spent gas: carries the gas left."""

    def __init__(self, reason: str, gas_left: int) -> None:
        super().__init__(reason)
        self.gas_left = gas_left
