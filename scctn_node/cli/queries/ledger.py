"""`scctn query liability` and `scctn query holding`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from scctn_node.cli.common import NodeClient, emit, handle_errors, node_options, resolve_node
from scctn_node.cli.tx import resolve_account


def _liability_text(d: dict[str, Any]) -> str:
    value = d["outstanding_value_micros"]
    money = f"  value {value / 1_000_000:,.2f} {d['currency']}" if d["currency"] else ""
    return (
        f"{d['symbol']} at height {d['height']}: issued {d['issued']}, redeemed {d['redeemed']}, "
        f"expired {d['expired']}, clawed back {d['clawed_back']}, "
        f"outstanding {d['outstanding']}{money}"
    )


def _holding_text(d: dict[str, Any]) -> str:
    lines = [f"{d['account']} holds {d['balance']} {d['symbol']} (height {d['height']})"]
    for lot in d["lots"]:
        when = f"expires at {lot['expires_at']}" if lot["expires_at"] else "never expires"
        lines.append(f"  lot {lot['amount']}  {when}")
    if d["frozen"]:
        lines.append(f"  frozen: {d['frozen']}")
    return "\n".join(lines)


def register(group: click.Group) -> None:
    @group.command("liability")
    @click.argument("symbol")
    @click.option("--height", type=int, default=None, help="as of this height (default: now)")
    @node_options
    @handle_errors
    def liability(
        symbol: str, height: int | None, node: str | None, home: Path | None, output: str
    ) -> None:
        """The issuer's points liability for SYMBOL: issued, redeemed, expired, clawed
        back, outstanding, and its value at the issuer's value per point."""
        query = "" if height is None else f"?height={height}"
        client = NodeClient(resolve_node(node, home))
        emit(client.get(f"/v1/assets/{symbol}/liability{query}"), output, _liability_text)

    @group.command("holding")
    @click.argument("account")
    @click.argument("symbol")
    @node_options
    @handle_errors
    def holding(
        account: str, symbol: str, node: str | None, home: Path | None, output: str
    ) -> None:
        """ACCOUNT's points of SYMBOL in dated lots (ACCOUNT: address, key name, or
        custodian/user for a custody account)."""
        text = resolve_account(account, home)
        client = NodeClient(resolve_node(node, home))
        emit(client.get(f"/v1/holdings/{symbol}/{text}"), output, _holding_text)
