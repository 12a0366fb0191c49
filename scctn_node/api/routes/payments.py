"""Read endpoints of merchant payments and settlement (vm/ops/payments.py,
vm/settlement.py).

    GET /v1/payments/{merchant}/{order_id}            a payment (order id: text or 0x + hex)
    GET /v1/invoices/{merchant}/{invoice_id}          an invoice
    GET /v1/settlement?period=&member=                net positions of a period (default:
                                                      the current one), optionally one member
    GET /v1/settlement/limits/{issuer}/{currency}     an issuer's reserve and credit limit
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Query

from primitives import codec
from primitives.errors import InvalidAddress
from primitives.keys import format_address, parse_address
from scctn_node.api.routes import height, state_items, state_view
from scctn_node.errors import BadRequest, NotFound
from vm import accounts, settlement
from vm.ops import payments

if TYPE_CHECKING:
    from scctn_node.service import NodeService


def _address(text: str) -> bytes:
    try:
        return parse_address(text)
    except InvalidAddress as exc:
        raise BadRequest(exc.message, exc.code) from exc


def _id(text: str) -> bytes:
    try:
        raw = payments.parse_id(text)
    except ValueError:
        raise BadRequest("an id is text or 0x + hex", "malformed_order_id") from None
    if not 1 <= len(raw) <= 64:
        raise BadRequest("an id has 1 to 64 bytes", "malformed_order_id")
    return raw


def payment_view(merchant: bytes, order_id: bytes, p: payments.Payment) -> dict[str, Any]:
    return {
        "merchant": format_address(merchant),
        "order_id": payments.show_id(order_id),
        "payer": accounts.format_account(p.payer),
        "symbol": p.symbol,
        "amount": p.amount,
        "refunded": p.refunded,
        "refundable": p.amount - p.refunded,
        "lots": [{"expiry": e, "amount": a} for e, a in p.lots],
        "height": p.height,
        "invoice": p.invoice,
    }


def invoice_view(merchant: bytes, invoice_id: bytes, inv: payments.Invoice) -> dict[str, Any]:
    return {
        "merchant": format_address(merchant),
        "invoice_id": payments.show_id(invoice_id),
        "payer": accounts.format_account(inv.payer) if inv.payer else None,
        "symbol": inv.symbol,
        "amount": inv.amount,
        "expiry": inv.expiry,
        "status": payments.INVOICE_STATUS[inv.status],
        "paid_by": accounts.format_account(inv.paid_by) if inv.paid_by else None,
        "height": inv.height,
    }


def routes(service: NodeService) -> APIRouter:
    router = APIRouter(tags=["payments"])

    @router.get("/v1/payments/{merchant}/{order_id}", summary="A merchant's payment by order id")
    async def payment(merchant: str, order_id: str) -> dict[str, Any]:
        m, oid = _address(merchant), _id(order_id)
        p = payments.get_payment(state_view(service), m, oid)
        if p is None:
            raise NotFound(f"no payment of order {order_id} to {merchant}", "payment_not_found")
        return payment_view(m, oid, p)

    @router.get("/v1/invoices/{merchant}/{invoice_id}", summary="A merchant's invoice")
    async def invoice(merchant: str, invoice_id: str) -> dict[str, Any]:
        m, iid = _address(merchant), _id(invoice_id)
        inv = payments.get_invoice(state_view(service), m, iid)
        if inv is None:
            raise NotFound(f"no invoice {invoice_id} of {merchant}", "invoice_not_found")
        return invoice_view(m, iid, inv)

    @router.get("/v1/settlement", summary="Net settlement positions of a period")
    async def positions(
        period: int | None = Query(None, ge=0, description="period (default: the current one)"),
        member: str | None = Query(None, description="only this member (scc1...)"),
    ) -> dict[str, Any]:
        state = state_view(service)
        at = height(service)
        blocks = settlement.period_blocks(state)
        if period is None:
            period = at // blocks
        only = None if member is None else _address(member)
        rows = []
        for key, raw in state_items(service, settlement.period_prefix(period)):
            _, currency, who = settlement.parse_position_key(bytes(key))
            if only is not None and who != only:
                continue
            rows.append(
                {
                    "member": accounts.format_account(who),
                    "currency": currency,
                    "net": int(codec.decode_trusted(raw)),
                }
            )
        mark = settlement.settled(state, period)
        return {
            "period": period,
            "period_blocks": blocks,
            "start_height": period * blocks,
            "end_height": (period + 1) * blocks - 1,
            "height": at,
            "settled": mark is not None,
            "settled_height": None if mark is None else mark[0],
            "positions": rows,
        }

    @router.get(
        "/v1/settlement/limits/{issuer}/{currency}",
        summary="An issuer's reserve and credit limit in a currency",
    )
    async def limits(issuer: str, currency: str) -> dict[str, Any]:
        state = state_view(service)
        who = _address(issuer)
        return {
            "issuer": format_address(who),
            "currency": currency,
            "reserve": settlement.reserve_of(state, who, currency),
            "credit_limit": settlement.credit_limit_of(state, who, currency),
            "limit": settlement.limit_of(state, who, currency),
        }

    return router
