"""Each instruction: stack effect, gas, edge values and typed traps."""

from __future__ import annotations

import pytest

from primitives.hashing import Tags, digest
from tests.unit.contracts.util import U64, exe, gas_of, ok, trap
from vm.contracts.isa import MAX_MEMORY, MAX_STACK

BINARY = [
    ("ADD", 2, 3, 5),
    ("ADD", 0, 0, 0),
    ("ADD", U64 - 1, 1, U64),
    ("SUB", 5, 3, 2),
    ("SUB", U64, U64, 0),
    ("MUL", 6, 7, 42),
    ("MUL", U64, 1, U64),
    ("MUL", U64, 0, 0),
    ("DIV", 7, 2, 3),
    ("DIV", 0, 5, 0),
    ("MOD", 7, 2, 1),
    ("MOD", U64, 10, U64 % 10),
    ("LT", 1, 2, 1),
    ("LT", 2, 1, 0),
    ("LT", 2, 2, 0),
    ("GT", 2, 1, 1),
    ("GT", 1, 2, 0),
    ("EQ", U64, U64, 1),
    ("EQ", 0, 1, 0),
    ("AND", 1, 1, 1),
    ("AND", 1, 0, 0),
    ("AND", 0b1100, 0b1010, 0b1000),
    ("OR", 0, 0, 0),
    ("OR", 0, 1, 1),
    ("OR", 0b1100, 0b1010, 0b1110),
    ("MIN", 3, U64, 3),
    ("MAX", 3, U64, U64),
]


@pytest.mark.parametrize(("op", "a", "b", "r"), BINARY)
def test_binary(op: str, a: int, b: int, r: int) -> None:
    out = exe(f"PUSH {a}\nPUSH {b}\n{op}\nRETURN 1")
    ok(out, r)
    assert out.gas_used == gas_of("PUSH", "PUSH", op, "RETURN")


@pytest.mark.parametrize(
    ("op", "a", "b", "reason"),
    [
        ("ADD", U64, 1, "overflow"),
        ("SUB", 0, 1, "overflow"),
        ("SUB", 3, 5, "overflow"),
        ("MUL", 2**32, 2**32, "overflow"),
        ("DIV", 5, 0, "division by zero"),
        ("MOD", 5, 0, "division by zero"),
    ],
)
def test_binary_traps(op: str, a: int, b: int, reason: str) -> None:
    out = exe(f"PUSH {a}\nPUSH {b}\n{op}\nPUSH 1\nRETURN 1")
    trap(out, reason)
    assert out.gas_used == gas_of("PUSH", "PUSH", op)  # not the instructions after the trap


@pytest.mark.parametrize("op", [b[0] for b in BINARY] + ["CONCAT"])
def test_binary_underflow(op: str) -> None:
    trap(exe(op), "stack underflow")
    trap(exe(f"PUSH 1\n{op}"), "stack underflow")


@pytest.mark.parametrize(
    "op", ["ADD", "SUB", "MUL", "DIV", "MOD", "LT", "GT", "AND", "OR", "MIN", "MAX"]
)
@pytest.mark.parametrize("operands", [('PUSHB "a"', "PUSH 1"), ("PUSH 1", 'PUSHB "a"')])
def test_int_ops_reject_bytes(op: str, operands: tuple[str, str]) -> None:
    trap(exe(f"{operands[0]}\n{operands[1]}\n{op}\nRETURN 1"), "type error")
    trap(exe(f'PUSHB "a"\nPUSHB "b"\n{op}\nRETURN 1'), "type error")


def test_mul_of_bytes_never_repeats() -> None:
    trap(exe(f'PUSHB "ab"\nPUSH {U64}\nMUL\nRETURN 1'), "type error")
    trap(exe('PUSHB "%d"\nPUSH 5\nMOD\nRETURN 1'), "type error")


