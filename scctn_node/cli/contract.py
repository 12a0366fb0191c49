"""`scctn contract`: assemble, deploy, call and inspect contracts.

    scctn contract build waste.sasm [-o waste.hex]       code hex and hash (or write the hex)
    scctn contract deploy waste.sasm --from city [--salt 01] [--wait]
    scctn contract call scc1... --from alice --arg 5 --arg 0xab --arg bob [--gas N] [--wait]
    scctn contract show scc1...                          code hash, deployer, disassembly
    scctn contract storage scc1... 7 | 0x6b6579         one stored value

A contract file is assembly (`.sasm`), or bytecode as hex text, or raw bytecode (`.bin`).
Arguments: decimal integers, 0x-hex bytes, `scc1...` addresses or key names (20 bytes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from primitives.errors import DecodeError
from primitives.keys import format_address, parse_address
from scctn_node.cli.common import NodeClient, emit, fail, handle_errors, node_options, resolve_node
from scctn_node.cli.keys import keystore_for
from scctn_node.cli.tx import resolve_address, submit, tx_options
from vm.contracts import asm
from vm.contracts import code as code_mod
from vm.contracts import ledger_host as lh
from vm.contracts.errors import AsmError, InvalidCode
from vm.ops.contract import ContractCall, ContractDeploy, Values, parse_value


def load_code(path: Path) -> bytes:
    """Bytecode from a file: assembly (.sasm), raw (.bin) or hex text; validated."""
    try:
        if path.suffix == ".bin":
            code = path.read_bytes()
        else:
            text = path.read_text()
            if path.suffix == ".sasm":
                code = asm.assemble(text)
            else:
                code = bytes.fromhex("".join(text.split()).removeprefix("0x"))
        code_mod.validate(code)
    except OSError as exc:
        fail("bad_argument", f"{path}: {exc.strerror}", 2)
    except AsmError as exc:
        fail("asm_error", f"{path}: {exc}")
    except InvalidCode as exc:
        fail("invalid_code", f"{path}: {exc.message}")
    except ValueError:
        fail("bad_argument", f"{path}: neither .sasm assembly, .bin bytecode nor hex text", 2)
    return code


@click.group("contract")
def contract_group() -> None:
    """Contracts: build (assemble), deploy, call, show, storage."""


@contract_group.command("build")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(path_type=Path), default=None, help="write the hex")
@handle_errors
def build(file: Path, out: Path | None) -> None:
    """Assemble FILE and print its code (hex), size and hash, or write the hex to --out."""
    code = load_code(file)
    chash = lh.code_hash(code).hex()
    if out is not None:
        out.write_text(code.hex() + "\n")
        click.echo(f"wrote {len(code)} bytes to {out} (code hash {chash})")
        return
    click.echo(code.hex())
    click.echo(f"size {len(code)} bytes, code hash {chash}", err=True)


@contract_group.command("deploy")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--salt", default="", help="hex, up to 32 bytes, to vary the address")
@tx_options
@handle_errors
def deploy(file: Path, salt: str, **kw: Any) -> None:
    """Deploy the contract in FILE; prints its address (derived from --from, salt, code)."""
    code = load_code(file)
    try:
        salt_raw = bytes.fromhex(salt.removeprefix("0x"))
    except ValueError:
        fail("bad_argument", "--salt: not hex", 2)
    op = ContractDeploy(code, salt_raw)
    info = keystore_for(kw.get("home")).show(kw["sender"])
    address = lh.contract_address(parse_address(info.address), salt_raw, lh.code_hash(code))
    click.echo(f"contract {format_address(address)}", err=kw["output"] == "json")
    submit((op,), **kw)


@contract_group.command("call")
@click.argument("address")
@click.option("--arg", "args", multiple=True, help="5 | 0xab01 | scc1... | key name (repeat)")
@click.option("--gas", type=int, default=100_000, show_default=True, help="the call's budget")
@tx_options
@handle_errors
def call(address: str, args: tuple[str, ...], gas: int, **kw: Any) -> None:
    """Call the contract at ADDRESS (scc1... or a key name) with arguments."""
    home = kw.get("home")

    def resolve(text: str) -> bytes:
        return resolve_address(text, home)

    try:
        values = Values().decode([parse_value(a, resolve) for a in args], "--arg")
    except DecodeError as exc:
        fail("bad_argument", exc.message, 2)
    op = ContractCall(resolve(address), values, gas)
    submit((op,), **kw)


@contract_group.command("show")
@click.argument("address")
@node_options
@handle_errors
def show(address: str, node: str | None, home: Path | None, output: str) -> None:
    """A deployed contract: code hash, deployer, disassembly."""
    client = NodeClient(resolve_node(node, home))
    addr = format_address(resolve_address(address, home))
    emit(client.get(f"/v1/contracts/{addr}"), output, _show_text)


def _show_text(d: dict[str, Any]) -> str:
    head = (
        f"contract {d['address']}\n  code hash {d['code_hash']} ({d['code_size']} bytes)\n"
        f"  deployer  {d['deployer']} at height {d['deployed_height']}\n"
    )
    return head + d["disassembly"]


@contract_group.command("storage")
@click.argument("address")
@click.argument("key")
@node_options
@handle_errors
def storage(address: str, key: str, node: str | None, home: Path | None, output: str) -> None:
    """One value of a contract's storage; KEY is a decimal integer or 0x-hex bytes."""
    client = NodeClient(resolve_node(node, home))
    addr = format_address(resolve_address(address, home))
    emit(client.get(f"/v1/contracts/{addr}/storage/{key}"), output, lambda d: str(d["value"]))
