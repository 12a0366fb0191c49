"""Read endpoints of the points mall (vm/ops/mall.py).

GET /v1/mall/listings                 the listed (not delisted) items, by id (a table
                                      scan, at most 1000; ?supplier= filters)
GET /v1/mall/listings/{id}            one listing, with its stock and orders count
GET /v1/mall/orders/{id}              a redemption order (`<listing id>.<n>`)
GET /v1/mall/auctions/{id}            an auction: status at the latest height, the
                                      highest bid and the escrow holding it
GET /v1/mall/suppliers/{address}      a supplier's application status
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Query

from primitives.errors import InvalidAddress
from primitives.keys import format_address, parse_address
from scctn_node.api.routes import height, state_items, state_view
from scctn_node.errors import BadRequest, NotFound
from vm import accounts, ledger, tables
from vm.ops import mall
from vm.state import StateReader

if TYPE_CHECKING:
    from scctn_node.service import NodeService

MAX_LISTINGS = 1_000


def listing_view(li: mall.Listing, at: int) -> dict[str, Any]:
    return {
        "listing_id": li.id,
        "supplier": format_address(li.supplier),
        "title": li.title,
        "symbol": li.symbol,
        "price": li.price,
        "stock": li.stock,
        "burn": li.burn,
        "status": li.status,
        "sold": li.sold,
        "orders": li.orders,
        "created_height": li.created,
        "height": at,
    }


def order_view(o: mall.Order, at: int) -> dict[str, Any]:
    return {
        "order_id": o.id,
        "listing_id": o.listing,
        "buyer": accounts.format_account(o.buyer),
        "quantity": o.quantity,
        "symbol": o.symbol,
        "amount": o.amount,
        "supplier": format_address(o.supplier),
        "burned": o.burned,
        "order_height": o.height,
        "height": at,
    }


def auction_view(state: StateReader, au: mall.Auction, at: int) -> dict[str, Any]:
    escrow = mall.escrow_account(au.id)
    return {
        "auction_id": au.id,
        "supplier": format_address(au.supplier),
        "title": au.title,
        "symbol": au.symbol,
        "reserve": au.reserve,
        "min_increment": au.min_increment,
        "end": au.end,
        "extension": au.extension,
        "status": au.status_at(at),
        "highest_bidder": accounts.format_account(au.bidder) if au.bidder else None,
        "highest_bid": au.bid,
        "bids": au.bids,
        "next_min_bid": au.min_bid(),
        "escrow": accounts.format_account(escrow),
        "escrow_balance": ledger.get_balance(state, escrow, au.symbol, at),
        "created_height": au.created,
        "height": at,
    }


def supplier_view(s: mall.Supplier, at: int) -> dict[str, Any]:
    return {
        "supplier": format_address(s.address),
        "name": s.name,
        "status": s.status,
        "applied_height": s.applied,
        "decided_height": s.decided or None,
        "height": at,
    }


def _address_arg(text: str) -> bytes:
    try:
        return parse_address(text)
    except InvalidAddress as exc:
        raise BadRequest(exc.message, exc.code) from exc


def _id_arg(text: str, what: str) -> str:
    if not mall.ID_RE.match(text):
        raise BadRequest(f"a {what} id is 1-32 characters A-Z a-z 0-9 _ -", f"malformed_{what}_id")
    return text


def routes(service: NodeService) -> APIRouter:
    router = APIRouter(tags=["mall"])

    @router.get("/v1/mall/listings", summary="Listed mall items (a scan, at most 1000)")
    async def list_listings(
        supplier: str | None = Query(None, description="only this supplier's (scc1...)"),
    ) -> dict[str, Any]:
        only = None if supplier is None else _address_arg(supplier)
        at = height(service)
        found = []
        for key, raw in state_items(service, tables.MALL_LISTING):
            li = mall.listing_from_item(key, raw)
            if li.status != mall.LISTED or (only is not None and li.supplier != only):
                continue
            found.append(listing_view(li, at))
            if len(found) >= MAX_LISTINGS:
                break
        return {"listings": found, "truncated": len(found) >= MAX_LISTINGS, "height": at}

    @router.get("/v1/mall/listings/{listing_id}", summary="A mall listing")
    async def get_listing(listing_id: str) -> dict[str, Any]:
        li = mall.get_listing(state_view(service), _id_arg(listing_id, "listing"))
        if li is None:
            raise NotFound(f"no listing {listing_id!r}", "listing_not_found")
        return listing_view(li, height(service))

    @router.get("/v1/mall/orders/{order_id}", summary="A mall redemption order")
    async def get_order(order_id: str) -> dict[str, Any]:
        listing, dot, n = order_id.rpartition(".")
        if not dot or not n.isdigit() or not mall.ID_RE.match(listing):
            raise BadRequest("an order id is <listing id>.<n>", "malformed_order_id")
        o = mall.get_order(state_view(service), order_id)
        if o is None:
            raise NotFound(f"no order {order_id!r}", "order_not_found")
        return order_view(o, height(service))

    @router.get("/v1/mall/auctions/{auction_id}", summary="A mall auction")
    async def get_auction(auction_id: str) -> dict[str, Any]:
        state = state_view(service)
        au = mall.get_auction(state, _id_arg(auction_id, "auction"))
        if au is None:
            raise NotFound(f"no auction {auction_id!r}", "auction_not_found")
        return auction_view(state, au, height(service))

    @router.get("/v1/mall/suppliers/{address}", summary="A mall supplier's status")
    async def get_supplier(address: str) -> dict[str, Any]:
        s = mall.get_supplier(state_view(service), _address_arg(address))
        if s is None:
            raise NotFound(f"{address} never applied as a supplier", "supplier_not_found")
        return supplier_view(s, height(service))

    return router
