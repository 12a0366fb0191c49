"""`scctn genesis`: assemble a genesis document without sharing private keys.

`new` writes a draft (no validators yet is fine); `add-validator`, `add-asset` and
`add-balance` edit it in place, each refusing a change that would make it invalid;
`validate` and `hash` check it as a final genesis (at least one validator). Members compare
the output of `hash` out of band before anyone starts a node.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from genesis import builder
from genesis.document import (
    GenesisAsset,
    GenesisBalance,
    GenesisDoc,
    GenesisMember,
    load_genesis,
    parse_bridge_section,
)
from primitives.keys import parse_address
from scctn_node.cli.common import emit, fail, handle_errors

file_arg = click.argument("file", type=click.Path(path_type=Path, dir_okay=False))


def parse_public_key(text: str) -> bytes:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        fail("invalid_public_key", f"--public-key {text!r} is not hex", 1)
    if len(raw) != 32:
        fail("invalid_public_key", "--public-key must be 32 bytes (64 hex digits)", 1)
    return raw


def plural(n: object, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def summary(doc: GenesisDoc) -> dict[str, object]:
    return {
        "chain_id": doc.chain_id,
        "genesis_time_ms": doc.genesis_time_ms,
        "validators": len(doc.validators),
        "assets": len(doc.assets),
        "balances": len(doc.balances),
        "members": len(doc.members),
        "hash": doc.hash().hex(),
    }


@click.group("genesis")
def genesis_group() -> None:
    """Build, check and fingerprint a genesis document."""


@genesis_group.command("new")
@click.option("--chain-id", required=True, help="1 to 64 characters")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("genesis.json"),
    show_default=True,
)
@click.option("--time-ms", type=int, default=None, help="genesis time (default: now)")
@click.option("--force", is_flag=True, help="overwrite an existing file")
@handle_errors
def genesis_new(chain_id: str, out: Path, time_ms: int | None, force: bool) -> None:
    """Write a draft genesis with no validators, point types or balances yet."""
    if out.exists() and not force:
        fail("file_exists", f"{out} already exists; choose another --out or pass --force", 1)
    doc = builder.new_draft(chain_id, int(time.time() * 1000) if time_ms is None else time_ms)
    doc.save(out)
    click.echo(
        f"wrote draft genesis for chain {chain_id} to {out}; "
        "add validators with `scctn genesis add-validator`"
    )


@genesis_group.command("add-validator")
@file_arg
@click.option("--name", required=True, help="the member's validator name")
@click.option(
    "--public-key",
    required=True,
    help="Ed25519 public key, 64 hex digits (`scctn keys show validator -o json`)",
)
@click.option("--power", type=int, default=1, show_default=True)
@handle_errors
def genesis_add_validator(file: Path, name: str, public_key: str, power: int) -> None:
    """Add a validator (its public key only) to the genesis FILE."""
    doc = builder.add_validator(builder.load_draft(file), name, parse_public_key(public_key), power)
    doc.save(file)
    click.echo(f"added validator {name} to {file} ({plural(len(doc.validators), 'validator')})")


@genesis_group.command("add-asset")
@file_arg
@click.option("--symbol", required=True)
@click.option("--name", required=True)
@click.option("--decimals", type=int, required=True)
@click.option("--cap", type=int, required=True, help="maximum supply in base units")
@click.option("--issuer", required=True, help="scc1... address of the issuing member")
@click.option(
    "--rules",
    default="transferable,tradeable",
    show_default=True,
    help="comma-separated: require_auth, transferable, tradeable, freezable, clawback",
)
@click.option("--expiry-blocks", type=int, default=0, help="points expire this long after issue")
@handle_errors
def genesis_add_asset(
    file: Path,
    symbol: str,
    name: str,
    decimals: int,
    cap: int,
    issuer: str,
    rules: str,
    expiry_blocks: int,
) -> None:
    """Add a point type to the genesis FILE (its issuer gets the issuer role)."""
    asset = GenesisAsset(
        symbol,
        name,
        decimals,
        cap,
        parse_address(issuer),
        rules=tuple(r.strip() for r in rules.split(",") if r.strip()),
        expiry_blocks=expiry_blocks,
    )
    doc = builder.add_asset(builder.load_draft(file), asset)
    doc.save(file)
    click.echo(f"added point type {symbol} to {file} ({plural(len(doc.assets), 'point type')})")


@genesis_group.command("add-member")
@file_arg
@click.option("--address", required=True, help="scc1... address of the member's account")
@click.option("--name", required=True, help="the member's name")
@click.option(
    "--roles",
    default="",
    help="comma-separated: issuer, custodian, merchant, oracle, device, validator, platform",
)
@handle_errors
def genesis_add_member(file: Path, address: str, name: str, roles: str) -> None:
    """Add a founding member of the alliance (it votes on proposals) to the genesis FILE."""
    member = GenesisMember(
        parse_address(address), name, tuple(r.strip() for r in roles.split(",") if r.strip())
    )
    doc = builder.add_member(builder.load_draft(file), member)
    doc.save(file)
    click.echo(f"added member {name} to {file} ({plural(len(doc.members), 'member')})")


@genesis_group.command("add-balance")
@file_arg
@click.option("--address", required=True, help="scc1... address of the holder")
@click.option("--symbol", required=True)
@click.option("--amount", type=int, required=True, help="in base units")
@handle_errors
def genesis_add_balance(file: Path, address: str, symbol: str, amount: int) -> None:
    """Give an address an initial balance of a point type in the genesis FILE."""
    balance = GenesisBalance(parse_address(address), symbol, amount)
    doc = builder.add_balance(builder.load_draft(file), balance)
    doc.save(file)
    click.echo(f"added {amount} {symbol} for {address} to {file}")


@genesis_group.command("set-bridge")
@file_arg
@click.option("--eth-chain-id", type=int, required=True, help="the Ethereum chain id")
@click.option("--vault", default="", help="0x... vault address (empty: not deployed yet)")
@click.option("--token-decimals", type=int, default=18, show_default=True)
@click.option("--wrapped-decimals", type=int, default=8, show_default=True)
@click.option("--withdraw-ttl", type=int, default=86_400, show_default=True, help="seconds")
@click.option("--symbol", default="SCCTN", show_default=True)
@click.option(
    "--key",
    "keys",
    multiple=True,
    help="a validator's bridge key: PUBLIC_KEY:0xETH_ADDRESS:0xPROOF (repeat for each)",
)
@handle_errors
def genesis_set_bridge(
    file: Path,
    eth_chain_id: int,
    vault: str,
    token_decimals: int,
    wrapped_decimals: int,
    withdraw_ttl: int,
    symbol: str,
    keys: tuple[str, ...],
) -> None:
    """Set the Ethereum bridge section of the genesis FILE (validators first)."""
    rows = []
    for text in keys:
        parts = text.split(":")
        if len(parts) != 3:
            fail("invalid_genesis", f"--key {text!r}: expected PUBLIC_KEY:ETH_ADDRESS:PROOF", 1)
        rows.append({"public_key": parts[0], "eth_address": parts[1], "proof": parts[2]})
    section = parse_bridge_section(
        {
            "eth_chain_id": eth_chain_id,
            "vault": vault,
            "token_decimals": token_decimals,
            "wrapped_decimals": wrapped_decimals,
            "withdraw_ttl": withdraw_ttl,
            "symbol": symbol,
            "validators": rows,
        }
    )
    doc = builder.set_bridge(builder.load_draft(file), section)
    doc.save(file)
    click.echo(f"set the bridge of {file} ({plural(len(section.validators), 'bridge key')})")


@genesis_group.command("validate")
@file_arg
@click.option("--output", "-o", type=click.Choice(["json", "text"]), default="text")
@handle_errors
def genesis_validate(file: Path, output: str) -> None:
    """Check FILE as a final genesis; print its chain id, validator count and hash."""
    doc = load_genesis(file)
    emit(
        summary(doc),
        output,
        lambda s: (
            f"valid genesis: chain {s['chain_id']}, {plural(s['validators'], 'validator')}, "
            f"{plural(s['assets'], 'point type')}, {plural(s['balances'], 'balance')}, "
            f"hash {s['hash']}"
        ),
    )


@genesis_group.command("hash")
@file_arg
@handle_errors
def genesis_hash(file: Path) -> None:
    """Print the genesis hash of FILE (what members compare out of band)."""
    click.echo(load_genesis(file).hash().hex())
