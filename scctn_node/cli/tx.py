"""`scctn tx`: build, sign and submit transactions; `--wait` waits for the receipt."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from primitives.errors import InvalidAddress
from primitives.keys import parse_address
from scctn_node.cli.common import NodeClient, emit, fail, handle_errors, node_options, resolve_node
from scctn_node.cli.keys import get_passphrase, keystore_for
from scctn_node.keystore import KeyNotFound
from vm.executor import intrinsic_gas
from vm.ops.asset import AssetCreate, AssetIssue, Burn
from vm.ops.registry import Operation
from vm.ops.transfer import Transfer
from vm.ops.validator import ValidatorVote
from vm.tx import Transaction


def resolve_address(text: str, home: Path | None) -> bytes:
    """An `scc1...` address, or the name of a key in the keystore."""
    if text.lower().startswith("scc1"):
        return parse_address(text)
    try:
        info = keystore_for(home).show(text)
    except KeyNotFound:
        raise InvalidAddress(f"{text!r} is neither an scc1 address nor a key name") from None
    return parse_address(info.address)


def submit(
    ops: tuple[Operation, ...],
    *,
    sender: str,
    node: str | None,
    home: Path | None,
    passphrase_file: str | None,
    wait: bool,
    timeout: float,
    memo: str,
    expiry_blocks: int,
    gas_limit: int | None,
    output: str,
) -> None:
    client = NodeClient(resolve_node(node, home))
    key = keystore_for(home).load(sender, get_passphrase(home, passphrase_file))
    status = client.get("/v1/status")
    from primitives.keys import format_address

    account = client.get(f"/v1/accounts/{format_address(key.address())}")
    draft = Transaction(
        chain_id=status["chain_id"],
        sender=key.public.raw,
        nonce=account["next_nonce"],
        gas_limit=0,
        expiry_height=status["height"] + expiry_blocks,
        memo=memo,
        ops=ops,
    )
    tx = Transaction(
        draft.chain_id,
        draft.sender,
        draft.nonce,
        gas_limit or intrinsic_gas(draft),
        draft.expiry_height,
        memo,
        ops,
    )
    stx = tx.sign(key)
    result = client.post("/v1/txs", {"tx": stx.encode().hex()})
    if wait:
        result = wait_for(client, result["hash"], timeout)
        if result.get("status") == "committed" and result["receipt"]["code"] != "ok":
            r = result["receipt"]
            emit(result, output, _tx_text)
            fail(r["code"], f"transaction failed in block {result['height']}: {r['message']}")
    emit(result, output, _tx_text)


def wait_for(client: NodeClient, tx_hash: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        info: dict[str, Any] = client.get(f"/v1/txs/{tx_hash}")
        if info["status"] in ("committed", "dropped"):
            if info["status"] == "dropped":
                fail("tx_dropped", f"transaction {tx_hash} was dropped: {info.get('reason')}")
            return info
        if time.monotonic() > deadline:
            fail(
                "timeout",
                f"transaction {tx_hash} not committed after {timeout:.0f} s (still {info['status']})",
            )
        time.sleep(0.1)


def _tx_text(d: dict[str, Any]) -> str:
    if d.get("status") == "committed":
        r = d["receipt"]
        line = f"{d['hash']} committed in block {d['height']}: {r['code']}"
        return line + (f" ({r['message']})" if r["message"] else "")
    return f"{d['hash']} {d['status']}"


def tx_options(func: Any) -> Any:
    for opt in reversed(
        [
            click.option("--from", "sender", required=True, help="name of the signing key"),
            click.option("--wait/--no-wait", default=False, help="wait for the committed receipt"),
            click.option("--timeout", default=30.0, show_default=True, help="seconds to wait"),
            click.option("--memo", default="", help="free text, up to 256 characters"),
            click.option(
                "--expiry-blocks",
                default=1000,
                show_default=True,
                help="the transaction expires this many blocks from now",
            ),
            click.option(
                "--gas-limit", type=int, default=None, help="default: exactly what it needs"
            ),
            click.option("--passphrase-file", default=None),
        ]
    ):
        func = opt(func)
    return node_options(func)


@click.group("tx")
def tx_group() -> None:
    """Sign and submit transactions. Amounts are integers in the point type's base units."""


@tx_group.command("asset-create")
@click.option("--symbol", required=True)
@click.option("--name", "asset_name", required=True)
@click.option("--decimals", type=int, default=0, show_default=True)
@click.option("--cap", type=int, required=True, help="maximum supply, in base units")
@tx_options
@handle_errors
def asset_create(symbol: str, asset_name: str, decimals: int, cap: int, **kw: Any) -> None:
    """Create a point type; the signer becomes its issuer."""
    submit((AssetCreate(symbol, asset_name, decimals, cap),), **kw)


@tx_group.command("issue")
@click.option("--symbol", required=True)
@click.option("--to", "to", required=True, help="scc1 address or key name")
@click.option("--amount", type=int, required=True)
@tx_options
@handle_errors
def issue(symbol: str, to: str, amount: int, **kw: Any) -> None:
    """Issue new points (issuer only)."""
    submit((AssetIssue(symbol, resolve_address(to, kw["home"]), amount),), **kw)


@tx_group.command("transfer")
@click.option("--symbol", required=True)
@click.option("--to", "to", required=True, help="scc1 address or key name")
@click.option("--amount", type=int, required=True)
@tx_options
@handle_errors
def transfer(symbol: str, to: str, amount: int, **kw: Any) -> None:
    """Send points to another account."""
    submit((Transfer(symbol, resolve_address(to, kw["home"]), amount),), **kw)


@tx_group.command("burn")
@click.option("--symbol", required=True)
@click.option("--amount", type=int, required=True)
@tx_options
@handle_errors
def burn(symbol: str, amount: int, **kw: Any) -> None:
    """Destroy points you hold."""
    submit((Burn(symbol, amount),), **kw)


@tx_group.command("validator-vote")
@click.option("--action", type=click.Choice(["add", "remove"]), required=True)
@click.option("--name", "validator_name", required=True, help="the validator's name")
@click.option("--public-key", "public_key", required=True, help="its Ed25519 public key (hex)")
@tx_options
@handle_errors
def validator_vote(action: str, validator_name: str, public_key: str, **kw: Any) -> None:
    """Vote, as a current validator, to add or remove a validator; the change applies when
    more than two thirds of the set voted, and takes effect at a checkpoint boundary."""
    try:
        key = bytes.fromhex(public_key)
    except ValueError:
        key = b""
    if len(key) != 32:
        fail("invalid_key", "--public-key must be 64 hex digits", 2)
    submit((ValidatorVote(action, validator_name, key),), **kw)
