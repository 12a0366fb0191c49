"""The explorer page (static files under `scctn_node/explorer/`, served at `/explorer`)
and the few read endpoints it needs that the rest of the API does not give:

- `/v1/explorer/validators`: each validator of the current epoch as this node sees it
  (linked, last heard, last commit vote in the recent certificates), with the view,
  primary and view changes;
- `/v1/explorer/commits`: the blocks this node committed in the last minutes (height,
  time, transactions, proposal-to-commit latency), for the latency and throughput charts;
- `/v1/explorer/holders[/{symbol}]`: how many accounts hold each point type (a bounded
  state scan, reused for 10 s or while the height stays);
- `/v1/explorer/accounts/{account}/txs`: an account's transactions in the recent blocks
  (a scan of at most `blocks` blocks and 20,000 transactions; the node keeps no index by
  account);
- `/v1/explorer/accounts/{address}/subaccounts`: custody sub-accounts holding points.

The page uses only these and the public API; everything here is public chain data.
"""

from __future__ import annotations

import time
from importlib import resources
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse, Response

from primitives import codec
from scctn_node.api import views
from scctn_node.api.routes import account_arg, height, state_items, state_view
from scctn_node.api.routes import mall as mall_routes
from scctn_node.errors import BadRequest, NotFound
from vm import accounts, ledger, tables
from vm.ops import mall

if TYPE_CHECKING:
    from scctn_node.service import NodeService

