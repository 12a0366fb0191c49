"""The REST + JSON API (FastAPI), served by Hypercorn's trio worker inside the node.

Every error is JSON `{"code": ..., "message": ...}` with a 4xx status (5xx only for the
node's own faults); bodies over the limit or malformed never reach a handler's logic.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import msgpack
import trio
from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from primitives import codec
from primitives.errors import InvalidAddress
from primitives.keys import format_address, parse_address
from scctn_node.api import views
from scctn_node.api.routes import account_arg, all_routers
from scctn_node.errors import BadRequest, MempoolFull, NodeError, NotFound
from scctn_node.pruning import pruned_below
from scctn_node.service import NodeService, SubmitResult
from vm import accounts, ledger, params
from vm.state import StateView

log = logging.getLogger("scctn.api")

TX_EXAMPLE = {"tx": "92970a..."}


def error_body(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def _error_response(exc: NodeError) -> JSONResponse:
    headers = {}
    if isinstance(exc, MempoolFull):
        headers["Retry-After"] = str(exc.retry_after_s)
    return JSONResponse(error_body(exc.code, exc.message), exc.http_status, headers=headers)


def _hex_arg(text: str, size: int, what: str) -> bytes:
    try:
        raw = bytes.fromhex(text)
    except ValueError as exc:
        raise BadRequest(f"{what} must be hex", "malformed_" + what.replace(" ", "_")) from exc
    if len(raw) != size:
        raise BadRequest(f"{what} must be {size} bytes", "malformed_" + what.replace(" ", "_"))
    return raw


def _address_arg(text: str) -> bytes:
    try:
        return parse_address(text)
    except InvalidAddress as exc:
        raise BadRequest(exc.message, exc.code) from exc


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise NodeError(f"request body over {limit} bytes", "body_too_large", 413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise NodeError(f"request body over {limit} bytes", "body_too_large", 413)
        chunks.append(chunk)
    return b"".join(chunks)


def _decode_hex_tx(item: Any) -> bytes | NodeError:
    if not isinstance(item, str):
        return BadRequest("each transaction must be a hex string", "bad_encoding")
    try:
        return bytes.fromhex(item)
    except ValueError:
        return BadRequest("transaction is not valid hex", "bad_encoding")


async def _parse_tx_list(request: Request, limit: int, max_batch: int) -> list[bytes | NodeError]:
    body = await _read_body(request, limit)
    ctype = request.headers.get("content-type", "").split(";")[0].strip()
    if ctype == "application/msgpack":
        try:
            items = msgpack.unpackb(body, raw=False, max_array_len=max_batch)
        except Exception as exc:  # msgpack raises several private types for garbage
            raise BadRequest("body is not a msgpack array of transactions") from exc
        if not isinstance(items, list) or not all(isinstance(i, bytes) for i in items):
            raise BadRequest("body must be a msgpack array of binary transactions")
        return list(items)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    if "txs" in data:
        txs = data["txs"]
        if not isinstance(txs, list):
            raise BadRequest("'txs' must be a list of hex strings")
    elif "tx" in data:
        txs = [data["tx"]]
    else:
        raise BadRequest("body must have 'tx' (one hex transaction) or 'txs' (a list)")
    if len(txs) > max_batch:
        raise BadRequest(f"at most {max_batch} transactions per request", "batch_too_large")
    return [_decode_hex_tx(t) for t in txs]


def _result_json(r: SubmitResult) -> dict[str, Any]:
    if r.error is not None:
        return error_body(r.error.code, r.error.message)
    assert r.tx_hash is not None
    return {"hash": r.tx_hash.hex(), "status": "known" if r.known else "accepted"}


def create_app(service: NodeService, *, max_body_bytes: int, max_batch: int) -> FastAPI:
    app = FastAPI(
        title="SCCTN node API",
        version="1",
        description="Submit signed transactions, read blocks, receipts, accounts with Merkle "
        "proofs, point types and node status. Errors are JSON {code, message}.",
    )
    chain = service.chain
    metrics = service.metrics

    @app.exception_handler(NodeError)
    async def _node_error(request: Request, exc: NodeError) -> JSONResponse:
        return _error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return JSONResponse(
            error_body("bad_request", f"{where}: {first.get('msg', 'invalid')}"), 400
        )

    @app.middleware("http")
    async def _count(request: Request, call_next: Any) -> Any:
        try:
            response = await call_next(request)
        except Exception:
            log.exception("unhandled error in %s", request.url.path)
            response = JSONResponse(error_body("internal_error", "the node failed"), 500)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        metrics.api_requests.labels(path, str(response.status_code)).inc()
        return response

    submit_doc = {
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "tx": {"type": "string", "description": "hex of a signed tx"},
                            "txs": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                    "example": TX_EXAMPLE,
                },
                "application/msgpack": {"schema": {"type": "string", "format": "binary"}},
            }
        }
    }

    @app.post(
        "/v1/txs",
        status_code=202,
        openapi_extra=submit_doc,
        tags=["transactions"],
        summary="Submit one signed transaction",
    )
    async def submit_one(request: Request) -> JSONResponse:
        items = await _parse_tx_list(request, max_body_bytes, 1)
        if len(items) != 1:
            raise BadRequest("submit exactly one transaction here; use /v1/txs/batch")
        item = items[0]
        if isinstance(item, NodeError):
            raise item
        result = (await service.submit([item]))[0]
        if result.error is not None:
            raise result.error
        return JSONResponse(_result_json(result), 202)

    @app.post(
        "/v1/txs/batch",
        openapi_extra=submit_doc,
        tags=["transactions"],
        summary="Submit a batch of signed transactions; one result per transaction",
    )
    async def submit_batch(request: Request) -> JSONResponse:
        items = await _parse_tx_list(request, max_body_bytes, max_batch)
        raws = [i for i in items if isinstance(i, bytes)]
        submitted = iter(await service.submit(raws))
        results = [
            SubmitResult(error=i) if isinstance(i, NodeError) else next(submitted) for i in items
        ]
        out = [_result_json(r) for r in results]
        accepted = sum(1 for r in results if r.error is None)
        full = any(isinstance(r.error, MempoolFull) for r in results)
        headers = {"Retry-After": "1"} if full else {}
        return JSONResponse(
            {"results": out, "accepted": accepted, "rejected": len(results) - accepted},
            200,
            headers=headers,
        )

    @app.get("/v1/txs/{tx_hash}", tags=["transactions"], summary="Transaction and receipt")
    async def get_tx(tx_hash: str) -> dict[str, Any]:
        h = _hex_arg(tx_hash, 32, "tx hash")
        loc = chain.store.locate_tx(h)
        block = None if loc is None else chain.store.block(loc.height)
        if loc is not None and block is not None:  # (a prune may race the two reads)
            return {
                "hash": tx_hash.lower(),
                "status": "committed",
                "height": loc.height,
                "index": loc.index,
                "receipt": views.receipt(chain.store.receipt(loc)),
                "tx": views.transaction(block.txs[loc.index]),
            }
        pending = chain.mempool.get(h)
        if pending is not None:
            return {"hash": tx_hash.lower(), "status": "pending", "tx": views.transaction(pending)}
        reason = chain.mempool.dropped(h)
        if reason is not None:
            return {"hash": tx_hash.lower(), "status": "dropped", "reason": reason}
        below = pruned_below(chain.store.kv)
        if below:
            raise NotFound(
                f"no transaction {tx_hash} (this node keeps blocks from height {below} on)",
                "tx_not_found",
            )
        raise NotFound(f"no transaction {tx_hash}", "tx_not_found")

    @app.get(
        "/v1/blocks/latest",
        tags=["blocks"],
        summary="The latest committed block (full=false: header and tx hashes only)",
    )
    async def latest_block(full: bool = True) -> dict[str, Any]:
        return _block(chain.height, full)

    @app.get("/v1/blocks/{height}", tags=["blocks"], summary="Block by height, with receipts")
    async def get_block(height: int, full: bool = True) -> dict[str, Any]:
        return _block(height, full)

    def _block(height: int, full: bool) -> dict[str, Any]:
        if height < 0:
            raise BadRequest("height must not be negative", "malformed_height")
        block = chain.store.block(height) if height > 0 else None
        if block is None:
            below = pruned_below(chain.store.kv)
            if 0 < height < below:
                raise NotFound(f"block {height} was pruned (kept from {below} on)", "block_pruned")
            raise NotFound(f"no block at height {height}", "block_not_found")
        body = views.block(block, chain.store.receipts(height) if full else None, full=full)
        body["commit"] = views.certificate(chain.store.commit_of(height))
        body["state_root_after"] = (chain.store.state_root_at(height) or b"").hex()
        return body

    @app.get(
        "/v1/accounts/{address:path}",
        tags=["state"],
        summary="Account nonce and balances, optionally with Merkle proofs",
    )
    async def get_account(address: str, prove: bool = False, symbols: str = "") -> dict[str, Any]:
        addr = account_arg(address)
        wanted = [s for s in symbols.split(",") if s]
        async with service.commit_lock:
            state = StateView(chain.store.state)
            prefix = ledger.account_prefix(addr)
            height = chain.height
            balances = ledger.holdings_view(
                state,
                (
                    (key[len(prefix) :].decode(), raw)
                    for key, raw in chain.store.state_items(prefix)
                ),
                height,
            )
            for s in wanted:
                balances.setdefault(s, ledger.get_balance(state, addr, s, height))
            raw_account = accounts.is_raw(addr)
            body: dict[str, Any] = {
                "address": accounts.format_account(addr),
                "height": height,
                "state_root": chain.store.state_root.hex(),
                "nonce": ledger.get_nonce(state, addr) if raw_account else None,
                "next_nonce": chain.mempool.next_nonce(addr) if raw_account else None,
                "custodian": None if raw_account else format_address(addr[:20]),
                "tier": ledger.tier_of(state, addr),
                "balances": balances,
            }
            if prove:
                keys = {"nonce": ledger.nonce_key(addr)} if raw_account else {}
                keys.update({f"balance:{s}": ledger.balance_key(addr, s) for s in balances})
                body["proofs"] = {
                    name: {
                        "key": key.hex(),
                        "value": None if (v := chain.store.state.get(key)) is None else v.hex(),
                        "proof": chain.store.prove(key).to_json(),
                    }
                    for name, key in keys.items()
                }
        return body

    @app.get("/v1/assets", tags=["state"], summary="All point types")
    async def list_assets() -> dict[str, Any]:
        items = [
            views.asset(ledger.AssetRecord.from_wire(codec.decode(v)))
            for _, v in chain.store.state_items(ledger.ASSET)
        ]
        return {"assets": items}

    @app.get("/v1/assets/{symbol}", tags=["state"], summary="One point type")
    async def get_asset(symbol: str) -> dict[str, Any]:
        asset = ledger.get_asset(StateView(chain.store.state), symbol)
        if asset is None:
            raise NotFound(f"no point type {symbol!r}", "asset_not_found")
        return views.asset(asset)

    @app.get("/v1/gas", tags=["state"], summary="The gas schedule (per op and per list item)")
    async def gas() -> dict[str, Any]:
        return params.gas_json(StateView(chain.store.state))

    @app.get("/v1/status", tags=["node"], summary="Chain and node status")
    async def status() -> dict[str, Any]:
        return service.status()

    @app.get("/health", tags=["node"], summary="200 when healthy, 503 with a reason when not")
    async def health() -> JSONResponse:
        ok, body = service.health()
        return JSONResponse(body, 200 if ok else 503)

    @app.get("/metrics", tags=["node"], summary="Prometheus metrics")
    async def prometheus() -> Response:
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    for router in all_routers(service):
        app.include_router(router)

    @app.websocket("/v1/ws")
    async def stream(ws: WebSocket) -> None:
        """New blocks and receipts as JSON messages: {"type": "block"|"receipt", ...}."""
        await ws.accept()
        blocks_only = ws.query_params.get("receipts", "true").lower() in ("0", "false", "no")
        recv = service.subscribers.open()
        metrics.ws_clients.inc()
        try:
            async with recv:
                async for message in recv:
                    if blocks_only and message["type"] != "block":
                        continue
                    await ws.send_json(message)
            await ws.close(code=1013, reason="subscriber too slow")
        except (WebSocketDisconnect, trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        finally:
            metrics.ws_clients.dec()

    return app
