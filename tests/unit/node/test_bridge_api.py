"""The bridge endpoints (scctn_node/api/routes/bridge.py) over a state built by executing
real bridge transactions, served by the stand-in node."""

from __future__ import annotations

from primitives import eth
from primitives.keys import format_address
from scctn_node.api.routes import bridge as bridge_routes
from tests.unit.node.standin import TestClient, client, get_json
from tests.unit.vm.bridge_helpers import (
    ALICE,
    BOB,
    ETH_CHAIN,
    T0_S,
    TTL,
    VAULT,
    V,
    deposit_op,
    eth_address,
    make_bridge,
)
from vm import bridge_state
from vm.ops.bridge import BridgeVaultChange, BridgeWithdraw

E18 = 10**18
RECIPIENT = bytes.fromhex("70997970c51812dc3a010c7d01b50e0d17dc79c8")


def _client(time_ms: int | None = None) -> TestClient:
    b = make_bridge()
    b.attest_all(1, 10 * E18 + 7, ALICE.address(), range(4))
    b.attest_all(2, E18, BOB.address(), range(2))
    b.ok(ALICE, BridgeWithdraw(RECIPIENT, 3 * 10**8))
    for i in range(3):
        b.sign(i, bridge_state.KIND_WITHDRAWAL, 1)
    b.sign(0, bridge_state.KIND_VALSET, 4)
    b.gov(
        BridgeVaultChange(
            (5).to_bytes(32, "big"),
            (6).to_bytes(32, "big"),
            (7).to_bytes(32, "big"),
            60,
            RECIPIENT,
            False,
        )
    )
    return client(b.state, bridge_routes, height=b.chain.height, time_ms=time_ms or b.chain.time_ms)


def test_status() -> None:
    body = get_json(_client(), "/v1/bridge")
    assert body["configured"] is True
    assert body["config"] == {
        "eth_chain_id": ETH_CHAIN,
        "vault": eth.to_checksum(VAULT),
        "token_decimals": 18,
        "wrapped_decimals": 8,
        "scale": 10**10,
        "symbol": "SCCTN",
        "withdraw_ttl": TTL,
    }
    assert body["paused"] is False and body["halted"] is None
    assert (body["next_deposit_nonce"], body["next_withdrawal_id"], body["valset_nonce"]) == (
        2,
        2,
        4,
    )
    assert body["minted"] == 10 * 10**8 and body["deposited"] == str(10 * E18 + 7)
    assert body["withdrawn"] == 3 * 10**8 and body["quorum"] == 3


def test_halted_status() -> None:
    b = make_bridge()
    b.ok(V[0], deposit_op(1, E18, ALICE.address()))
    b.ok(V[1], deposit_op(1, 2 * E18, ALICE.address()))
    body = get_json(client(b.state, bridge_routes, height=5), "/v1/bridge")
    assert body["halted"] == {
        "reason": "conflicting_attestations",
        "nonce": 1,
        "validators": sorted([V[0].public.raw.hex(), V[1].public.raw.hex()]),
        "more_nonces": [],
    }


def test_deposits() -> None:
    c = _client()
    minted = get_json(c, "/v1/bridge/deposits/1")
    assert minted["status"] == "minted" and minted["quorum"] == 3
    assert len(minted["attestations"]) == 3  # the fourth came after the mint: a no-op
    record = minted["record"]
    assert record["amount"] == str(10 * E18 + 7) and record["minted"] == 10 * 10**8
    assert record["recipient"] == format_address(ALICE.address()) == record["credited"]
    assert record["eth_tx"] == "0x" + (1).to_bytes(32, "big").hex()
    pending = get_json(c, "/v1/bridge/deposits/2")
    assert pending["status"] == "pending" and pending["record"] is None
    assert len(pending["attestations"]) == 2
    assert pending["attestations"][0]["deposit"]["recipient"] == format_address(BOB.address())
    assert get_json(c, "/v1/bridge/deposits/3", 404)["code"] == "bridge_deposit_not_found"
    for bad in ("0", "x", "-1", str(2**64)):
        assert get_json(c, f"/v1/bridge/deposits/{bad}", 400)["code"] == "bad_request"