@pytest.mark.parametrize(
    ("a", "b", "c", "r"),
    [(6, 7, 2, 21), (U64, U64, U64, U64), (U64, 3, 4, U64 * 3 // 4), (0, U64, 1, 0), (1, 1, 3, 0)],
)
def test_muldiv(a: int, b: int, c: int, r: int) -> None:
    out = exe(f"PUSH {a}\nPUSH {b}\nPUSH {c}\nMULDIV\nRETURN 1")
    ok(out, r)
    assert out.gas_used == gas_of("PUSH", "PUSH", "PUSH", "MULDIV", "RETURN")


def test_muldiv_traps() -> None:
    trap(exe("PUSH 1\nPUSH 1\nPUSH 0\nMULDIV"), "division by zero")
    trap(exe(f"PUSH {U64}\nPUSH 2\nPUSH 1\nMULDIV"), "overflow")
    trap(exe('PUSH 1\nPUSHB "x"\nPUSH 1\nMULDIV'), "type error")
    trap(exe("PUSH 1\nPUSH 1\nMULDIV"), "stack underflow")


def test_eq_bytes_and_mixed() -> None:
    ok(exe('PUSHB "ab"\nPUSHB "ab"\nEQ\nRETURN 1'), 1)
    ok(exe('PUSHB "ab"\nPUSHB "ac"\nEQ\nRETURN 1'), 0)
    ok(exe('PUSHB ""\nPUSHB 0x\nEQ\nRETURN 1'), 1)
    trap(exe('PUSH 0\nPUSHB ""\nEQ\nRETURN 1'), "type error")


@pytest.mark.parametrize("op", ["ISZERO", "NOT"])
def test_unary_logical(op: str) -> None:
    for a, r in ((0, 1), (1, 0), (U64, 0)):
        out = exe(f"PUSH {a}\n{op}\nRETURN 1")
        ok(out, r)
        assert out.gas_used == gas_of("PUSH", op, "RETURN")
    trap(exe(f'PUSHB ""\n{op}'), "type error")
    trap(exe(op), "stack underflow")


def test_push_edges() -> None:
    ok(exe(f"PUSH 0\nPUSH {U64}\nRETURN 2"), 0, U64)
    ok(exe('PUSHB ""\nPUSHB 0x00ff\nPUSHB "hi"\nRETURN 3'), b"", b"\x00\xff", b"hi")
    big = "ab" * 255
    ok(exe(f"PUSHB 0x{big}\nRETURN 1"), bytes.fromhex(big))


def test_pop_dup_swap() -> None:
    ok(exe("PUSH 1\nPUSH 2\nPOP\nRETURN 1"), 1)
    trap(exe("POP"), "stack underflow")
    ok(exe("PUSH 1\nPUSH 2\nDUP 1\nRETURN 3"), 1, 2, 2)
    ok(exe("PUSH 1\nPUSH 2\nDUP 2\nRETURN 3"), 1, 2, 1)
    trap(exe("PUSH 1\nDUP 2"), "stack underflow")
    ok(exe("PUSH 1\nPUSH 2\nSWAP 1\nRETURN 2"), 2, 1)
    ok(exe("PUSH 1\nPUSH 2\nPUSH 3\nSWAP 2\nRETURN 3"), 3, 2, 1)
    trap(exe("PUSH 1\nSWAP 1"), "stack underflow")
    trap(exe("SWAP 1"), "stack underflow")
    out = exe("PUSH 1\nDUP 1\nSWAP 1\nPOP\nRETURN 1")
    assert out.gas_used == gas_of("PUSH", "DUP", "SWAP", "POP", "RETURN")


def test_stack_limit() -> None:
    full = "PUSH 7\n" * MAX_STACK
    out = exe(full + "RETURN 1")
    ok(out, 7)
    for extra in ("PUSH 1", 'PUSHB "x"', "DUP 1", "NARGS", "SYS HEIGHT"):
        out = exe(full + extra + "\nRETURN 1")
        trap(out, "stack overflow")
    out = exe("PUSH 7\n" * (MAX_STACK - 1) + "DUP 255\nRETURN 1")
    ok(out, 7)


def test_return_and_stop() -> None:
    ok(exe("PUSH 1\nPUSH 2\nPUSH 3\nRETURN 2"), 2, 3)
    ok(exe("PUSH 1\nRETURN 0"), *())
    trap(exe("PUSH 1\nRETURN 2"), "stack underflow")
    out = exe("PUSH 1\nSTOP\nPUSH 2\nRETURN 1")
    ok(out)
    assert out.gas_used == gas_of("PUSH", "STOP")
    out = exe("PUSH 1")  # running off the end: a free STOP
    ok(out)
    assert out.gas_used == gas_of("PUSH")
    ok(exe(""))


def test_revert() -> None:
    out = exe('PUSH 1\nPUSHB "not allowed"\nREVERT\nPUSH 1')
    trap(out, "revert: not allowed")
    assert out.gas_used == gas_of("PUSH", "PUSHB", "REVERT")
    trap(exe("PUSHB 0xff\nREVERT"), "revert: \\xff")
    trap(exe("PUSH 1\nREVERT"), "type error")
    trap(exe("REVERT"), "stack underflow")


def test_memory() -> None:
    ok(exe("PUSH 9\nPUSH 0\nMSTORE\nPUSH 0\nMLOAD\nPUSH 1\nMLOAD\nRETURN 2"), 9, 0)
    last = MAX_MEMORY - 1
    ok(exe(f'PUSHB "v"\nPUSH {last}\nMSTORE\nPUSH {last}\nMLOAD\nRETURN 1'), b"v")
    trap(exe(f"PUSH {MAX_MEMORY}\nMLOAD"), "memory index")
    trap(exe(f"PUSH 1\nPUSH {U64}\nMSTORE"), "memory index")
    trap(exe('PUSHB ""\nMLOAD'), "type error")
    trap(exe('PUSH 1\nPUSHB ""\nMSTORE'), "type error")
    trap(exe("PUSH 1\nMSTORE"), "stack underflow")
    out = exe("PUSH 9\nPUSH 0\nMSTORE\nPUSH 0\nMLOAD\nRETURN 1")
    assert out.gas_used == gas_of("PUSH", "PUSH", "MSTORE", "PUSH", "MLOAD", "RETURN")


def test_args() -> None:
    ok(exe("NARGS\nRETURN 1", [5, b"x"]), 2)
    ok(exe("PUSH 1\nARG\nPUSH 0\nARG\nRETURN 2", [5, b"x"]), b"x", 5)
    trap(exe("PUSH 2\nARG", [5, b"x"]), "argument index")
    trap(exe(f"PUSH {U64}\nARG"), "argument index")
    trap(exe('PUSHB ""\nARG', [1]), "type error")
    ok(exe("NARGS\nRETURN 1"), 0)


@pytest.mark.parametrize("bad", [-1, 2**64, True, 1.5, "s", b"x" * 257, None])
def test_bad_arguments_fail_without_running(bad: object) -> None:
    out = exe("PUSH 1\nRETURN 1", [bad])  # type: ignore[list-item]
    trap(out, "bad argument")
    assert out.gas_used == 0


def test_bytes_ops() -> None:
    ok(exe('PUSHB "ab"\nPUSHB "cd"\nCONCAT\nRETURN 1'), b"abcd")
    ok(exe('PUSHB ""\nPUSHB ""\nCONCAT\nLEN\nRETURN 1'), 0)
    half = "ab" * 128
    ok(exe(f"PUSHB 0x{half}\nPUSHB 0x{half}\nCONCAT\nLEN\nRETURN 1"), 256)
    trap(exe(f"PUSHB 0x{half}\nPUSHB 0x{half}00\nCONCAT"), "value too long")
    trap(exe("PUSH 1\nPUSH 2\nCONCAT"), "type error")
    trap(exe('PUSHB "a"\nPUSH 2\nCONCAT'), "type error")
    ok(exe('PUSHB "abc"\nLEN\nRETURN 1'), 3)
    trap(exe("PUSH 3\nLEN"), "type error")


def test_tobytes_toint() -> None:
    ok(exe("PUSH 258\nTOBYTES\nRETURN 1"), (258).to_bytes(8, "big"))
    ok(exe(f"PUSH {U64}\nTOBYTES\nTOINT\nRETURN 1"), U64)
    ok(exe('PUSHB ""\nTOINT\nRETURN 1'), 0)
    ok(exe("PUSHB 0x0102\nTOINT\nRETURN 1"), 258)
    trap(exe("PUSHB 0x010203040506070809\nTOINT"), "value too long")
    trap(exe('PUSHB "a"\nTOBYTES'), "type error")
    trap(exe("PUSH 1\nTOINT"), "type error")


def test_hash() -> None:
    out = exe('PUSHB "abc"\nHASH\nRETURN 1')
    ok(out, digest(Tags.CONTRACT_HASH, b"abc"))
    assert out.gas_used == gas_of("PUSHB", "HASH", "RETURN")
    ok(exe('PUSHB ""\nHASH\nLEN\nRETURN 1'), 32)
    trap(exe("PUSH 1\nHASH"), "type error")


def test_jumps() -> None:
    src = "PUSH 1\nJUMP @end\nPUSH 2\nend:\nRETURN 1"
    out = exe(src)
    ok(out, 1)
    assert out.gas_used == gas_of("PUSH", "JUMP", "JUMPDEST", "RETURN")
    ok(exe("PUSH 7\nPUSH 1\nJUMPI @x\nPUSH 8\nx:\nRETURN 1"), 7)
    ok(exe("PUSH 7\nPUSH 0\nJUMPI @x\nPUSH 8\nx:\nRETURN 1"), 8)
    ok(exe(f"PUSH 7\nPUSH {U64}\nJUMPI @x\nPUSH 8\nx:\nRETURN 1"), 7)
    trap(exe('PUSHB "x"\nJUMPI @x\nx:\nSTOP'), "type error")
    trap(exe("JUMPI @x\nx:\nSTOP"), "stack underflow")


def test_loop_counts() -> None:
    src = "PUSH 0\nloop:\nPUSH 1\nADD\nDUP 1\nPUSH 1000\nLT\nJUMPI @loop\nRETURN 1"
    out = exe(src)
    ok(out, 1000)
    body = gas_of("JUMPDEST", "PUSH", "ADD", "DUP", "PUSH", "LT", "JUMPI")
    assert out.gas_used == gas_of("PUSH") + 1000 * body + gas_of("RETURN")


def test_storage() -> None:
    from vm.contracts.host import TestHost

    h = TestHost()
    out = exe('PUSH 5\nPUSHB "k"\nSSTORE\nPUSHB "k"\nSLOAD\nPUSH 1\nSLOAD\nRETURN 2', host=h)
    ok(out, 5, 0)
    assert out.gas_used == gas_of(
        "PUSH", "PUSHB", "SSTORE", "PUSHB", "SLOAD", "PUSH", "SLOAD", "RETURN"
    )
    assert h.storage == {b"k": 5}
    ok(exe('PUSHB "v"\nPUSH 1\nSSTORE', host=h))
    assert h.storage == {b"k": 5, 1: b"v"}
    ok(exe('PUSH 0\nPUSHB "k"\nSSTORE\nPUSHB ""\nPUSH 1\nSSTORE', host=h))
    assert h.storage == {}
    trap(exe("PUSH 1\nSSTORE"), "stack underflow")


def test_storage_gas_is_exact() -> None:
    out = exe('PUSH 5\nPUSHB "k"\nSSTORE\nPUSHB "k"\nSLOAD\nRETURN 1')
    assert out.gas_used == gas_of("PUSH", "PUSHB", "SSTORE", "PUSHB", "SLOAD", "RETURN")
