"""The payment and settlement endpoints (scctn_node/api/routes/payments.py) over a state
built by executing real transactions, served by a stand-in for the node service."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from primitives.keys import format_address
from scctn_node.api.routes import payments as payment_routes
from scctn_node.errors import NodeError
from tests.unit.vm.helpers import CHAIN, founded, key, signed
from vm import codes
from vm.context import BlockContext
from vm.executor import execute_transaction
from vm.ops.asset import AssetCreate, AssetIssue
from vm.ops.payments import PayInvoice, PayOrder, PayRefund
from vm.state import StateView

with warnings.catch_warnings():  # starlette prefers httpx2, which is not installed here
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ISSUER, SHOP, ALICE = key(1), key(2), key(3)


class _Store:
    def __init__(self, state: StateView) -> None:
        self.state = state

    def state_items(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        for k, v in self.state.changes():
            if k.startswith(prefix) and v is not None:
                yield k, v


class _Chain:
    def __init__(self, state: StateView, height: int) -> None:
        self.store = _Store(state)
        self.height = height


class _Service:
    def __init__(self, state: StateView, height: int) -> None:
        self.chain = _Chain(state, height)


def _client() -> TestClient:
    state = founded((ISSUER, ("issuer",)), (SHOP, ("merchant",)))
    block = BlockContext(CHAIN, 120, 0)
    shop = SHOP.address()
    txs = [
        signed(ISSUER, 0, AssetCreate("PTS", "Points", 0, 10**9, currency="CNY", unit_value=7)),
        signed(ISSUER, 1, AssetIssue("PTS", ALICE.address(), 100)),
        signed(ALICE, 0, PayOrder(shop, b"A-1", 40, "PTS")),
        signed(SHOP, 0, PayRefund(b"A-1", 15)),
        signed(SHOP, 1, PayInvoice(b"\x00\x01", b"", 5, "PTS", 200)),
    ]
    for stx in txs:
        assert execute_transaction(state, stx, block).code == codes.OK
    app = FastAPI()

    @app.exception_handler(NodeError)
    async def _error(request: Request, exc: NodeError) -> JSONResponse:
        return JSONResponse({"code": exc.code, "message": exc.message}, exc.http_status)

    app.include_router(payment_routes.routes(_Service(state, 120)))  # type: ignore[arg-type]
    return TestClient(app)


def _get(client: TestClient, path: str, status: int = 200) -> Any:
    r = client.get(path)
    assert r.status_code == status, r.text
    return r.json()


def test_payment_endpoints() -> None:
    client = _client()
    shop, issuer = format_address(SHOP.address()), format_address(ISSUER.address())
    p = _get(client, f"/v1/payments/{shop}/A-1")
    assert (p["amount"], p["refunded"], p["refundable"], p["symbol"]) == (40, 15, 25, "PTS")
    assert p["payer"] == format_address(ALICE.address())
    assert p["lots"] == [{"expiry": 0, "amount": 25}]
    assert _get(client, f"/v1/payments/{shop}/B-2", 404)["code"] == "payment_not_found"
    assert _get(client, "/v1/payments/nope/A-1", 400)["code"] == "invalid_address"
    inv = _get(client, f"/v1/invoices/{shop}/0x0001")
    assert (inv["status"], inv["payer"], inv["expiry"]) == ("open", None, 200)
    s = _get(client, "/v1/settlement")
    assert (s["period"], s["settled"]) == (0, False)
    nets = {row["member"]: row["net"] for row in s["positions"]}
    assert nets == {shop: 25 * 7, issuer: -25 * 7}
    one = _get(client, f"/v1/settlement?period=0&member={shop}")
    assert [row["member"] for row in one["positions"]] == [shop]
    assert _get(client, "/v1/settlement?period=3")["positions"] == []
    lim = _get(client, f"/v1/settlement/limits/{issuer}/CNY")
    assert lim["limit"] is None


def test_cli_text_of_the_answers() -> None:
    from scctn_node.cli.queries import payments as cli

    client = _client()
    shop = format_address(SHOP.address())
    text = cli._payment_text(_get(client, f"/v1/payments/{shop}/A-1"))
    assert "refunded    15 (refundable 25)" in text
    text = cli._invoice_text(_get(client, f"/v1/invoices/{shop}/0x0001"))
    assert "payer       anyone" in text
    text = cli._settlement_text(_get(client, "/v1/settlement"))
    assert f"{shop}  receivable 0.000175 CNY" in text and "payable" in text
