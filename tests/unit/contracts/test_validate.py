"""Deploy-time validation: malformed bytecode is rejected naming the offset."""

from __future__ import annotations

import pytest

from vm.contracts.asm import assemble
from vm.contracts.code import validate
from vm.contracts.errors import InvalidCode
from vm.contracts.isa import MAX_CODE, Op


def _bad(code: bytes, fragment: str) -> None:
    with pytest.raises(InvalidCode) as e:
        validate(code)
    assert fragment in e.value.message
    assert e.value.code == "invalid_code"


def test_valid_programs() -> None:
    assert validate(b"").offsets == ()
    p = validate(assemble("PUSH 1\nx:\nJUMP @x"))
    assert p.offsets == (0, 9, 10)
    assert validate(p.code) is p  # cached by code hash


@pytest.mark.parametrize("byte", [0x15, 0x1F, 0x23, 0x32, 0x42, 0x57, 0x62, 0x71, 0xFF])
def test_unknown_opcode(byte: int) -> None:
    _bad(bytes([Op.JUMPDEST, byte]), f"unknown opcode 0x{byte:02x} at offset 1")


@pytest.mark.parametrize(
    "code",
    [
        bytes([Op.PUSH]) + b"\0" * 7,
        bytes([Op.PUSHB]),
        bytes([Op.PUSHB, 3, 1, 2]),
        bytes([Op.DUP]),
        bytes([Op.SWAP]),
        bytes([Op.JUMP, 0]),
        bytes([Op.JUMPI]),
        bytes([Op.RETURN]),
        bytes([Op.SYS]),
    ],
)
def test_truncated_immediate(code: bytes) -> None:
    _bad(bytes([Op.JUMPDEST]) + code, "truncated immediate")
    _bad(bytes([Op.JUMPDEST]) + code, "at offset 1")


def test_jumps_must_land_on_jumpdest() -> None:
    _bad(bytes([Op.JUMP, 0, 0]), "jump at offset 0 to 0, not a JUMPDEST")
    _bad(bytes([Op.JUMP, 0, 5]), "not a JUMPDEST")  # past the end
    _bad(bytes([Op.JUMPDEST, Op.JUMPI, 0, 9]), "jump at offset 1 to 9")
    # a 0x22 byte inside an immediate is not a JUMPDEST
    code = bytes([Op.PUSH]) + b"\0" * 7 + b"\x22" + bytes([Op.JUMP, 0, 8])
    _bad(code, "jump at offset 9 to 8")
    validate(bytes([Op.JUMPDEST, Op.JUMP, 0, 0]))


def test_immediate_values() -> None:
    _bad(bytes([Op.DUP, 0]), "DUP 0 at offset 0")
    _bad(bytes([Op.SWAP, 0]), "SWAP 0 at offset 0")
    _bad(bytes([Op.SYS, 12]), "unknown system call 12 at offset 0")
    validate(bytes([Op.DUP, 255, Op.SWAP, 255, Op.RETURN, 255, Op.RETURN, 0]))


def test_code_size_limit() -> None:
    validate(bytes([Op.JUMPDEST]) * MAX_CODE)
    _bad(bytes([Op.JUMPDEST]) * (MAX_CODE + 1), f"over the limit of {MAX_CODE}")


def test_blocks_and_gas_tables() -> None:
    p = validate(assemble("PUSH 1\nPUSH 2\nADD\nx:\nPOP\nJUMP @x"))
    fast_gas = [g for _, _, g in p.fast]
    slow_gas = [g for _, _, g in p.slow]
    assert sum(fast_gas) == sum(slow_gas)
    assert fast_gas[1] == fast_gas[2] == 0  # inside the first block
    assert p.rest[0] == slow_gas[1] + slow_gas[2]
    assert p.fast[-1] == (Op.STOP, None, 0)  # the implicit free STOP
