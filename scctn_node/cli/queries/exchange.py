"""`scctn query` commands of the exchange (vm/ops/exchange.py), read through the node's API.

book BASE QUOTE        the order book of a pair: bids and asks by price, best first
book-order ID          one order of the exchange (remaining, price, status, escrow)
agreement ID           a conversion agreement, its reserve and today's use
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from scctn_node.cli.common import NodeClient, emit, handle_errors, node_options, resolve_node


def _price(d: dict[str, Any]) -> str:
    return f"{d['price']} ({d['price_num']}/{d['price_den']})"


def _book_text(d: dict[str, Any]) -> str:
    lines = [f"book {d['base']}/{d['quote']} at height {d['height']} (price in {d['quote']})"]
    for name in ("asks", "bids"):
        lines.append(f"  {name}:")
        levels = d[name] if name == "bids" else list(reversed(d[name]))
        if not levels:
            lines.append("    (none)")
        for lvl in levels:
            lines.append(f"    {_price(lvl):>28}  {lvl['amount']:>14}  ({lvl['orders']} orders)")
    return "\n".join(lines)


def _order_text(d: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"order {d['id']}  {d['side']} {d['amount']} {d['base']} at {_price(d)} {d['quote']}"
            f"  ({d['status']} at height {d['height']})",
            f"  owner {d['owner']}, remaining {d['remaining']}, live until height {d['expiry']}",
            f"  escrow {d['escrow']} holds {d['escrow_base']} {d['base']},"
            f" {d['escrow_quote']} {d['quote']}",
        ]
    )


def _agreement_text(d: dict[str, Any]) -> str:
    state = "active" if d["active"] else "inactive"
    return "\n".join(
        [
            f"agreement {d['id']}  {d['from']} -> {d['to']} at {d['rate']}"
            f" ({d['rate_num']}/{d['rate_den']}), fee {d['fee_bps']} bps, {state}",
            f"  converted today {d['used_today']} of {d['daily_limit']} {d['from']}",
            f"  reserve {d['reserve']} holds {d['reserve_balance']} {d['to']}",
        ]
    )


def register(group: click.Group) -> None:
    @group.command("book")
    @click.argument("base")
    @click.argument("quote")
    @node_options
    @handle_errors
    def book(base: str, quote: str, node: str | None, home: Path | None, output: str) -> None:
        """The order book of BASE priced in QUOTE: bids and asks by price, best first."""
        body = NodeClient(resolve_node(node, home)).get(f"/v1/exchange/books/{base}/{quote}")
        emit(body, output, _book_text)

    @group.command("book-order")
    @click.argument("order_id")
    @node_options
    @handle_errors
    def book_order(order_id: str, node: str | None, home: Path | None, output: str) -> None:
        """One order of the exchange by its id."""
        body = NodeClient(resolve_node(node, home)).get(f"/v1/exchange/orders/{order_id}")
        emit(body, output, _order_text)

    @group.command("agreement")
    @click.argument("agreement_id")
    @node_options
    @handle_errors
    def agreement(agreement_id: str, node: str | None, home: Path | None, output: str) -> None:
        """A conversion agreement: rate, fee, daily limit, reserve."""
        path = f"/v1/exchange/agreements/{agreement_id}"
        body = NodeClient(resolve_node(node, home)).get(path)
        emit(body, output, _agreement_text)
