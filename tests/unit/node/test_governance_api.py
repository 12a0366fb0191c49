"""The governance and custody endpoints (scctn_node/api/routes/governance.py, custody.py)
over a state built by executing real transactions, served by a stand-in for the node."""

from __future__ import annotations

import json

import pytest

from primitives.keys import format_address
from scctn_node.api.routes import custody as custody_routes
from scctn_node.api.routes import governance as governance_routes
from tests.unit.node.standin import TestClient, client, get_json
from tests.unit.vm.gov_helpers import T0, Chain
from tests.unit.vm.helpers import key
from vm import accounts, ledger
from vm.ops.asset import AssetCreate, AssetIssue
from vm.ops.custody import CustodyFeeSet, TierAssign
from vm.ops.governance import GovPropose, GovVote, MemberAdmit, ParamSet, TierDefine
from vm.ops.transfer import Transfer

A, B, C, CUS, NEW = key(1), key(2), key(3), key(4), key(5)
HEIGHT = 7


def _client() -> TestClient:
    c = Chain((A, ("issuer",)), (B, ()), (C, ()), (CUS, ("custodian",))).at(5)
    c.ok(A, AssetCreate("PTS", "Points", 0, 10**6))
    c.ok(A, AssetIssue("PTS", A.address(), 1_000))
    c.ok(A, GovPropose(TierDefine("retail", "PTS", 500, 100, 200), "tiers", 50))
    c.ok(B, GovVote(1, True))
    c.ok(C, GovVote(1, True))  # 3 of 4: passed
    c.ok(A, GovPropose(MemberAdmit(NEW.address(), "new"), "admit", 50))  # open
    c.ok(A, GovPropose(ParamSet("gas.transfer", 1_500, ""), "gas", 7))  # expired
    c.ok(A, GovPropose(ParamSet("gas.burn", 1_500, ""), "gas", 8))  # open for one block
    c.ok(B, GovVote(4, False))
    c.at(HEIGHT)
    c.ok(CUS, CustodyFeeSet("PTS", 25, 3))
    user = accounts.custody_account(CUS.address(), "u1")
    c.ok(CUS, TierAssign(user, "retail"))
    c.ok(A, Transfer("PTS", user, 300))
    return client(c.state, governance_routes, custody_routes, height=HEIGHT, time_ms=c.time_ms)


def test_members_and_one_member() -> None:
    client = _client()
    body = get_json(client, "/v1/members")
    assert (body["count"], body["threshold"]) == (4, 3)
    by_addr = {m["address"]: m for m in body["members"]}
    assert by_addr[format_address(A.address())]["roles"] == ["issuer"]
    assert by_addr[format_address(CUS.address())]["roles"] == ["custodian"]
    one = get_json(client, f"/v1/members/{format_address(B.address())}")
    assert one["member"] is True and one["name"] == "member-1" and one["roles"] == []
    assert get_json(client, f"/v1/members/{format_address(NEW.address())}", 404)["code"] == (
        "member_not_found"
    )
    assert get_json(client, "/v1/members/nope", 400)["code"] == "invalid_address"


