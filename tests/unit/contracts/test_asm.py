"""Assembler syntax, errors with line numbers, and disassembly round trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from vm.contracts.asm import assemble, disassemble
from vm.contracts.code import validate
from vm.contracts.errors import AsmError
from vm.contracts.isa import Op

EXAMPLES = sorted((Path(__file__).resolve().parents[3] / "contracts" / "examples").glob("*.sasm"))


def test_brief_syntax() -> None:
    src = """
    ; a comment line
    .const FEE 5
    .const NAME "pts"      ; a bytes constant
    start:
        PUSH 5             ; comment after an instruction
        PUSH FEE
        PUSHB "text; not a comment"
        PUSHB 0xabcd
        PUSHB NAME
        DUP 1
        SWAP 1
        SYS TRANSFER
        JUMP @start
        RETURN 1
    """
    code = assemble(src)
    validate(code)
    assert code[0] == Op.JUMPDEST  # the label placed a JUMPDEST
    assert code[1:10] == bytes([Op.PUSH]) + (5).to_bytes(8, "big")
    assert code[10:19] == bytes([Op.PUSH]) + (5).to_bytes(8, "big")
    text = b"text; not a comment"
    assert code[19 : 21 + len(text)] == bytes([Op.PUSHB, len(text)]) + text
    rest = code[21 + len(text) :]
    assert rest[:4] == bytes([Op.PUSHB, 2, 0xAB, 0xCD])
    assert rest[4:9] == bytes([Op.PUSHB, 3]) + b"pts"
    assert rest[9:] == bytes([Op.DUP, 1, Op.SWAP, 1, Op.SYS, 5, Op.JUMP, 0, 0, Op.RETURN, 1])


def test_labels() -> None:
    # an explicit JUMPDEST after a label is not doubled; labels may share a line
    assert assemble("a:\nJUMPDEST\nJUMP @a") == bytes([Op.JUMPDEST, Op.JUMP, 0, 0])
    assert assemble("a: b: JUMPDEST\nJUMP @b") == bytes([Op.JUMPDEST, Op.JUMP, 0, 0])
    assert assemble("JUMP @end\nend:") == bytes([Op.JUMP, 0, 3, Op.JUMPDEST])
    assert assemble("PUSH 1\nx: POP") == bytes([Op.PUSH]) + bytes(7) + b"\x01" + b"\x22\x12"


def test_case_and_numbers() -> None:
    assert assemble("push 1_000\nsys transfer\nstop") == assemble("PUSH 1000\nSYS 5\nSTOP")
    assert assemble('PUSHB "a\\"b\\\\c\\n\\x00"') == bytes([Op.PUSHB, 7]) + b'a"b\\c\n\x00'
    assert assemble('PUSHB "é"') == bytes([Op.PUSHB, 2]) + "é".encode()
    assert assemble('PUSHB ""\nPUSHB 0x') == bytes([Op.PUSHB, 0, Op.PUSHB, 0])
    assert assemble(f"PUSH {2**64 - 1}") == b"\x10" + b"\xff" * 8


@pytest.mark.parametrize(
    ("src", "line", "fragment"),
    [
        ("PUSH 1\nFOO", 2, "unknown instruction 'FOO'"),
        ("\n\nPUSH", 3, "PUSH takes 1 operand"),
        ("STOP 1", 1, "STOP takes 0 operand"),
        ("PUSH 0x10", 1, "PUSH takes a decimal int"),
        ('PUSH "a"', 1, "PUSH takes a decimal int"),
        (f"PUSH {2**64}", 1, "over 2**64-1"),
        ("PUSH -1", 1, "bad value"),
        ("PUSH NOPE", 1, "unknown constant"),
        (".const B 0x01\nPUSH B", 2, "PUSH takes an int"),
        (".const N 1\nPUSHB N", 2, "PUSHB takes bytes"),
        ("PUSHB 5", 1, "PUSHB takes bytes"),
        ("PUSHB 0xabc", 1, "odd number of hex digits"),
        ('PUSHB "abc', 1, "unterminated string"),
        ('PUSHB "\\q"', 1, "bad escape"),
        ("PUSHB 0x" + "00" * 256, 1, "over 255"),
        ("x:\nx:", 2, "duplicate label x"),
        ("1x:", 1, "bad label name"),
        ("JUMP @nowhere\n", 1, "undefined label nowhere"),
        ("JUMP end", 1, "JUMP takes @label"),
        ("SYS FLY", 1, "unknown system call 'FLY'"),
        ("SYS 12", 1, "unknown system call"),
        ("DUP 0", 1, "DUP takes an int 1..255"),
        ("SWAP 256", 1, "SWAP takes an int 1..255"),
        ("RETURN x", 1, "RETURN takes an int 0..255"),
        (".const A 1\n.const A 2", 2, "duplicate constant A"),
        (".const A", 1, ".const takes a name and a value"),
        (f".const A {2**64}", 1, "over 2**64-1"),
        (".bytes zz", 1, ".bytes takes one 0xhex operand"),
    ],
)
def test_errors_name_the_line(src: str, line: int, fragment: str) -> None:
    with pytest.raises(AsmError) as e:
        assemble(src)
    assert e.value.line == line
    assert fragment in e.value.message
    assert str(e.value).startswith(f"line {line}: ")


def test_too_long() -> None:
    with pytest.raises(AsmError, match="over the limit"):
        assemble("JUMPDEST\n" * (24 * 1024 + 1))


def test_disassemble_round_trip() -> None:
    src = """
    .const N 3
        PUSH 0
    loop:
        PUSH 1
        ADD
        DUP 1
        PUSH N
        LT
        JUMPI @loop
        PUSHB "done"
        PUSHB 0x00ff22
        SYS EMIT
        RETURN 1
    """
    code = assemble(src)
    text = disassemble(code)
    assert "JUMPI @L9" in text and "SYS EMIT" in text and 'PUSHB "done"' in text
    assert assemble(text) == code


def test_disassemble_undecodable_bytes() -> None:
    for code in (b"\xff", b"\x10\x00", b"\x20\x00\x05", b"\x13\x00", b"\x70\x63", b"\x11\x05ab"):
        assert assemble(disassemble(code)) == code


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_assemble_and_round_trip(path: Path) -> None:
    code = assemble(path.read_text())
    validate(code)
    assert assemble(disassemble(code)) == code