STATIC = {
    "index.html": "text/html; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
MODULE_TYPE = "text/javascript; charset=utf-8"
# No inline script or style, no other origin: data shown by the page cannot run as code.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
VOTE_WINDOW = 64  # recent commit certificates scanned for each validator's last vote
MAX_SCAN_BLOCKS = 5_000
MAX_ACCOUNT_TXS = 100
MAX_SCAN_TXS = 20_000  # an account's txs: stop before decoding more than this many
MAX_HOLDER_KEYS = 100_000
HOLDERS_TTL_S = 10
MAX_LISTED = 1_000


def static_file(name: str) -> tuple[bytes, str] | None:
    """An explorer file by name (flat directory; anything else is not found)."""
    ctype = STATIC.get(name) or (MODULE_TYPE if name.endswith(".js") else None)
    if ctype is None or "/" in name or name.startswith("."):
        return None
    path = resources.files("scctn_node.explorer") / name
    if not path.is_file():
        return None
    return path.read_bytes(), ctype


def last_votes(service: NodeService, window: int = VOTE_WINDOW) -> dict[str, int]:
    """Validator name -> the highest recent block whose commit certificate holds its vote."""
    chain = service.chain
    top = int(chain.height)
    out: dict[str, int] = {}
    for h in range(top, max(0, top - window), -1):
        cert = chain.store.commit_of(h)
        if cert is None:
            continue
        names = chain.epoch_at(h).validators
        for vote in cert.votes:
            i = int(vote.sender)
            if i < len(names):
                out.setdefault(names[i].name, h)
    return out


def _mentions(value: Any, needle: str) -> bool:
    if isinstance(value, str):
        return value == needle
    if isinstance(value, dict):
        return any(_mentions(v, needle) for v in value.values())
    if isinstance(value, list):
        return any(_mentions(v, needle) for v in value)
    return False


def _balance_key_parts(key: bytes) -> tuple[bytes, str] | None:
    body = key[len(ledger.BALANCE) :]
    if not body:
        return None
    n = body[0]
    if len(body) < 1 + n:
        return None
    return body[1 : 1 + n], body[1 + n :].decode(errors="replace")


def routes(service: NodeService) -> APIRouter:
    router = APIRouter(tags=["explorer"])

    @router.get("/explorer", include_in_schema=False)
    async def explorer_root() -> Response:
        return RedirectResponse("/explorer/", 307)

    @router.get("/explorer/", include_in_schema=False)
    async def explorer_index() -> Response:
        return await explorer_file("index.html")

    @router.get("/explorer/{name}", include_in_schema=False)
    async def explorer_file(name: str) -> Response:
        found = static_file(name)
        if found is None:
            raise NotFound(f"no explorer file {name!r}", "not_found")
        body, ctype = found
        headers = {
            "Cache-Control": "no-cache",
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        }
        return Response(body, media_type=ctype, headers=headers)

    @router.get("/v1/explorer/validators", summary="Validators as this node sees them")
    async def validators() -> dict[str, Any]:
        status = service.consensus_status()
        votes = last_votes(service)
        links = {v["name"]: v for v in service.validator_links()}
        out = []
        for i, v in enumerate(service.chain.current_epoch.validators):
            link = links.get(v.name, {})
            out.append(
                {
                    "index": i,
                    "name": v.name,
                    "public_key": v.public_key.hex(),
                    "self": bool(link.get("self", v.public_key == service.chain.proposer_key)),
                    "linked": link.get("linked"),
                    "last_heard_ms": link.get("last_heard_ms"),
                    "last_vote_height": votes.get(v.name),
                }
            )
        return {
            "height": height(service),
            "epoch": status.get("epoch"),
            "view": status.get("view"),
            "primary": status.get("primary"),
            "view_changes": status.get("view_changes", 0),
            "view_change_in_progress": bool(status.get("view_change_in_progress")),
            "validators": out,
        }

    @router.get("/v1/explorer/commits", summary="Blocks committed here in the last minutes")
    async def commits(seconds: int = Query(600, ge=1, le=3600)) -> dict[str, Any]:
        now = time.time()
        store = service.chain.store
        out = []
        for h, at, txs, _ in service.recent_commits:
            if now - at > seconds:
                continue
            header = store.header(h)
            latency = None if header is None else max(0, int(at * 1000) - header.time_ms)
            out.append({"height": h, "time_ms": int(at * 1000), "txs": txs, "latency_ms": latency})
        return {"now_ms": int(now * 1000), "seconds": seconds, "commits": out}

    holder_cache: dict[str, Any] = {}

    def holder_counts() -> dict[str, Any]:
        """Holders per symbol, one bounded scan of the balances, reused for a while: the
        scan runs on the node's event loop, so pages polling it must not repeat it."""
        at = height(service)
        cached = holder_cache.get("value")
        if cached is not None and (
            cached["height"] == at or time.monotonic() - holder_cache["at"] < HOLDERS_TTL_S
        ):
            return dict(cached)
        counts: dict[str, int] = {}
        scanned = 0
        state = state_view(service)
        for key, raw in state_items(service, ledger.BALANCE):
            scanned += 1
            if scanned > MAX_HOLDER_KEYS:
                break
            parts = _balance_key_parts(key)
            if parts is not None and ledger.holdings_view(state, [(parts[1], raw)], at):
                counts[parts[1]] = counts.get(parts[1], 0) + 1
        value = {"height": at, "holders": counts, "complete": scanned <= MAX_HOLDER_KEYS}
        holder_cache.update(value=value, at=time.monotonic())
        return dict(value)

    @router.get("/v1/explorer/holders", summary="How many accounts hold each point type")
    async def all_holders() -> dict[str, Any]:
        return holder_counts()

    @router.get("/v1/explorer/holders/{symbol}", summary="How many accounts hold a point type")
    async def holders(symbol: str) -> dict[str, Any]:
        if ledger.get_asset(state_view(service), symbol) is None:
            raise NotFound(f"no point type {symbol!r}", "asset_not_found")
        counts = holder_counts()
        return {
            "symbol": symbol,
            "holders": counts["holders"].get(symbol, 0),
            "height": counts["height"],
            "complete": counts["complete"],
        }

    @router.get(
        "/v1/explorer/accounts/{account:path}/txs",
        summary="An account's transactions in the recent blocks (newest first)",
    )
    async def account_txs(
        account: str, blocks: int = Query(1000, ge=1, le=MAX_SCAN_BLOCKS)
    ) -> dict[str, Any]:
        text = accounts.format_account(account_arg(account))
        store = service.chain.store
        top = height(service)
        found: list[dict[str, Any]] = []
        lowest = top
        budget = MAX_SCAN_TXS
        for h in range(top, max(0, top - blocks), -1):
            block = store.block(h)
            if block is None or len(block.txs) > budget:
                break
            budget -= len(block.txs)
            lowest = h
            receipts = store.receipts(h)
            for i, stx in enumerate(block.txs):
                tx = views.transaction(stx)
                rec = views.receipt(receipts[i]) if i < len(receipts) else None
                if tx["from"] == text or _mentions(tx["ops"], text) or _mentions(rec, text):
                    found.append(
                        {
                            "hash": tx["hash"],
                            "height": h,
                            "from": tx["from"],
                            "ops": [op.get("op") for op in tx["ops"]],
                            "code": None if rec is None else rec["code"],
                            "message": None if rec is None else rec["message"],
                        }
                    )
            if len(found) >= MAX_ACCOUNT_TXS:
                break
        return {"account": text, "from_height": lowest, "to_height": top, "txs": found}

    @router.get(
        "/v1/explorer/accounts/{address}/subaccounts",
        summary="Custody sub-accounts of a custodian that hold points",
    )
    async def subaccounts(address: str) -> dict[str, Any]:
        raw = account_arg(address)
        if not accounts.is_raw(raw):
            raise BadRequest("a custodian is a plain scc1... address", "invalid_address")
        seen: list[str] = []
        for size in range(len(raw) + 1, accounts.MAX_ACCOUNT + 1):
            for key, _ in state_items(service, ledger.BALANCE + bytes((size,)) + raw):
                parts = _balance_key_parts(key)
                if parts is not None:
                    name = accounts.format_account(parts[0])
                    if name not in seen[-1:]:
                        seen.append(name)
        return {"custodian": accounts.format_account(raw), "subaccounts": seen[:MAX_LISTED]}

    @router.get("/v1/explorer/auctions", summary="Mall auctions that are open or ended")
    async def auctions() -> dict[str, Any]:
        state = state_view(service)
        at = height(service)
        out = []
        for key, raw in state_items(service, tables.MALL_AUCTION):
            au = mall.Auction.from_wire(
                key[len(tables.MALL_AUCTION) :].decode(), codec.decode_trusted(raw)
            )
            if au.status_at(at) in ("open", "ended"):
                out.append(mall_routes.auction_view(state, au, at))
                if len(out) >= MAX_LISTED:
                    break
        return {"auctions": out, "height": at}

    return router
