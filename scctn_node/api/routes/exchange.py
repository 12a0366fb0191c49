"""Read endpoints of the exchange (vm/ops/exchange.py).

    GET /v1/exchange/books/{base}/{quote}   bids and asks aggregated by price, best first
    GET /v1/exchange/orders/{id}            one order: remaining, price, status, escrow
    GET /v1/exchange/agreements/{id}        a conversion agreement, its reserve and today's use

Prices are exact rationals: `price_num` / `price_den` quote units per base unit (also
shown as a decimal string for reading, never used for arithmetic). An order's status is
the one at the latest committed height: an open order past its expiry reads "expired"
(it is refunded when matching meets it or by ex.expire). Aggregated book levels count
every resting order, including expired ones not yet removed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from fastapi import APIRouter

from scctn_node.api.routes import height, state_view
from scctn_node.errors import BadRequest, NotFound
from vm import accounts, ledger
from vm.ops import exchange as ex
from vm.state import StateReader

if TYPE_CHECKING:
    from scctn_node.service import NodeService

SIDE_NAMES = {ex.BUY: "buy", ex.SELL: "sell"}


def price_text(num: int, den: int, digits: int = 8) -> str:
    """A readable decimal of num/den (truncated to `digits` places), for display only."""
    whole, rest = divmod(num, den)
    frac = rest * 10**digits // den
    return f"{whole}.{frac:0{digits}d}".rstrip("0").rstrip(".")


def _symbol_arg(text: str) -> str:
    if not ledger.SYMBOL_RE.match(text):
        raise BadRequest(f"{text!r} is not a point type symbol", "invalid_symbol")
    return text


def _id_arg(text: str) -> int:
    if not text.isdigit() or len(text) > 20:
        raise BadRequest(f"{text!r} is not an id (a non-negative integer)", "bad_request")
    return int(text)


def book_view(state: StateReader, base: str, quote: str, at: int) -> dict[str, Any]:
    book = ex.get_book(state, base, quote)
    sides: dict[str, list[dict[str, Any]]] = {}
    for side, name in ((ex.BUY, "bids"), (ex.SELL, "asks")):
        levels = []
        for level in book[side]:
            num, den, ids = cast("tuple[int, int, list[int]]", tuple(level))
            amount = 0
            for oid in ids:
                order = ex.get_order(state, oid)
                if order is not None:
                    amount += order.remaining
            levels.append(
                {
                    "price_num": num,
                    "price_den": den,
                    "price": price_text(num, den),
                    "amount": amount,
                    "orders": len(ids),
                }
            )
        sides[name] = levels
    return {"base": base, "quote": quote, **sides, "height": at}


def order_view(state: StateReader, order: ex.Order, at: int) -> dict[str, Any]:
    escrow = ex.order_escrow(order.id)
    return {
        "id": order.id,
        "owner": accounts.format_account(order.owner),
        "base": order.base,
        "quote": order.quote,
        "side": SIDE_NAMES[order.side],
        "amount": order.amount,
        "remaining": order.remaining,
        "filled": order.amount - order.remaining,
        "price_num": order.price_num,
        "price_den": order.price_den,
        "price": price_text(order.price_num, order.price_den),
        "expiry": order.expiry,
        "created": order.created,
        "status": order.status_at(at),
        "escrow": accounts.format_account(escrow),
        "escrow_base": ledger.get_balance(state, escrow, order.base, at),
        "escrow_quote": ledger.get_balance(state, escrow, order.quote, at),
        "height": at,
    }


def agreement_view(state: StateReader, a: ex.Agreement, at: int, day: int) -> dict[str, Any]:
    used = ledger.window_used(state, ex.usage_key(a.id), day)
    return {
        "id": a.id,
        "from": a.from_symbol,
        "to": a.to_symbol,
        "rate_num": a.rate_num,
        "rate_den": a.rate_den,
        "rate": price_text(a.rate_num, a.rate_den),
        "fee_bps": a.fee_bps,
        "daily_limit": a.daily_limit,
        "used_today": used,
        "active": a.active,
        "reserve": accounts.format_account(ex.reserve_account(a.id)),
        "reserve_balance": ex.reserve_balance(state, a, at),
        "height": at,
    }


def _today(service: NodeService) -> int:
    """The day of the latest committed block (a daily limit's window)."""
    chain = service.chain
    header = chain.store.header(chain.height)
    time_ms = chain.genesis.genesis_time_ms if header is None else int(header.time_ms)
    return ledger.day_of(time_ms)


def routes(service: NodeService) -> APIRouter:
    router = APIRouter(tags=["exchange"])

    @router.get("/v1/exchange/books/{base}/{quote}", summary="An order book, by price level")
    async def get_book(base: str, quote: str) -> dict[str, Any]:
        state = state_view(service)
        return book_view(state, _symbol_arg(base), _symbol_arg(quote), height(service))

    @router.get("/v1/exchange/orders/{order_id}", summary="An order of the exchange")
    async def get_order(order_id: str) -> dict[str, Any]:
        state = state_view(service)
        order = ex.get_order(state, _id_arg(order_id))
        if order is None:
            raise NotFound(f"no order {order_id}", "order_not_found")
        return order_view(state, order, height(service))

    @router.get("/v1/exchange/agreements/{agreement_id}", summary="A conversion agreement")
    async def get_agreement(agreement_id: str) -> dict[str, Any]:
        state = state_view(service)
        a = ex.get_agreement(state, _id_arg(agreement_id))
        if a is None:
            raise NotFound(f"no agreement {agreement_id}", "agreement_not_found")
        return agreement_view(state, a, height(service), _today(service))

    return router
