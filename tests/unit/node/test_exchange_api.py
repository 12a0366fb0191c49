"""The exchange endpoints (scctn_node/api/routes/exchange.py) over a state built by
executing real transactions, served by a stand-in for the node service; and the text
forms of `scctn query book|book-order|agreement`."""

from __future__ import annotations

from typing import Any

from scctn_node.api.routes import exchange as exchange_routes
from scctn_node.cli.queries import exchange as exchange_cli
from tests.unit.node.standin import TestClient, client, get_json
from tests.unit.vm.helpers import block, founded, key, signed
from vm import accounts, codes, governance
from vm.context import ExecContext
from vm.executor import execute_transaction
from vm.ops.asset import AssetCreate, AssetIssue
from vm.ops.exchange import BUY, SELL, ExAgreement, ExFundReserve, ExOrder, order_escrow
from vm.ops.registry import Operation

IA, IB, U = key(1), key(2), key(3)
HEIGHT = 5


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
    return client(state, exchange_routes, height=HEIGHT)


def test_book_order_and_agreement_endpoints() -> None:
    client = _client()
    book = get_json(client, "/v1/exchange/books/AAA/BBB")
    assert [(lv["price"], lv["amount"], lv["orders"]) for lv in book["asks"]] == [
        ("3", 15, 2),
        ("3.5", 7, 1),
    ]
    assert [(lv["price_num"], lv["price_den"], lv["amount"]) for lv in book["bids"]] == [(5, 2, 4)]
    assert "BBB" in exchange_cli._book_text(book)
    assert get_json(client, "/v1/exchange/books/BBB/AAA")["asks"] == []
    assert get_json(client, "/v1/exchange/books/aa/BBB", 400)["code"] == "invalid_symbol"

    o = get_json(client, "/v1/exchange/orders/3")
    assert (o["side"], o["remaining"], o["status"]) == ("sell", 7, "expired")
    assert o["escrow"] == accounts.format_account(order_escrow(3)) and o["escrow_base"] == 7
    b = get_json(client, "/v1/exchange/orders/4")
    assert (b["status"], b["escrow_quote"]) == ("open", 10)
    assert "order 4" in exchange_cli._order_text(b)
    assert get_json(client, "/v1/exchange/orders/99", 404)["code"] == "order_not_found"
    assert get_json(client, "/v1/exchange/orders/x", 400)["code"] == "bad_request"

    a = get_json(client, "/v1/exchange/agreements/1")
    assert (a["from"], a["to"], a["rate"], a["fee_bps"], a["daily_limit"]) == (
        "AAA",
        "BBB",
        "2",
        25,
        500,
    )
    assert a["reserve_balance"] == 300 and a["used_today"] == 0 and a["active"] is True
    assert "reserve" in exchange_cli._agreement_text(a)
    assert get_json(client, "/v1/exchange/agreements/2", 404)["code"] == "agreement_not_found"
