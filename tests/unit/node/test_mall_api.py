"""The mall endpoints (scctn_node/api/routes/mall.py) over a state built by executing
real transactions, served by a stand-in for the node service; and the query commands
are registered."""

from __future__ import annotations

from primitives.keys import PrivateKey, format_address
from scctn_node.api.routes import mall as mall_routes
from tests.unit.node.standin import TestClient, client, get_json
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

ISSUER, PLATFORM, SUP, BOB = key(1), key(2), key(3), key(4)
HEIGHT = 20


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
    return client(state, mall_routes, height=HEIGHT)


def test_listings_orders_auctions_suppliers() -> None:
    client = _client()
    listed = get_json(client, "/v1/mall/listings")
    assert [li["listing_id"] for li in listed["listings"]] == ["tea"]  # "old" is delisted
    tea = get_json(client, "/v1/mall/listings/tea")
    assert (tea["stock"], tea["sold"], tea["orders"], tea["price"]) == (3, 2, 1, 30)
    assert get_json(client, "/v1/mall/listings/old")["status"] == "delisted"
    assert get_json(client, "/v1/mall/listings/nope", 404)["code"] == "listing_not_found"
    assert get_json(client, "/v1/mall/listings/bad%20id", 400)["code"] == "malformed_listing_id"
    order = get_json(client, "/v1/mall/orders/tea.1")
    assert order["buyer"] == format_address(BOB.address()) and order["amount"] == 60
    assert get_json(client, "/v1/mall/orders/tea.2", 404)["code"] == "order_not_found"
    assert get_json(client, "/v1/mall/orders/tea", 400)["code"] == "malformed_order_id"
    au = get_json(client, "/v1/mall/auctions/vase")
    assert (au["status"], au["highest_bid"], au["next_min_bid"]) == ("open", 120, 130)
    assert au["escrow"] == accounts.format_account(escrow_account("vase"))
    assert au["escrow_balance"] == 120
    assert get_json(client, "/v1/mall/auctions/nope", 404)["code"] == "auction_not_found"
    sup = get_json(client, f"/v1/mall/suppliers/{format_address(SUP.address())}")
    assert (sup["status"], sup["name"]) == ("approved", "tea shop")
    bob = format_address(BOB.address())
    assert get_json(client, f"/v1/mall/suppliers/{bob}", 404)["code"] == "supplier_not_found"


def test_query_commands_are_registered() -> None:
    from scctn_node.cli.main import cli

    query = cli.commands["query"]
    assert isinstance(query, __import__("click").Group)
    for name in ("listing", "listings", "order", "auction", "supplier"):
        assert name in query.commands
