"""The issuance endpoints (scctn_node/api/routes/issuance.py) over a state built by
executing real transactions, served by a stand-in for the node service."""

from __future__ import annotations

from primitives.keys import format_address
from scctn_node.api.routes import issuance as issuance_routes
from tests.unit.node.standin import TestClient, client, get_json
from tests.unit.vm.helpers import block, founded, key, signed
from vm import accounts, codes
from vm.executor import execute_transaction
from vm.ops.asset import AssetCreate, AssetIssue
from vm.ops.card import CardIssue
from vm.ops.coupon import CouponCreate, coupon_id, escrow_account
from vm.ops.mining import MiningCreate
from vm.ops.registry import Operation

ISSUER, BOB, CAROL = key(1), key(2), key(3)
CID = coupon_id(b"api test secret")
HEIGHT = 35


def _client() -> TestClient:
    state = founded((ISSUER, ("issuer",)))
    ops: list[Operation] = [
        AssetCreate("PTS", "Points", 0, 10**9),
        AssetIssue("PTS", ISSUER.address(), 1_000),
        CouponCreate("PTS", CID, 250, 30),
        MiningCreate("s1", "PTS", "miner", 100, 10, 10, 50),
        CardIssue("m1", "miner", BOB.address(), True, (("power", "3"),)),
        CardIssue("m2", "miner", CAROL.address()),
        CardIssue("g1", "gold", BOB.address()),
    ]
    for n, op in enumerate(ops):
        assert execute_transaction(state, signed(ISSUER, n, op), block(1)).code == codes.OK
    return client(state, issuance_routes, height=HEIGHT)


def test_coupon_endpoint() -> None:
    client = _client()
    c = get_json(client, f"/v1/coupons/{CID.hex()}")
    assert (c["symbol"], c["amount"], c["deadline"], c["status"]) == ("PTS", 250, 30, "expired")
    assert c["issuer"] == format_address(ISSUER.address()) and c["claimant"] is None
    assert c["escrow"] == accounts.format_account(escrow_account(CID))
    assert c["escrow_balance"] == 250
    assert get_json(client, f"/v1/coupons/{'00' * 32}", 404)["code"] == "coupon_not_found"
    assert get_json(client, "/v1/coupons/zz", 400)["code"] == "malformed_coupon_id"


def test_card_endpoints() -> None:
    client = _client()
    issuer = format_address(ISSUER.address())
    card = get_json(client, f"/v1/cards/{issuer}/m1")
    assert (card["class"], card["holder"], card["transferable"]) == (
        "miner",
        format_address(BOB.address()),
        True,
    )
    assert card["attributes"] == {"power": "3"} and card["class_live_cards"] == 2
    assert card["mining_pending"] == {"s1": 100}  # two epochs, two cards
    assert get_json(client, f"/v1/cards/{issuer}/nope", 404)["code"] == "card_not_found"
    bob = format_address(BOB.address())
    listed = get_json(client, f"/v1/cards?holder={bob}")
    assert sorted(c["card_id"] for c in listed["cards"]) == ["g1", "m1"]
    assert get_json(client, "/v1/cards?holder=nope", 400)["code"] == "invalid_address"


def test_mining_endpoint() -> None:
    client = _client()
    s = get_json(client, "/v1/mining/s1")
    assert (s["epochs"], s["completed_epochs"], s["live_cards"], s["claimed"]) == (4, 2, 2, 0)
    assert s["reward_per_card"] == str(100 * 10**18)
    issuer = format_address(ISSUER.address())
    mine = get_json(client, f"/v1/mining/s1?issuer={issuer}&card=m2")
    assert mine["card"]["pending"] == 100 and mine["card"]["eligible"] is True
    gold = get_json(client, f"/v1/mining/s1?issuer={issuer}&card=g1")
    assert gold["card"]["pending"] == 0 and gold["card"]["eligible"] is False
    assert get_json(client, f"/v1/mining/s1?issuer={issuer}", 400)["code"] == "bad_request"
    assert (
        get_json(client, f"/v1/mining/s1?issuer={issuer}&card=x", 404)["code"] == "card_not_found"
    )
    assert get_json(client, "/v1/mining/nope", 404)["code"] == "schedule_not_found"


def test_cli_coupon_keys_and_sign_are_offline_and_print_nothing_secret() -> None:
    import json

    from click.testing import CliRunner

    from primitives.keys import verify
    from scctn_node.cli.main import cli
    from vm.ops.coupon import claim_message

    runner = CliRunner()
    r = runner.invoke(cli, ["query", "coupon-keys", "--secret", "api test secret"])
    assert r.exit_code == 0, r.output
    assert r.output.strip() == CID.hex() and "api test secret" not in r.output
    bob = format_address(BOB.address())
    args = ["query", "coupon-sign", "--secret", "api test secret", "--to", bob]
    r = runner.invoke(cli, [*args, "--chain-id", "scctn-test", "-o", "json"])
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    assert "api test secret" not in r.output and body["coupon_id"] == CID.hex()
    message = claim_message("scctn-test", CID, BOB.address())
    assert verify(CID, message, bytes.fromhex(body["signature"]))
    r = runner.invoke(cli, ["query", "coupon-keys"])
    assert r.exit_code == 2 and "bad_arguments" in r.output
