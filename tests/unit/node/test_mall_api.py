"""The mall endpoints (scctn_node/api/routes/mall.py) over a state built by executing
real transactions, served by a stand-in for the node service; and the query commands
are registered."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from primitives.keys import PrivateKey, format_address
from scctn_node.api.routes import mall as mall_routes
from scctn_node.errors import NodeError
from tests.unit.vm.helpers import block, founded, key, signed
from vm import accounts, codes
from vm.executor import execute_transaction
from vm.ops.asset import AssetCreate, AssetIssue
from vm.ops.mall import (
    MallApply,
    MallApprove,
    MallAuction,
    MallBid,
    MallDelist,
    MallList,
    MallRedeem,
    escrow_account,
)
from vm.ops.registry import Operation
from vm.state import StateView

with warnings.catch_warnings():  # starlette prefers httpx2, which is not installed here
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ISSUER, PLATFORM, SUP, BOB = key(1), key(2), key(3), key(4)
HEIGHT = 20


class _Store:
    def __init__(self, state: StateView) -> None:
        self.state = state

    def state_items(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        for k, v in sorted(self.state.changes()):
            if k.startswith(prefix) and v is not None:
                yield k, v


class _Chain:
    def __init__(self, state: StateView) -> None:
        self.store = _Store(state)
        self.height = HEIGHT


class _Service:
    def __init__(self, state: StateView) -> None:
        self.chain = _Chain(state)


def _client() -> TestClient:
    state = founded((ISSUER, ("issuer",)), (PLATFORM, ("platform",)), (SUP, ()), (BOB, ()))
    steps: list[tuple[PrivateKey, Operation]] = [
        (ISSUER, AssetCreate("PTS", "Points", 0, 10**9)),
        (ISSUER, AssetIssue("PTS", BOB.address(), 1_000)),
        (SUP, MallApply("tea shop")),
        (PLATFORM, MallApprove(SUP.address())),
        (SUP, MallList("tea", "Green tea", "PTS", 30, 5)),
        (SUP, MallList("old", "Old stock", "PTS", 1, 1)),
        (SUP, MallDelist("old")),
        (BOB, MallRedeem("tea", 2)),
        (SUP, MallAuction("vase", "Vase", "PTS", 100, 10, 50, 5)),
        (BOB, MallBid("vase", 120)),
    ]
    nonces: dict[bytes, int] = {}
    for k, op in steps:
        n = nonces.get(k.address(), 0)
        nonces[k.address()] = n + 1
        assert execute_transaction(state, signed(k, n, op), block(10)).code == codes.OK
    app = FastAPI()

    @app.exception_handler(NodeError)
    async def _error(request: Request, exc: NodeError) -> JSONResponse:
        return JSONResponse({"code": exc.code, "message": exc.message}, exc.http_status)

    app.include_router(mall_routes.routes(_Service(state)))  # type: ignore[arg-type]
    return TestClient(app)


def _get(client: TestClient, path: str, status: int = 200) -> Any:
    r = client.get(path)
    assert r.status_code == status, r.text
    return r.json()


def test_listings_orders_auctions_suppliers() -> None:
    client = _client()
    listed = _get(client, "/v1/mall/listings")
    assert [li["listing_id"] for li in listed["listings"]] == ["tea"]  # "old" is delisted
    tea = _get(client, "/v1/mall/listings/tea")
    assert (tea["stock"], tea["sold"], tea["orders"], tea["price"]) == (3, 2, 1, 30)
    assert _get(client, "/v1/mall/listings/old")["status"] == "delisted"
    assert _get(client, "/v1/mall/listings/nope", 404)["code"] == "listing_not_found"
    assert _get(client, "/v1/mall/listings/bad%20id", 400)["code"] == "malformed_listing_id"
    order = _get(client, "/v1/mall/orders/tea.1")
    assert order["buyer"] == format_address(BOB.address()) and order["amount"] == 60
    assert _get(client, "/v1/mall/orders/tea.2", 404)["code"] == "order_not_found"
    assert _get(client, "/v1/mall/orders/tea", 400)["code"] == "malformed_order_id"
    au = _get(client, "/v1/mall/auctions/vase")
    assert (au["status"], au["highest_bid"], au["next_min_bid"]) == ("open", 120, 130)
    assert au["escrow"] == accounts.format_account(escrow_account("vase"))
    assert au["escrow_balance"] == 120
    assert _get(client, "/v1/mall/auctions/nope", 404)["code"] == "auction_not_found"
    sup = _get(client, f"/v1/mall/suppliers/{format_address(SUP.address())}")
    assert (sup["status"], sup["name"]) == ("approved", "tea shop")
    bob = format_address(BOB.address())
    assert _get(client, f"/v1/mall/suppliers/{bob}", 404)["code"] == "supplier_not_found"


def test_query_commands_are_registered() -> None:
    from scctn_node.cli.main import cli

    query = cli.commands["query"]
    assert isinstance(query, __import__("click").Group)
    for name in ("listing", "listings", "order", "auction", "supplier"):
        assert name in query.commands
