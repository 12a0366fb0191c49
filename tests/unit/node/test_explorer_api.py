"""The explorer's endpoints (scctn_node/api/routes/explorer.py) over a state built by
executing real transactions, served by the stand-in node with the few extra things these
endpoints read (commit certificates, recent commits, blocks with receipts, the validators
as the network sees them); and its static files with their security headers."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from primitives.keys import format_address
from scctn_node.api.routes import explorer
from scctn_node.chain.block import ValidatorInfo
from scctn_node.errors import NodeError
from tests.unit.node import standin
from tests.unit.node.standin import TestClient, get_json
from tests.unit.vm.gov_helpers import Chain
from tests.unit.vm.helpers import key, signed
from vm import accounts
from vm.ops.asset import AssetCreate, AssetIssue
from vm.ops.mall import MallApply, MallApprove, MallAuction, MallBid
from vm.ops.transfer import Transfer
from vm.receipt import Receipt

ISSUER, PLATFORM, SUP, BOB, CUS = key(1), key(2), key(3), key(4), key(5)
HEIGHT = 20
VALIDATORS = tuple(ValidatorInfo(f"v{i}", bytes([0xA0 + i]) * 32, 1) for i in range(4))


@dataclass
class Block:
    txs: list[Any]
    header: Any = None


@dataclass
class FakeChainParts:
    blocks: dict[int, Block] = field(default_factory=dict)
    receipts: dict[int, list[Receipt]] = field(default_factory=dict)
    certs: dict[int, Any] = field(default_factory=dict)
    times: dict[int, int] = field(default_factory=dict)


def _service(c: Chain, parts: FakeChainParts) -> standin.Service:
    service = standin.Service(c.state, HEIGHT)
    store: Any = service.chain.store
    store.block = parts.blocks.get
    store.receipts = lambda h: parts.receipts.get(h, [])
    store.commit_of = parts.certs.get
    store.header = lambda h: SimpleNamespace(time_ms=parts.times[h]) if h in parts.times else None
    chain: Any = service.chain
    epoch = SimpleNamespace(number=0, validators=VALIDATORS)
    chain.epoch_at = lambda h: epoch
    chain.current_epoch = epoch
    chain.proposer_key = VALIDATORS[0].public_key
    s: Any = service
    s.consensus_status = lambda: {
        "epoch": 0,
        "view": 2,
        "primary": "v2",
        "view_changes": 2,
        "view_change_in_progress": False,
    }
    s.validator_links = lambda: [
        {"name": "v0", "self": True, "linked": True, "last_heard_ms": 0},
        {"name": "v1", "self": False, "linked": True, "last_heard_ms": 300},
        {"name": "v2", "self": False, "linked": True, "last_heard_ms": 120},
        {"name": "v3", "self": False, "linked": False, "last_heard_ms": 45_000},
    ]
    s.recent_commits = []
    return service


def _client() -> tuple[TestClient, Chain, FakeChainParts, standin.Service]:
    c = Chain(
        (ISSUER, ("issuer",)),
        (PLATFORM, ("platform",)),
        (SUP, ()),
        (BOB, ()),
        (CUS, ("custodian",)),
    )
    c.at(10)
    c.ok(ISSUER, AssetCreate("PTS", "Points", 0, 10**9))
    c.ok(ISSUER, AssetCreate("GEM", "Gems", 0, 10**9))
    c.ok(ISSUER, AssetIssue("PTS", BOB.address(), 1_000))
    c.ok(ISSUER, AssetIssue("PTS", SUP.address(), 50))
    c.ok(ISSUER, AssetIssue("GEM", SUP.address(), 5))
    for user in ("ann", "zed"):
        c.ok(ISSUER, AssetIssue("PTS", accounts.custody_account(CUS.address(), user), 7))
    c.ok(SUP, MallApply("tea shop"))
    c.ok(PLATFORM, MallApprove(SUP.address()))
    c.ok(SUP, MallAuction("vase", "Vase", "PTS", 100, 10, 50, 5))
    c.ok(SUP, MallAuction("old", "Old", "PTS", 1, 1, 11, 5))  # ends at 11: not listed at 20
    c.ok(BOB, MallBid("vase", 120))
    parts = FakeChainParts()
    stx = signed(BOB, 9, Transfer("PTS", SUP.address(), 5))
    parts.blocks = {
        18: Block([stx]),
        19: Block([]),
        20: Block([signed(ISSUER, 9, AssetIssue("GEM", ISSUER.address(), 1))]),
    }
    parts.receipts = {
        18: [c.ok(BOB, Transfer("PTS", SUP.address(), 5))],
        20: [c.ok(ISSUER, AssetIssue("GEM", ISSUER.address(), 1))],
    }
    vote = lambda *ids: SimpleNamespace(votes=[SimpleNamespace(sender=i) for i in ids])  # noqa: E731
    parts.certs = {20: vote(0, 1, 2), 19: vote(0, 1, 3), 18: vote(0, 1, 2, 3)}
    service = _service(c, parts)
    app = FastAPI()

    @app.exception_handler(NodeError)
    async def _error(request: Request, exc: NodeError) -> JSONResponse:
        return JSONResponse({"code": exc.code, "message": exc.message}, exc.http_status)

    app.include_router(explorer.routes(service))  # type: ignore[arg-type]
    return TestClient(app), c, parts, service


def test_validators_as_this_node_sees_them() -> None:
    client, *_ = _client()
    body = get_json(client, "/v1/explorer/validators")
    assert (body["view"], body["primary"], body["view_changes"]) == (2, "v2", 2)
    assert body["view_change_in_progress"] is False
    vs = {v["name"]: v for v in body["validators"]}
    assert [v["name"] for v in body["validators"]] == ["v0", "v1", "v2", "v3"]
    assert vs["v0"]["self"] is True and vs["v0"]["public_key"] == VALIDATORS[0].public_key.hex()
    assert (vs["v3"]["linked"], vs["v3"]["last_heard_ms"]) == (False, 45_000)
    # the highest recent block whose certificate holds each one's vote
    assert {n: v["last_vote_height"] for n, v in vs.items()} == {
        "v0": 20,
        "v1": 20,
        "v2": 20,
        "v3": 19,
    }


def test_recent_commits_with_latency() -> None:
    client, _, parts, service = _client()
    now = time.time()
    parts.times = {18: int((now - 700) * 1000), 19: int((now - 2) * 1000) - 40, 20: int(now * 1000)}
    service.recent_commits = [
        (18, now - 699.9, 1, 0.01),
        (19, now - 2, 0, 0.01),
        (20, now, 1, 0.02),
    ]  # type: ignore[attr-defined]
    body = get_json(client, "/v1/explorer/commits?seconds=600")
    assert [(c["height"], c["txs"]) for c in body["commits"]] == [(19, 0), (20, 1)]  # 18 is too old
    assert 30 <= body["commits"][0]["latency_ms"] <= 60
    for bad in ("0", "99999", "x"):  # refused (the node's app turns 422 into 400)
        assert client.get(f"/v1/explorer/commits?seconds={bad}").status_code == 422


def test_holders_count_accounts_with_a_balance() -> None:
    client, *_ = _client()
    # PTS: bob, sup, the two custody users, the vase escrow (bob's bid); GEM: sup, issuer
    assert get_json(client, "/v1/explorer/holders/PTS")["holders"] == 5
    assert get_json(client, "/v1/explorer/holders/GEM")["holders"] == 2
    assert get_json(client, "/v1/explorer/holders/NOPE", 404)["code"] == "asset_not_found"
    every = get_json(client, "/v1/explorer/holders")
    assert (every["holders"], every["complete"]) == ({"PTS": 5, "GEM": 2}, True)


def test_custody_subaccounts() -> None:
    client, *_ = _client()
    body = get_json(client, f"/v1/explorer/accounts/{format_address(CUS.address())}/subaccounts")
    cus = format_address(CUS.address())
    assert body["subaccounts"] == [f"{cus}/ann", f"{cus}/zed"]
    none = get_json(client, f"/v1/explorer/accounts/{format_address(BOB.address())}/subaccounts")
    assert none["subaccounts"] == []
    assert (
        get_json(client, "/v1/explorer/accounts/scc1nope/subaccounts", 400)["code"]
        == "invalid_address"
    )
    assert client.get(f"/v1/explorer/accounts/{cus}/ann/subaccounts").status_code == 404


def test_an_accounts_recent_transactions() -> None:
    client, *_ = _client()
    sup = format_address(SUP.address())
    body = get_json(client, f"/v1/explorer/accounts/{sup}/txs?blocks=10")
    assert [(t["height"], t["ops"], t["code"]) for t in body["txs"]] == [(18, ["transfer"], "ok")]
    assert body["txs"][0]["from"] == format_address(BOB.address())
    issuer = get_json(client, f"/v1/explorer/accounts/{format_address(ISSUER.address())}/txs")
    assert [t["height"] for t in issuer["txs"]] == [20]
    only_top = get_json(client, f"/v1/explorer/accounts/{sup}/txs?blocks=2")
    assert only_top["txs"] == [] and only_top["from_height"] == 19
    assert get_json(client, "/v1/explorer/accounts/xyz/txs", 400)["code"] == "invalid_address"


def test_open_and_ended_auctions_are_listed() -> None:
    client, *_ = _client()
    body = get_json(client, "/v1/explorer/auctions")
    assert [(a["auction_id"], a["status"], a["highest_bid"]) for a in body["auctions"]] == [
        ("old", "ended", 0),
        ("vase", "open", 120),
    ]


def test_static_files_with_their_headers() -> None:
    client, *_ = _client()
    r = client.get("/explorer", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/explorer/"
    page = client.get("/explorer/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<script type="module" src="main.js">' in page.text
    for name in ("main.js", "proof.js", "sha256.js", "style.css"):
        assert client.get(f"/explorer/{name}").status_code == 200, name
    assert client.get("/explorer/main.js").headers["content-type"].startswith("text/javascript")
    for bad in ("__init__.py", "..%2F..%2Fpyproject.toml", "nope.js", ".hidden.js"):
        assert client.get(f"/explorer/{bad}").status_code == 404, bad
