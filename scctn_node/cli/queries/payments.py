"""`scctn query payment MERCHANT ORDER_ID`, `scctn query invoice MERCHANT INVOICE_ID` and
`scctn query settlement [--period N] [--member ADDR]`: merchant payments and settlement
between alliance members (vm/ops/payments.py, vm/settlement.py), read through the API."""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any

import click

from primitives.keys import format_address
from scctn_node.cli.common import NodeClient, emit, handle_errors, node_options, resolve_node


def _quote(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def _payment_text(d: dict[str, Any]) -> str:
    lots = ", ".join(
        f"{lot['amount']} expiring at {lot['expiry']}" if lot["expiry"] else str(lot["amount"])
        for lot in d["lots"]
    )
    via = " (invoice)" if d["invoice"] else ""
    return (
        f"order {d['order_id']} at {d['merchant']}{via}, paid at height {d['height']}\n"
        f"  payer       {d['payer']}\n"
        f"  amount      {d['amount']} {d['symbol']}\n"
        f"  refunded    {d['refunded']} (refundable {d['refundable']})\n"
        f"  lots        {lots or '-'}"
    )


def _invoice_text(d: dict[str, Any]) -> str:
    text = (
        f"invoice {d['invoice_id']} of {d['merchant']}: {d['status']}\n"
        f"  payer       {d['payer'] or 'anyone'}\n"
        f"  amount      {d['amount']} {d['symbol']}\n"
        f"  payable to  height {d['expiry']}"
    )
    if d["paid_by"]:
        text += f"\n  paid by     {d['paid_by']}"
    return text


def _settlement_text(d: dict[str, Any]) -> str:
    state = f"settled at height {d['settled_height']}" if d["settled"] else "open"
    lines = [
        f"settlement period {d['period']} (heights {d['start_height']}-{d['end_height']}, {state})"
    ]
    if not d["positions"]:
        lines.append("  no positions")
    for row in d["positions"]:
        net = row["net"]
        side = "receivable" if net > 0 else "payable"
        units = f"{abs(net) // 1_000_000}.{abs(net) % 1_000_000:06d}"
        lines.append(f"  {row['member']}  {side:10} {units} {row['currency'] or '(value)'}")
    return "\n".join(lines)


def register(group: click.Group) -> None:
    @group.command("payment")
    @click.argument("merchant")
    @click.argument("order_id")
    @node_options
    @handle_errors
    def payment(
        merchant: str, order_id: str, node: str | None, home: Path | None, output: str
    ) -> None:
        """A payment to MERCHANT (scc1 address or key name) for ORDER_ID (text, or 0x + hex):
        payer, amount, refunds and the lots a refund gives back."""
        from scctn_node.cli.tx import resolve_address

        addr = format_address(resolve_address(merchant, home))
        body = NodeClient(resolve_node(node, home)).get(f"/v1/payments/{addr}/{_quote(order_id)}")
        emit(body, output, _payment_text)

    @group.command("invoice")
    @click.argument("merchant")
    @click.argument("invoice_id")
    @node_options
    @handle_errors
    def invoice(
        merchant: str, invoice_id: str, node: str | None, home: Path | None, output: str
    ) -> None:
        """An invoice of MERCHANT: who may pay it, until when, and whether it was paid."""
        from scctn_node.cli.tx import resolve_address

        addr = format_address(resolve_address(merchant, home))
        body = NodeClient(resolve_node(node, home)).get(f"/v1/invoices/{addr}/{_quote(invoice_id)}")
        emit(body, output, _invoice_text)

    @group.command("settlement")
    @click.option("--period", type=int, help="settlement period (default: the current one)")
    @click.option("--member", help="only this member (scc1 address or key name)")
    @node_options
    @handle_errors
    def settlement(
        period: int | None,
        member: str | None,
        node: str | None,
        home: Path | None,
        output: str,
    ) -> None:
        """Each member's net settlement position in a period: receivable (owed to it) or
        payable (it owes), in the currency of the issuers' published point values."""
        from scctn_node.cli.tx import resolve_address

        params = {}
        if period is not None:
            params["period"] = str(period)
        if member is not None:
            params["member"] = format_address(resolve_address(member, home))
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        body = NodeClient(resolve_node(node, home)).get(f"/v1/settlement{query}")
        emit(body, output, _settlement_text)
