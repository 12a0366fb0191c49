"""`scctn contract build` and argument parsing (no node needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from primitives.errors import DecodeError
from scctn_node.cli.main import cli
from tests.unit.contracts.contract_chain import COUNTER
from vm.contracts import asm
from vm.contracts import ledger_host as lh
from vm.ops.catalog import decode_operation
from vm.ops.contract import ContractCall, Values, parse_value


def test_build_prints_or_writes_the_code(tmp_path: Path) -> None:
    src = tmp_path / "counter.sasm"
    src.write_text(COUNTER)
    code = asm.assemble(COUNTER)
    r = CliRunner().invoke(cli, ["contract", "build", str(src)])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0] == code.hex()
    out = tmp_path / "counter.hex"
    r = CliRunner().invoke(cli, ["contract", "build", str(src), "-o", str(out)])
    assert r.exit_code == 0
    assert lh.code_hash(code).hex() in r.output
    assert bytes.fromhex(out.read_text().strip()) == code


def test_build_reports_assembly_errors(tmp_path: Path) -> None:
    src = tmp_path / "bad.sasm"
    src.write_text("PUSH 1\nNOSUCH\n")
    r = CliRunner().invoke(cli, ["contract", "build", str(src)])
    assert r.exit_code == 1
    assert "asm_error" in r.output and "line 2" in r.output


def test_arguments_from_text() -> None:
    addr = b"\x11" * 20

    def resolve(text: str) -> bytes:
        if text == "bob":
            return addr
        raise DecodeError(f"unknown {text}")

    assert parse_value("5", resolve) == 5
    assert parse_value("0xab01", resolve) == b"\xab\x01"
    assert parse_value("bob", resolve) == addr
    with pytest.raises(DecodeError):
        parse_value("0xzz", resolve)
    values = Values().from_text("5, 0xab, bob", resolve)
    assert values == (5, b"\xab", addr)
    op = ContractCall(addr, values, 1_000)
    assert decode_operation(op.to_wire()) == op
    assert op.to_json()["args"] == [5, "0xab", "0x" + addr.hex()]
    with pytest.raises(DecodeError):
        Values().decode([2**64], "args")
    with pytest.raises(DecodeError):
        Values().decode([b"x" * 257], "args")
    with pytest.raises(DecodeError):
        Values().decode([True], "args")