def test_proposals() -> None:
    client = _client()
    everything = get_json(client, "/v1/proposals")["proposals"]
    # at height 7 a vote sent now lands at 8: a deadline of 7 is over, one of 8 is not
    assert [(p["id"], p["status"]) for p in everything] == [
        (1, "passed"),
        (2, "open"),
        (3, "expired"),
        (4, "open"),
    ]
    opened = get_json(client, "/v1/proposals?status=open")["proposals"]
    assert [p["id"] for p in opened] == [2, 4]
    assert [p["id"] for p in get_json(client, "/v1/proposals?status=expired")["proposals"]] == [3]
    p4 = opened[1]
    assert (p4["yes"], p4["no"], p4["no_voters"]) == (1, 1, [format_address(B.address())])
    p = get_json(client, "/v1/proposals/1")
    assert (p["yes"], p["no"], p["needed"], p["members"], p["status"]) == (3, 0, 3, 4, "passed")
    assert p["action"] == {
        "op": "tier.define",
        "tier": "retail",
        "symbol": "PTS",
        "max_balance": 500,
        "max_per_tx": 100,
        "max_daily": 200,
    }
    p2 = get_json(client, "/v1/proposals/2")
    assert p2["action"]["op"] == "member.admit"
    assert p2["action"]["address"] == format_address(NEW.address())
    assert (p2["yes"], p2["yes_voters"]) == (1, [format_address(A.address())])
    assert get_json(client, "/v1/proposals?after=1&limit=1")["proposals"][0]["id"] == 2
    assert get_json(client, "/v1/proposals/99", 404)["code"] == "proposal_not_found"
    assert get_json(client, "/v1/proposals?status=bogus", 400)["code"] == "bad_request"


def test_params() -> None:
    body = get_json(_client(), "/v1/params")
    assert body["params"]["fee_symbol"] == "" and body["params"]["gas_price"] == 0
    assert body["params"]["fee_collector"].startswith("scc1")
    assert body["gas"]["schedule"]["transfer"] == [1_000, 0]
    assert body["gas"]["schedule"]["custody.move"] == [1_500, 0]


def test_custody_fees_and_tiers() -> None:
    client = _client()
    cus = format_address(CUS.address())
    fees = get_json(client, f"/v1/custody/{cus}/fees")
    assert fees["is_custodian"] is True
    assert fees["fees"] == {"PTS": {"fee_bps": 25, "min_fee": 3}}
    assert get_json(client, f"/v1/custody/{format_address(A.address())}/fees")["fees"] == {}
    assert get_json(client, "/v1/custody/nope/fees", 400)["code"] == "invalid_address"
    tiers = get_json(client, "/v1/tiers/PTS")
    assert tiers["tiers"] == {"retail": {"max_balance": 500, "max_per_tx": 100, "max_daily": 200}}
    assert get_json(client, "/v1/tiers/NOPE", 404)["code"] == "asset_not_found"
    holder = get_json(client, f"/v1/tiers/PTS/{cus}/u1")
    assert holder["account"] == f"{cus}/u1" and holder["tier"] == "retail"
    assert holder["limits"]["max_per_tx"] == 100 and holder["balance"] == 300
    assert holder["day"] == ledger.day_of(T0)
    issuer = get_json(client, f"/v1/tiers/PTS/{format_address(A.address())}")
    assert issuer["exempt"] is True and issuer["limits"] is None
    assert get_json(client, f"/v1/tiers/PTS/{cus}/bad user", 400)["code"] == "invalid_address"


def test_query_commands_read_these_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    import click
    from click.testing import CliRunner

    from scctn_node.cli import common
    from scctn_node.cli.queries import custody as custody_queries
    from scctn_node.cli.queries import governance as governance_queries

    client = _client()
    monkeypatch.setattr(common.NodeClient, "get", lambda self, path: get_json(client, path))
    group = click.Group("query")
    governance_queries.register(group)
    custody_queries.register(group)
    runner = CliRunner()
    cus = format_address(CUS.address())
    for args, expect in [
        (["members"], "4 members, 3 votes pass"),
        (["members", format_address(B.address())], "member-1"),
        (["proposal", "1"], "tier.define"),
        (["proposals", "--status", "open"], "#2"),
        (["params"], "custody.move"),
        (["custody-fees", cus], "25 bps, at least 3"),
        (["tiers", "PTS"], "retail"),
        (["tiers", "PTS", f"{cus}/u1"], "tier retail"),
    ]:
        result = runner.invoke(group, args)
        assert result.exit_code == 0, (args, result.output)
        assert expect in result.output, (args, result.output)
    result = runner.invoke(group, ["proposal", "1", "-o", "json"])
    assert json.loads(result.output)["action"]["op"] == "tier.define"
