"""`scctn query custody-fees CUSTODIAN` and `scctn query tiers SYMBOL [ACCOUNT]`: custody
fees and holder tiers, read through the node's API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from primitives.keys import format_address
from scctn_node.cli.common import NodeClient, emit, handle_errors, node_options, resolve_node


def _fees_text(d: dict[str, Any]) -> str:
    role = "" if d["is_custodian"] else "  (no custodian role)"
    lines = [f"custody fees of {d['custodian']}{role}"]
    for symbol, f in sorted(d["fees"].items()):
        lines.append(f"  {symbol:<12} {f['fee_bps']} bps, at least {f['min_fee']}")
    if not d["fees"]:
        lines.append("  (none published: moves out are free)")
    return "\n".join(lines)


def _limit(n: int) -> str:
    return str(n) if n else "-"


def _tiers_text(d: dict[str, Any]) -> str:
    lines = [f"tiers of {d['symbol']}   (max balance, max per tx, max daily; - = none)"]
    for tier, v in d["tiers"].items():
        lines.append(
            f"  {tier:<16} {_limit(v['max_balance']):>12} {_limit(v['max_per_tx']):>12}"
            f" {_limit(v['max_daily']):>12}"
        )
    if not d["tiers"]:
        lines.append("  (no limits)")
    return "\n".join(lines)


def _holder_text(d: dict[str, Any]) -> str:
    limits = d["limits"]
    text = f"{d['account']}: tier {d['tier']}" + ("  (issuer: exempt)" if d["exempt"] else "")
    if limits:
        text += (
            f"\n  max balance {_limit(limits['max_balance'])}  per tx {_limit(limits['max_per_tx'])}"
            f"  daily {_limit(limits['max_daily'])}"
        )
    return text + f"\n  balance {d['balance']} {d['symbol']}, sent today {d['sent_today']}"


def register(group: click.Group) -> None:
    @group.command("custody-fees")
    @click.argument("custodian")
    @node_options
    @handle_errors
    def custody_fees(custodian: str, node: str | None, home: Path | None, output: str) -> None:
        """The fees CUSTODIAN (scc1 address or key name) charges for moves out of custody."""
        from scctn_node.cli.tx import resolve_address

        addr = format_address(resolve_address(custodian, home))
        emit(
            NodeClient(resolve_node(node, home)).get(f"/v1/custody/{addr}/fees"), output, _fees_text
        )

    @group.command("tiers")
    @click.argument("symbol")
    @click.argument("account", required=False)
    @node_options
    @handle_errors
    def tiers(
        symbol: str, account: str | None, node: str | None, home: Path | None, output: str
    ) -> None:
        """The tier limits of SYMBOL, or one ACCOUNT's tier (scc1..., key name, name/user)."""
        client = NodeClient(resolve_node(node, home))
        if account:
            from scctn_node.cli.tx import resolve_account

            body = client.get(f"/v1/tiers/{symbol}/{resolve_account(account, home)}")
            emit(body, output, _holder_text)
        else:
            emit(client.get(f"/v1/tiers/{symbol}"), output, _tiers_text)
