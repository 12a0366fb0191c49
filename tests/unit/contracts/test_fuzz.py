"""Fuzzing: random and mutated bytecode through validate and run.

Validation raises nothing but InvalidCode; a validated program never raises, never uses
more gas than its limit, behaves exactly as with per-instruction gas, and a failed run
leaves the TestHost's world as it was.
"""

from __future__ import annotations

import copy
import dataclasses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vm.contracts.asm import assemble, disassemble
from vm.contracts.code import Program, validate
from vm.contracts.errors import InvalidCode
from vm.contracts.host import TestHost, TestWorld
from vm.contracts.interp import Value, run
from vm.contracts.isa import INSTRUCTIONS, SYSCALLS, U64_MAX, Op

SELF = b"\xc0" * 20
OTHER = b"\xcc" * 20
SEED_PROGRAMS = [
    assemble(
        """
        PUSH 0
    loop:
        PUSH 1
        ADD
        DUP 1
        DUP 1
        PUSHB "k"
        SSTORE
        PUSH 0
        ARG
        LT
        JUMPI @loop
        PUSHB "PTS"
        PUSHB 0xcccccccccccccccccccccccccccccccccccccccc
        PUSH 1
        SYS TRANSFER
        PUSHB "t"
        SWAP 1
        SYS EMIT
        RETURN 0
        """
    ),
    assemble(
        """
        PUSHB 0xcccccccccccccccccccccccccccccccccccccccc
        PUSH 0
        ARG
        PUSH 1
        SYS CALL
        POP
        PUSHB "x"
        CONCAT
        HASH
        PUSH 3
        MSTORE
        PUSH 3
        MLOAD
        RETURN 1
        """
    ),
]
CALLEE = assemble('PUSH 0\nARG\nDUP 1\nPUSHB "c"\nSSTORE\nRETURN 1')

values = st.one_of(st.integers(0, U64_MAX), st.binary(max_size=40))


def _world() -> TestWorld:
    w = TestWorld()
    w.balances[(SELF, "PTS")] = 3
    w.storage[SELF] = {b"pre": 1, 7: b"seven"}
    w.contracts[OTHER] = validate(CALLEE)
    return w


def _instruction(draw: st.DrawFn) -> bytes:
    instr = draw(st.sampled_from(INSTRUCTIONS))
    op = instr.code
    if op == Op.PUSH:
        v = draw(st.one_of(st.integers(0, 300), st.sampled_from([U64_MAX, U64_MAX - 1, 2**32])))
        return bytes([op]) + v.to_bytes(8, "big")
    if op == Op.PUSHB:
        b = draw(st.binary(max_size=12))
        return bytes([op, len(b)]) + b
    if op in (Op.JUMP, Op.JUMPI):
        return bytes([op]) + draw(st.integers(0, 80)).to_bytes(2, "big")
    if op == Op.SYS:
        return bytes([op, draw(st.sampled_from(sorted(SYSCALLS)))])
    if op in (Op.DUP, Op.SWAP, Op.RETURN):
        return bytes([op, draw(st.integers(0 if op == Op.RETURN else 1, 4))])
    return bytes([op])


@st.composite
def programs(draw: st.DrawFn) -> bytes:
    """Mostly-valid bytecode: instruction sequences, seed programs, and mutations."""
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return draw(st.binary(max_size=64))
    if choice == 1:
        code = bytearray(draw(st.sampled_from(SEED_PROGRAMS)))
        for _ in range(draw(st.integers(0, 3))):
            i = draw(st.integers(0, len(code) - 1))
            code[i] = draw(st.integers(0, 255))
        return bytes(code)
    parts = [_push(draw) for _ in range(draw(st.integers(0, 8)))]
    parts += [_instruction(draw) for _ in range(draw(st.integers(0, 30)))]
    # aim most jumps at a JUMPDEST so that more programs validate and loop
    offsets, at = [], 0
    for part in parts:
        offsets.append(at)
        at += len(part)
    dests = [off for off, part in zip(offsets, parts, strict=True) if part[0] == Op.JUMPDEST]
    for i, part in enumerate(parts):
        if part[0] in (Op.JUMP, Op.JUMPI) and dests and draw(st.booleans()):
            parts[i] = bytes([part[0]]) + draw(st.sampled_from(dests)).to_bytes(2, "big")
    return b"".join(parts)


def _push(draw: st.DrawFn) -> bytes:
    v = draw(values)
    if isinstance(v, int):
        return bytes([Op.PUSH]) + v.to_bytes(8, "big")
    return bytes([Op.PUSHB, len(v)]) + v


def _check_run(program: Program, args: list[Value], gas: int) -> None:
    world = _world()
    before = (copy.deepcopy(world.storage), dict(world.balances), list(world.events))
    host = TestHost(SELF, b"\xa1" * 20, world)
    out = host.invoke(program, args, gas)
    assert 0 <= out.gas_used <= gas
    assert isinstance(out.reason, str)
    if not out.ok:
        assert out.values == ()
        assert (world.storage, world.balances, world.events) == before
    else:
        assert all(type(v) in (int, bytes) for v in out.values)
    # block gas charging is the same as charging every instruction on its own
    exact = dataclasses.replace(program, fast=program.slow, rest=(0,) * len(program.slow))
    world2 = _world()
    out2 = TestHost(SELF, b"\xa1" * 20, world2).invoke(exact, args, gas)
    assert out2 == out
    assert (world2.storage, world2.balances, world2.events) == (
        world.storage,
        world.balances,
        world.events,
    )


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.lists(values, max_size=3), st.integers(0, 20_000))
def test_random_bytecode(code: bytes, args: list[Value], gas: int) -> None:
    try:
        program = validate(code)
    except InvalidCode as e:
        assert "offset" in e.message
        return
    _check_run(program, args, gas)
    assert assemble(disassemble(code)) == code


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_disassembly_round_trips_any_bytes(code: bytes) -> None:
    assert assemble(disassemble(code)) == code


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEED_PROGRAMS), st.lists(values, max_size=2), st.integers(0, 60_000))
def test_seed_programs_any_gas(code: bytes, args: list[Value], gas: int) -> None:
    _check_run(validate(code), args, gas)


def test_valid_seed_programs_succeed_with_enough_gas() -> None:
    host = TestHost(SELF, b"\xa1" * 20, _world())
    out = host.invoke(validate(SEED_PROGRAMS[0]), [3], 10**6)
    assert out.ok, out.reason
    out = host.invoke(validate(SEED_PROGRAMS[1]), [b"z"], 10**6)
    assert out.ok, out.reason
    assert run(validate(SEED_PROGRAMS[1]), host, [], 10**6).reason == "argument index"


def test_every_prefix_validates_or_is_invalid_code() -> None:
    for code in SEED_PROGRAMS + [CALLEE]:
        for n in range(len(code) + 1):
            try:
                program = validate(code[:n])
            except InvalidCode as e:
                assert "offset" in e.message
                continue
            _check_run(program, [1], 50_000)
