"""The ISA table is consistent, and the documentation is generated from it."""

from __future__ import annotations

from pathlib import Path

from vm.contracts.isa import (
    BY_CODE,
    BY_NAME,
    INSTRUCTIONS,
    SYSCALL_BY_NAME,
    SYSCALLS,
    Op,
    Sys,
    render_markdown,
)

DOC = Path(__file__).resolve().parents[3] / "docs" / "contracts.md"


def test_table_matches_the_opcode_enum() -> None:
    assert [i.name for i in INSTRUCTIONS] == [o.name for o in Op]
    assert [i.code for i in INSTRUCTIONS] == [int(o) for o in Op]
    assert len(BY_NAME) == len(BY_CODE) == len(INSTRUCTIONS)


def test_fixed_design_opcodes() -> None:
    expected = {
        "STOP": 0x00, "MULDIV": 0x06, "MAX": 0x0F, "PUSH": 0x10, "PUSHB": 0x11, "SWAP": 0x14,
        "JUMP": 0x20, "JUMPI": 0x21, "JUMPDEST": 0x22, "MLOAD": 0x30, "MSTORE": 0x31,
        "SLOAD": 0x40, "SSTORE": 0x41, "ARG": 0x50, "HASH": 0x56, "RETURN": 0x60,
        "REVERT": 0x61, "SYS": 0x70,
    }  # fmt: skip
    for name, code in expected.items():
        assert BY_NAME[name].code == code
    imm = {"PUSH": 8, "PUSHB": 1, "DUP": 1, "SWAP": 1, "JUMP": 2, "JUMPI": 2, "RETURN": 1}
    for i in INSTRUCTIONS:
        assert i.imm == imm.get(i.name, 1 if i.name == "SYS" else 0)


def test_gas_is_positive_and_storage_dominates() -> None:
    assert all(i.gas > 0 for i in INSTRUCTIONS)
    assert BY_NAME["SSTORE"].gas >= 10 * BY_NAME["SLOAD"].gas
    assert BY_NAME["SLOAD"].gas > BY_NAME["MLOAD"].gas


def test_syscalls() -> None:
    assert [SYSCALLS[s][0] for s in sorted(SYSCALLS)] == [s.name for s in Sys]
    assert SYSCALL_BY_NAME["TRANSFER"] == 5
    assert all(gas > 0 for _, _, _, gas in SYSCALLS.values())


def test_markdown_lists_every_instruction_and_syscall() -> None:
    md = render_markdown()
    for i in INSTRUCTIONS:
        assert f"| 0x{i.code:02x} | {i.name} |" in md
    for sid, (name, *_rest) in SYSCALLS.items():
        assert f"| {sid} | {name} |" in md


def test_doc_contains_the_generated_table() -> None:
    assert render_markdown() in DOC.read_text()
