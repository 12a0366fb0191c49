"""Point types' liability at any height, holdings' dated lots, holder state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter

from primitives import codec
from scctn_node.api import views
from scctn_node.api.routes import account_arg, state_view
from scctn_node.errors import BadRequest, NotFound
from vm import accounts, ledger

if TYPE_CHECKING:
    from scctn_node.service import NodeService


def routes(service: NodeService) -> APIRouter:
    router = APIRouter(tags=["ledger"])
    chain = service.chain

    @router.get(
        "/v1/assets/{symbol}/liability",
        summary="The issuer's liability for a point type, now or as of a past height",
    )
    async def liability(symbol: str, height: int | None = None) -> dict[str, Any]:
        now = chain.height
        at = now if height is None else height
        if at < 0 or at > now:
            raise BadRequest(f"height must be between 0 and {now}", "malformed_height")
        if height is None:
            asset = ledger.get_asset(state_view(service), symbol)
        else:
            raw = chain.store.asset_at(symbol, at)
            asset = None if raw is None else ledger.PointType.from_wire(codec.decode(raw))
        if asset is None:
            raise NotFound(f"no point type {symbol!r} at height {at}", "asset_not_found")
        body = views.liability(asset)
        body.update(symbol=symbol, height=at, issuer=views.value(asset.issuer))
        return body

    @router.get(
        "/v1/holdings/{symbol}/{account:path}",
        summary="A holder's points of one type: balance, dated lots, freeze, authorisation",
    )
    async def holding(account: str, symbol: str) -> dict[str, Any]:
        acct = account_arg(account)
        state = state_view(service)
        asset = ledger.get_asset(state, symbol)
        if asset is None:
            raise NotFound(f"no point type {symbol!r}", "asset_not_found")
        h = chain.height
        lots = ledger.lots_of(state, acct, symbol, h)
        return {
            "account": accounts.format_account(acct),
            "symbol": symbol,
            "height": h,
            "balance": sum(a for _, a in lots),
            "lots": [{"expires_at": e or None, "amount": a} for e, a in lots if a],
            "frozen": ledger.frozen_reason(state, symbol, acct),
            "authorized": ledger.is_authorised(state, symbol, acct)
            if asset.has(ledger.REQUIRE_AUTH)
            else None,
            "tier": ledger.tier_of(state, acct),
        }

    return router
