"""`scctn query` commands of the points mall (vm/ops/mall.py), read through the API.

listing ID          a listing: supplier, price, stock, orders
listings            the listed items (at most 1000)
order ID            a redemption order (`<listing id>.<n>`)
auction ID          an auction: status, highest bid, escrow
supplier ADDRESS    a supplier's application status
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from primitives.keys import format_address
from scctn_node.cli.common import NodeClient, emit, handle_errors, node_options, resolve_node


def _listing_text(d: dict[str, Any]) -> str:
    fate = "burned" if d["burn"] else f"paid to {d['supplier']}"
    return "\n".join(
        [
            f"listing {d['listing_id']}: {d['title']}  ({d['status']})",
            f"  {d['price']} {d['symbol']} per unit, {fate}",
            f"  {d['stock']} in stock, {d['sold']} sold in {d['orders']} orders",
        ]
    )


def _order_text(d: dict[str, Any]) -> str:
    fate = "burned" if d["burned"] else f"paid to {d['supplier']}"
    return (
        f"order {d['order_id']} at height {d['order_height']}: {d['buyer']} redeemed "
        f"{d['quantity']} of {d['listing_id']} for {d['amount']} {d['symbol']} ({fate})"
    )


def _auction_text(d: dict[str, Any]) -> str:
    lines = [
        f"auction {d['auction_id']}: {d['title']}  ({d['status']} at height {d['height']})",
        f"  by {d['supplier']}, bids in {d['symbol']} until height {d['end']}"
        + (f" (+{d['extension']} after a late bid)" if d["extension"] else ""),
        f"  reserve {d['reserve']}, increment {d['min_increment']}, next bid >= "
        f"{d['next_min_bid']}",
    ]
    if d["highest_bidder"]:
        lines.append(
            f"  highest bid {d['highest_bid']} by {d['highest_bidder']} ({d['bids']} bids), "
            f"escrow holds {d['escrow_balance']}"
        )
    else:
        lines.append("  no bid yet")
    return "\n".join(lines)


def _supplier_text(d: dict[str, Any]) -> str:
    return f"supplier {d['supplier']} ({d['name']}): {d['status']}"


def register(group: click.Group) -> None:
    @group.command("listing")
    @click.argument("listing_id")
    @node_options
    @handle_errors
    def listing(listing_id: str, node: str | None, home: Path | None, output: str) -> None:
        """A mall listing by its id."""
        body = NodeClient(resolve_node(node, home)).get(f"/v1/mall/listings/{listing_id}")
        emit(body, output, _listing_text)

    @group.command("listings")
    @node_options
    @handle_errors
    def listings(node: str | None, home: Path | None, output: str) -> None:
        """The mall's listed items."""
        body = NodeClient(resolve_node(node, home)).get("/v1/mall/listings")
        emit(body, output, lambda d: "\n".join(map(_listing_text, d["listings"])) or "(none)")

    @group.command("order")
    @click.argument("order_id")
    @node_options
    @handle_errors
    def order(order_id: str, node: str | None, home: Path | None, output: str) -> None:
        """A mall redemption order by its id (<listing id>.<n>)."""
        body = NodeClient(resolve_node(node, home)).get(f"/v1/mall/orders/{order_id}")
        emit(body, output, _order_text)

    @group.command("auction")
    @click.argument("auction_id")
    @node_options
    @handle_errors
    def auction(auction_id: str, node: str | None, home: Path | None, output: str) -> None:
        """A mall auction by its id: status, highest bid and escrow."""
        body = NodeClient(resolve_node(node, home)).get(f"/v1/mall/auctions/{auction_id}")
        emit(body, output, _auction_text)

    @group.command("supplier")
    @click.argument("address")
    @node_options
    @handle_errors
    def supplier(address: str, node: str | None, home: Path | None, output: str) -> None:
        """A mall supplier's status, by address or key name."""
        from scctn_node.cli.tx import resolve_address

        addr = format_address(resolve_address(address, home))
        body = NodeClient(resolve_node(node, home)).get(f"/v1/mall/suppliers/{addr}")
        emit(body, output, _supplier_text)
