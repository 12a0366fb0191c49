"""The exchange endpoints (scctn_node/api/routes/exchange.py) over a state built by
executing real transactions, served by a stand-in for the node service; and the text
forms of `scctn query book|book-order|agreement`."""

from __future__ import annotations

import warnings
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from scctn_node.api.routes import exchange as exchange_routes
from scctn_node.cli.queries import exchange as exchange_cli
from scctn_node.errors import NodeError
from tests.unit.vm.helpers import block, founded, key, signed
from vm import accounts, codes, governance
from vm.context import ExecContext
from vm.executor import execute_transaction
from vm.ops.asset import AssetCreate, AssetIssue
from vm.ops.exchange import BUY, SELL, ExAgreement, ExFundReserve, ExOrder, order_escrow
from vm.ops.registry import Operation
from vm.state import StateView

with warnings.catch_warnings():  # starlette prefers httpx2, which is not installed here
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

IA, IB, U = key(1), key(2), key(3)
HEIGHT = 5


class _Store:
    def __init__(self, state: StateView) -> None:
        self.state = state

    def header(self, height: int) -> None:
        return None


class _Genesis:
    genesis_time_ms = 1_700_000_000_000


class _Chain:
    def __init__(self, state: StateView) -> None:
        self.store = _Store(state)
        self.height = HEIGHT
        self.genesis = _Genesis()


class _Service:
    def __init__(self, state: StateView) -> None:
        self.chain = _Chain(state)


def _client() -> TestClient:
    state = founded((IA, ("issuer",)), (IB, ("issuer",)))
    nonces = {IA.address(): 0, IB.address(): 0, U.address(): 0}

    def run(k: Any, op: Operation) -> None:
        stx = signed(k, nonces[k.address()], op)
        nonces[k.address()] += 1
        r = execute_transaction(state, stx, block(1))
        assert r.code == codes.OK, r.message

    run(IA, AssetCreate("AAA", "A", 0, 10**9))
    run(IB, AssetCreate("BBB", "B", 0, 10**9))
    run(IA, AssetIssue("AAA", U.address(), 1_000))
    run(IB, AssetIssue("BBB", U.address(), 1_000))
    run(IB, AssetIssue("BBB", IB.address(), 1_000))
    run(U, ExOrder("AAA", "BBB", SELL, 10, 3, 1, 100))
    run(U, ExOrder("AAA", "BBB", SELL, 5, 3, 1, 100))
    run(U, ExOrder("AAA", "BBB", SELL, 7, 7, 2, 3))  # expires at height 3
    run(U, ExOrder("AAA", "BBB", BUY, 4, 5, 2, 100))
    ExAgreement(1, "AAA", "BBB", 2, 1, 500, 25, True).execute(
        ExecContext(state, block(1), governance.GOVERNANCE)
    )
    run(IB, ExFundReserve(1, 300))
    app = FastAPI()

    @app.exception_handler(NodeError)
    async def _error(request: Request, exc: NodeError) -> JSONResponse:
        return JSONResponse({"code": exc.code, "message": exc.message}, exc.http_status)

    app.include_router(exchange_routes.routes(_Service(state)))  # type: ignore[arg-type]
    return TestClient(app)


def _get(client: TestClient, path: str, status: int = 200) -> Any:
    r = client.get(path)
    assert r.status_code == status, r.text
    return r.json()


def test_book_order_and_agreement_endpoints() -> None:
    client = _client()
    book = _get(client, "/v1/exchange/books/AAA/BBB")
    assert [(lv["price"], lv["amount"], lv["orders"]) for lv in book["asks"]] == [
        ("3", 15, 2),
        ("3.5", 7, 1),
    ]
    assert [(lv["price_num"], lv["price_den"], lv["amount"]) for lv in book["bids"]] == [(5, 2, 4)]
    assert "BBB" in exchange_cli._book_text(book)
    assert _get(client, "/v1/exchange/books/BBB/AAA")["asks"] == []
    assert _get(client, "/v1/exchange/books/aa/BBB", 400)["code"] == "invalid_symbol"

    o = _get(client, "/v1/exchange/orders/3")
    assert (o["side"], o["remaining"], o["status"]) == ("sell", 7, "expired")
    assert o["escrow"] == accounts.format_account(order_escrow(3)) and o["escrow_base"] == 7
    b = _get(client, "/v1/exchange/orders/4")
    assert (b["status"], b["escrow_quote"]) == ("open", 10)
    assert "order 4" in exchange_cli._order_text(b)
    assert _get(client, "/v1/exchange/orders/99", 404)["code"] == "order_not_found"
    assert _get(client, "/v1/exchange/orders/x", 400)["code"] == "bad_request"

    a = _get(client, "/v1/exchange/agreements/1")
    assert (a["from"], a["to"], a["rate"], a["fee_bps"], a["daily_limit"]) == (
        "AAA",
        "BBB",
        "2",
        25,
        500,
    )
    assert a["reserve_balance"] == 300 and a["used_today"] == 0 and a["active"] is True
    assert "reserve" in exchange_cli._agreement_text(a)
    assert _get(client, "/v1/exchange/agreements/2", 404)["code"] == "agreement_not_found"
