"""The payment and settlement endpoints (scctn_node/api/routes/payments.py) over a state
built by executing real transactions, served by a stand-in for the node service."""

from __future__ import annotations

from primitives.keys import format_address
from scctn_node.api.routes import payments as payment_routes
from tests.unit.node.standin import TestClient, client, get_json
from tests.unit.vm.helpers import CHAIN, founded, key, signed
from vm import codes
from vm.context import BlockContext
from vm.executor import execute_transaction
from vm.ops.asset import AssetCreate, AssetIssue
from vm.ops.payments import PayInvoice, PayOrder, PayRefund

ISSUER, SHOP, ALICE = key(1), key(2), key(3)


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
    return client(state, payment_routes, height=120)


def test_payment_endpoints() -> None:
    client = _client()
    shop, issuer = format_address(SHOP.address()), format_address(ISSUER.address())
    p = get_json(client, f"/v1/payments/{shop}/A-1")
    assert (p["amount"], p["refunded"], p["refundable"], p["symbol"]) == (40, 15, 25, "PTS")
    assert p["payer"] == format_address(ALICE.address())
    assert p["lots"] == [{"expiry": 0, "amount": 25}]
    assert get_json(client, f"/v1/payments/{shop}/B-2", 404)["code"] == "payment_not_found"
    assert get_json(client, "/v1/payments/nope/A-1", 400)["code"] == "invalid_address"
    inv = get_json(client, f"/v1/invoices/{shop}/0x0001")
    assert (inv["status"], inv["payer"], inv["expiry"]) == ("open", None, 200)
    s = get_json(client, "/v1/settlement")
    assert (s["period"], s["settled"]) == (0, False)
    nets = {row["member"]: row["net"] for row in s["positions"]}
    assert nets == {shop: 25 * 7, issuer: -25 * 7}
    one = get_json(client, f"/v1/settlement?period=0&member={shop}")
    assert [row["member"] for row in one["positions"]] == [shop]
    assert get_json(client, "/v1/settlement?period=3")["positions"] == []
    lim = get_json(client, f"/v1/settlement/limits/{issuer}/CNY")
    assert lim["limit"] is None


def test_cli_text_of_the_answers() -> None:
    from scctn_node.cli.queries import payments as cli

    client = _client()
    shop = format_address(SHOP.address())
    text = cli._payment_text(get_json(client, f"/v1/payments/{shop}/A-1"))
    assert "refunded    15 (refundable 25)" in text
    text = cli._invoice_text(get_json(client, f"/v1/invoices/{shop}/0x0001"))
    assert "payer       anyone" in text
    text = cli._settlement_text(get_json(client, "/v1/settlement"))
    assert f"{shop}  receivable 0.000175 CNY" in text and "payable" in text
