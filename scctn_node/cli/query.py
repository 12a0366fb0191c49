"""`scctn query` and `scctn status`: read the chain; `--prove` verifies Merkle proofs here,
on the client, without trusting the node."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from scctn_node.cli.common import NodeClient, emit, fail, handle_errors, node_options, resolve_node
from scctn_node.cli.tx import resolve_account
from scctn_node.storage.proof import InvalidProof, Proof, verify_proof


def verify_account_proofs(body: dict[str, Any]) -> None:
    """Check every proof in an account response against its state root; raises InvalidProof."""
    root = bytes.fromhex(body["state_root"])
    for name, item in body.get("proofs", {}).items():
        value = None if item["value"] is None else bytes.fromhex(item["value"])
        try:
            verify_proof(root, bytes.fromhex(item["key"]), value, Proof.from_json(item["proof"]))
        except InvalidProof as exc:
            raise InvalidProof(f"proof of {name} does not verify: {exc.message}") from exc


def _account_text(d: dict[str, Any]) -> str:
    lines = [f"address  {d['address']}", f"nonce    {d['nonce']}  (height {d['height']})"]
    if d.get("custodian"):
        lines[1] = f"custody  held by {d['custodian']}  (height {d['height']})"
    for symbol, amount in sorted(d["balances"].items()):
        lines.append(f"balance  {amount} {symbol}")
    if not d["balances"]:
        lines.append("balance  (none)")
    if "verified" in d:
        lines.append(f"proofs   {len(d['proofs'])} verified against state root {d['state_root']}")
    return "\n".join(lines)


@click.group("query")
def query_group() -> None:
    """Read accounts, blocks, transactions and point types."""


@query_group.command("account")
@click.argument("address")
@click.option("--prove", is_flag=True, help="fetch Merkle proofs and verify them locally")
@click.option("--symbol", "symbols", multiple=True, help="also prove a zero balance (absence)")
@node_options
@handle_errors
def account(
    address: str,
    prove: bool,
    symbols: tuple[str, ...],
    node: str | None,
    home: Path | None,
    output: str,
) -> None:
    """Balances and nonce of ADDRESS (an scc1 address, a key name, or custodian/user for a
    custody account)."""
    client = NodeClient(resolve_node(node, home))
    addr = resolve_account(address, home)
    query = f"?prove={'true' if prove else 'false'}"
    if symbols:
        query += "&symbols=" + ",".join(symbols)
    body = client.get(f"/v1/accounts/{addr}{query}")
    if prove:
        verify_account_proofs(body)
        body["verified"] = True
    emit(body, output, _account_text)


@query_group.command("block")
@click.argument("height", default="latest")
@node_options
@handle_errors
def block(height: str, node: str | None, home: Path | None, output: str) -> None:
    """A block by HEIGHT (default: the latest)."""
    if height != "latest" and not height.isdigit():
        fail("malformed_height", "HEIGHT must be a number or 'latest'", 2)
    body = NodeClient(resolve_node(node, home)).get(f"/v1/blocks/{height}")

    def text(b: dict[str, Any]) -> str:
        h = b["header"]
        return (
            f"block {b['height']} {b['hash']}\n  time {h['time_ms']}  txs {b['num_txs']}"
            f"  proposer {h['proposer'][:16]}…\n  state root (before) {h['state_root']}"
        )

    emit(body, output, text)


@query_group.command("tx")
@click.argument("tx_hash")
@node_options
@handle_errors
def tx(tx_hash: str, node: str | None, home: Path | None, output: str) -> None:
    """A transaction and its receipt by hash."""
    from scctn_node.cli.tx import _tx_text

    emit(NodeClient(resolve_node(node, home)).get(f"/v1/txs/{tx_hash}"), output, _tx_text)


@query_group.command("asset")
@click.argument("symbol", required=False)
@node_options
@handle_errors
def asset(symbol: str | None, node: str | None, home: Path | None, output: str) -> None:
    """One point type, or all of them."""
    client = NodeClient(resolve_node(node, home))

    def line(a: dict[str, Any]) -> str:
        return f"{a['symbol']:<8} {a['name']:<24} supply {a['supply']} / cap {a['cap']}  issuer {a['issuer']}"

    if symbol:
        emit(client.get(f"/v1/assets/{symbol}"), output, line)
    else:
        emit(client.get("/v1/assets"), output, lambda d: "\n".join(line(a) for a in d["assets"]))


@click.command("status")
@node_options
@handle_errors
def status(node: str | None, home: Path | None, output: str) -> None:
    """Chain id, height, state root, mempool size of a node."""
    body = NodeClient(resolve_node(node, home)).get("/v1/status")
    emit(body, output, lambda d: "\n".join(f"{k:<18} {v}" for k, v in d.items()))