def test_outbox_and_withdrawal() -> None:
    c = _client()
    items = get_json(c, "/v1/bridge/outbox?kind=withdrawal")
    assert len(items) == 1
    w = items[0]
    assert (w["kind"], w["id"]) == ("withdrawal", 1)
    expiry = T0_S + TTL
    assert w["message"] == {
        "id": "1",
        "recipient": eth.to_checksum(RECIPIENT),
        "amount": str(3 * E18),
        "expiry": str(expiry),
    }
    digest = eth.message_digest(ETH_CHAIN, VAULT, eth.Withdrawal(1, RECIPIENT, 3 * E18, expiry))
    assert w["digest"] == "0x" + digest.hex()
    signers = [eth.recover(digest, bytes.fromhex(s["signature"][2:])) for s in w["signatures"]]
    assert signers == sorted(eth_address(i) for i in range(3))
    assert [s["eth_address"] for s in w["signatures"]] == [eth.to_checksum(a) for a in signers]
    assert w["quorum"] is True and (w["signed_power"], w["total_power"]) == (3, 4)
    assert w["withdrawal"]["owner"] == format_address(ALICE.address())
    assert w["withdrawal"]["expired"] is False and w["withdrawal"]["amount"] == 3 * 10**8
    assert get_json(c, "/v1/bridge/withdrawals/1") == w
    assert get_json(c, "/v1/bridge/withdrawals/2", 404)["code"] == "bridge_withdrawal_not_found"
    late = _client(time_ms=(expiry + 1) * 1000)
    assert get_json(late, "/v1/bridge/withdrawals/1")["withdrawal"]["expired"] is True


def test_outbox_kinds_and_paging() -> None:
    c = _client()
    every = get_json(c, "/v1/bridge/outbox")
    assert [(i["kind"], i["id"]) for i in every] == [
        ("withdrawal", 1),
        ("valset", 2),
        ("valset", 3),
        ("valset", 4),
        ("change", 1),
    ]
    valsets = get_json(c, "/v1/bridge/outbox?kind=valset&from=3&limit=1")
    assert [(i["kind"], i["id"]) for i in valsets] == [("valset", 3)]
    change = get_json(c, "/v1/bridge/outbox?kind=change")[0]
    assert change["message"] == {
        "nonce": "1",
        "perTxCap": "5",
        "dailyLimit": "6",
        "largeAmount": "7",
        "largeDelay": "60",
        "guardian": eth.to_checksum(RECIPIENT),
        "unpause": False,
    }
    assert get_json(c, "/v1/bridge/outbox?from=0") == every
    for bad in ("kind=nope", "from=-1", "limit=0", "limit=1001", "from=x"):
        assert get_json(c, f"/v1/bridge/outbox?{bad}", 400)["code"] == "bad_request"


def test_valsets() -> None:
    c = _client()
    latest = get_json(c, "/v1/bridge/valsets/latest")
    assert latest["nonce"] == 4
    addresses = tuple(sorted(eth_address(i) for i in range(4)))
    assert latest["validators"] == [eth.to_checksum(a) for a in addresses]
    assert latest["powers"] == ["1"] * 4
    vs = eth.Valset(4, addresses, (1, 1, 1, 1))
    assert latest["checkpoint"] == "0x" + vs.struct_hash().hex()
    assert latest["digest"] == "0x" + eth.message_digest(ETH_CHAIN, VAULT, vs).hex()
    assert len(latest["signatures"]) == 1 and latest["signing_valset"] == 3
    assert get_json(c, "/v1/bridge/valsets/4") == latest
    first = get_json(c, "/v1/bridge/valsets/1")
    assert first["digest"] is None and first["signatures"] == []  # the vault's first set
    assert get_json(c, "/v1/bridge/valsets/5", 404)["code"] == "bridge_valset_not_found"
    assert get_json(c, "/v1/bridge/valsets/abc", 400)["code"] == "bad_request"


def test_unconfigured() -> None:
    b = make_bridge(keys=0)
    b.state.delete(bridge_state.CONFIG_KEY)
    c = client(b.state, bridge_routes, height=5)
    body = get_json(c, "/v1/bridge")
    assert body["configured"] is False and body["config"] is None
    assert get_json(c, "/v1/bridge/valsets/latest", 404)["code"] == "bridge_valset_not_found"
    assert get_json(c, "/v1/bridge/outbox") == []


def test_query_commands_and_their_text() -> None:
    import click

    from scctn_node.cli.main import cli
    from scctn_node.cli.queries import bridge as bridge_cli

    query = cli.commands["query"]
    assert isinstance(query, click.Group)
    group = query.commands["bridge"]
    assert isinstance(group, click.Group)
    assert sorted(group.commands) == ["deposit", "outbox", "status", "valset", "withdrawal"]
    c = _client()
    status = get_json(c, "/v1/bridge")
    assert "bridge running" in bridge_cli._status_text(status)
    assert "minted 1000000000" in bridge_cli._deposit_text(get_json(c, "/v1/bridge/deposits/1"))
    text = bridge_cli._item_text(get_json(c, "/v1/bridge/withdrawals/1"))
    assert text.startswith("withdrawal 1: id=1") and "3 signatures, quorum" in text
    assert "power 1" in bridge_cli._valset_text(get_json(c, "/v1/bridge/valsets/latest"))
