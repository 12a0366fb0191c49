"""Read endpoints of the issuance modes (vm/ops/coupon.py, card.py, mining.py).

    GET /v1/coupons/{id_hex}                      a coupon, its status and escrow balance
    GET /v1/cards/{issuer}/{card_id}              a rights card, with what it may claim
    GET /v1/cards?holder=ACCOUNT                  the cards an account holds (a table scan)
    GET /v1/mining/{schedule_id}?issuer=&card=    a mining schedule; with a card, its pending

Statuses and pending amounts are those at the latest committed height. Accumulator
values exceed 64 bits, so they are JSON strings; amounts are integers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Query

from primitives.errors import InvalidAddress
from primitives.keys import format_address, parse_address
from scctn_node.api.routes import account_arg, height, state_items, state_view
from scctn_node.errors import BadRequest, NotFound
from vm import accounts, ledger, tables
from vm.ops import card as cards
from vm.ops import coupon as coupons
from vm.ops import mining
from vm.state import StateReader

if TYPE_CHECKING:
    from scctn_node.service import NodeService

MAX_CARDS_LISTED = 1_000


def _address_arg(text: str) -> bytes:
    try:
        return parse_address(text)
    except InvalidAddress as exc:
        raise BadRequest(exc.message, exc.code) from exc


def _coupon_id_arg(text: str) -> bytes:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise BadRequest("the coupon id must be hex", "malformed_coupon_id") from None
    if len(raw) != 32:
        raise BadRequest("a coupon id is 32 bytes (64 hex digits)", "malformed_coupon_id")
    return raw


def coupon_view(state: StateReader, c: coupons.Coupon, at: int) -> dict[str, Any]:
    escrow = coupons.escrow_account(c.id)
    return {
        "coupon_id": c.id.hex(),
        "symbol": c.symbol,
        "issuer": format_address(c.issuer),
        "amount": c.amount,
        "deadline": c.deadline,
        "created_height": c.created,
        "status": c.status_at(at),
        "claimant": accounts.format_account(c.claimant) if c.claimant else None,
        "paid": c.paid,
        "escrow": accounts.format_account(escrow),
        "escrow_balance": ledger.get_balance(state, escrow, c.symbol, at),
        "height": at,
    }


def card_view(state: StateReader, card: cards.Card, at: int) -> dict[str, Any]:
    live, sids = cards.get_class(state, card.issuer, card.card_class)
    claimable = {}
    for sid in sids:
        s = mining.get_schedule(state, sid)
        if s is not None:
            claimable[sid] = mining.pending(state, s, card, at)
    return {
        "issuer": format_address(card.issuer),
        "card_id": card.card_id,
        "class": card.card_class,
        "holder": accounts.format_account(card.holder),
        "transferable": card.transferable,
        "attributes": dict(card.attributes),
        "issued_height": card.issued,
        "class_live_cards": live,
        "mining_pending": claimable,
        "height": at,
    }


def schedule_view(state: StateReader, s: mining.Schedule, at: int) -> dict[str, Any]:
    live, _ = cards.get_class(state, s.issuer, s.card_class)
    now = s.advanced(live, at)
    return {
        "schedule_id": s.id,
        "symbol": s.symbol,
        "issuer": format_address(s.issuer),
        "card_class": s.card_class,
        "amount_per_epoch": s.amount_per_epoch,
        "epoch_blocks": s.epoch_blocks,
        "start": s.start,
        "end": s.end,
        "epochs": s.epochs,
        "created_height": s.created,
        "completed_epochs": s.completed_at(at),
        "folded_epochs": s.done,
        "finished": now.finished,
        "live_cards": live,
        "reward_per_card": str(now.acc),  # scaled by 10**18, as of `height`
        "scale": str(mining.SCALE),
        "claimed": s.claimed,
        "height": at,
    }


def routes(service: NodeService) -> APIRouter:
    router = APIRouter(tags=["issuance"])

    @router.get("/v1/coupons/{id_hex}", summary="A coupon: amount, deadline, status, escrow")
    async def get_coupon(id_hex: str) -> dict[str, Any]:
        cid = _coupon_id_arg(id_hex)
        state = state_view(service)
        c = coupons.get_coupon(state, cid)
        if c is None:
            raise NotFound(f"no coupon {id_hex}", "coupon_not_found")
        return coupon_view(state, c, height(service))

    @router.get("/v1/cards", summary="The rights cards an account holds (scans every card)")
    async def list_cards(
        holder: str = Query(..., description="scc1... or scc1.../user"),
    ) -> dict[str, Any]:
        account = account_arg(holder)
        state = state_view(service)
        at = height(service)
        found = []
        for key, raw in state_items(service, tables.CARD):
            card = cards.card_from_item(key, raw)
            if card.holder == account:
                found.append(card_view(state, card, at))
                if len(found) >= MAX_CARDS_LISTED:
                    break
        return {"holder": accounts.format_account(account), "cards": found, "height": at}

    @router.get("/v1/cards/{issuer}/{card_id}", summary="A rights card")
    async def get_card(issuer: str, card_id: str) -> dict[str, Any]:
        address = _address_arg(issuer)
        state = state_view(service)
        card = cards.get_card(state, address, card_id)
        if card is None:
            raise NotFound(f"no card {card_id!r} of {issuer}", "card_not_found")
        return card_view(state, card, height(service))

    @router.get(
        "/v1/mining/{schedule_id}",
        summary="A mining schedule; with issuer and card, what that card may claim now",
    )
    async def get_schedule(
        schedule_id: str,
        issuer: str | None = Query(None, description="the card's issuer (scc1...)"),
        card: str | None = Query(None, description="the card's id"),
    ) -> dict[str, Any]:
        state = state_view(service)
        at = height(service)
        s = mining.get_schedule(state, schedule_id)
        if s is None:
            raise NotFound(f"no mining schedule {schedule_id!r}", "schedule_not_found")
        body = schedule_view(state, s, at)
        if (issuer is None) != (card is None):
            raise BadRequest("give both issuer and card, or neither", "bad_request")
        if issuer is not None and card is not None:
            record = cards.get_card(state, _address_arg(issuer), card)
            if record is None:
                raise NotFound(f"no card {card!r} of {issuer}", "card_not_found")
            body["card"] = {
                "issuer": format_address(record.issuer),
                "card_id": record.card_id,
                "holder": accounts.format_account(record.holder),
                "eligible": record.issuer == s.issuer and record.card_class == s.card_class,
                "pending": mining.pending(state, s, record, at),
            }
        return body

    return router
