"""Read endpoints of custody (vm/ops/custody.py) and holder tiers (vm/ledger.py).

    GET /v1/custody/{custodian}/fees        the custodian's published fees by point type
    GET /v1/tiers/{symbol}                  the tier limits of a point type
    GET /v1/tiers/{symbol}/{account}        a holder's tier, its limits and what it sent
                                            today (account: scc1... or scc1.../user)

A custody user's balance is an ordinary holding: GET /v1/accounts/{scc1.../user}.
"Today" is the day of the latest committed block; `sent_today` is kept only while the
holder's tier has a daily limit for the point type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter

from primitives import codec
from primitives.errors import InvalidAddress
from primitives.keys import format_address, parse_address
from scctn_node.api.routes import account_arg, height, state_items, state_view
from scctn_node.errors import BadRequest, NotFound
from vm import accounts, governance, ledger, tables
from vm.ops.custody import BPS

if TYPE_CHECKING:
    from scctn_node.service import NodeService


def _limits_json(limits: ledger.TierLimits) -> dict[str, int]:
    return {
        "max_balance": limits.max_balance,
        "max_per_tx": limits.max_per_tx,
        "max_daily": limits.max_daily,
    }


def _latest_time_ms(service: NodeService) -> int:
    chain = service.chain
    header = chain.store.header(chain.height)
    return chain.genesis.genesis_time_ms if header is None else int(header.time_ms)


def routes(service: NodeService) -> APIRouter:
    router = APIRouter(tags=["custody"])

    @router.get("/v1/custody/{custodian}/fees", summary="A custodian's published fees")
    async def fees(custodian: str) -> dict[str, Any]:
        try:
            addr = parse_address(custodian)
        except InvalidAddress as exc:
            raise BadRequest(exc.message, exc.code) from exc
        state = state_view(service)
        prefix = tables.CUSTODY_FEE + addr
        out = {}
        for key, raw in state_items(service, prefix):
            bps, min_fee = codec.decode_trusted(raw)
            out[key[len(prefix) :].decode()] = {"fee_bps": int(bps), "min_fee": int(min_fee)}
        return {
            "custodian": format_address(addr),
            "is_custodian": governance.has_role(state, addr, "custodian"),
            "height": height(service),
            "bps_denominator": BPS,
            "fee_rule": "max(min_fee, amount * fee_bps // 10000), paid on top of the amount",
            "fees": out,
        }

    @router.get("/v1/tiers/{symbol}", summary="Tier limits of a point type")
    async def tiers(symbol: str) -> dict[str, Any]:
        state = state_view(service)
        if ledger.get_asset(state, symbol) is None:
            raise NotFound(f"no point type {symbol!r}", "asset_not_found")
        table = ledger.tier_table(state, symbol)
        return {
            "symbol": symbol,
            "height": height(service),
            "default_tier": ledger.DEFAULT_TIER,
            "tiers": {t: _limits_json(v) for t, v in sorted(table.items())},
        }

    @router.get("/v1/tiers/{symbol}/{account:path}", summary="A holder's tier and usage today")
    async def holder_tier(symbol: str, account: str) -> dict[str, Any]:
        acct = account_arg(account)
        state = state_view(service)
        asset = ledger.get_asset(state, symbol)
        if asset is None:
            raise NotFound(f"no point type {symbol!r}", "asset_not_found")
        tier = ledger.tier_of(state, acct)
        limits = ledger.tier_table(state, symbol).get(tier)
        day = ledger.day_of(_latest_time_ms(service))
        exempt = acct == asset.issuer
        return {
            "symbol": symbol,
            "account": accounts.format_account(acct),
            "tier": tier,
            "exempt": exempt,
            "limits": None if limits is None or exempt else _limits_json(limits),
            "day": day,
            "sent_today": ledger.window_used(state, ledger.daily_key(acct, symbol), day),
            "balance": ledger.get_balance(state, acct, symbol, height(service) + 1),
        }

    return router
