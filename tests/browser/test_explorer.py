"""The explorer page in Chromium against a real four-validator network of processes:
a transfer the test submits appears without a reload and its hash opens it; a balance's
Merkle proof is verified in the page; a malformed search and an unknown one say so;
killing a validator turns it red on the dashboard and restarting it turns it green; an
unreachable API leaves readable text; the bridge panel (from faked answers) without a
watcher, with one whose invariant holds, and with a broken invariant and a halt. Screenshots of each state go to
test-artifacts/explorer/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from primitives.keys import format_address
from tests.integration.cluster import CHAIN_ID, Cluster, sender_key
from tests.integration.test_network import submit
from vm.ops.transfer import Transfer
from vm.tx import Transaction

pytestmark = pytest.mark.integration

MEMO = '<img src=x onerror="window.__injected = 1">'  # shown as text, never run
RED = "rgb(198, 40, 40)"
GREEN = "rgb(26, 127, 55)"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    c = Cluster(tmp_path_factory.mktemp("explorer"), 4).start()
    try:
        c.wait_converged(2)
        yield c
    finally:
        c.stop()


def open_explorer(page: Page, cluster: Cluster, fragment: str = "") -> None:
    page.goto(cluster.nodes[0].url + "/explorer/" + fragment)
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=20_000)
    expect(page.locator("#validators tbody tr")).to_have_count(4, timeout=20_000)


def transfer(cluster: Cluster, nonce: int, to: bytes, amount: int) -> str:
    key = sender_key(0)
    tx = Transaction(
        CHAIN_ID,
        key.public.raw,
        nonce,
        10_000,
        10**6,
        MEMO,
        (Transfer("PTS", to, amount),),
    )
    return submit(cluster.nodes[0], [tx.sign(key).encode()])[0]


def test_transfer_appears_live_and_searching_its_hash_opens_it(
    page: Page, cluster: Cluster, artifacts: Path
) -> None:
    open_explorer(page, cluster)
    page.screenshot(path=artifacts / "1-dashboard.png", full_page=True)
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    receiver = sender_key(3).address()
    tx_hash = transfer(cluster, 0, receiver, 1234)
    row = page.locator(f'#txs tr[data-tx="{tx_hash}"]')
    expect(row).to_be_visible(timeout=30_000)
    expect(row).to_contain_text("ok")
    assert page.evaluate("window.__sameDocument") is True  # it arrived without a reload
    page.screenshot(path=artifacts / "2-transfer-live.png", full_page=True)

    page.fill("#q", tx_hash.upper())
    page.press("#q", "Enter")
    detail = page.locator("#detail")
    expect(detail.locator(f'[data-tx-hash="{tx_hash}"]')).to_be_visible(timeout=10_000)
    expect(detail.locator('[data-tx-status="committed"]')).to_be_visible()
    expect(detail).to_contain_text("1234")
    expect(detail).to_contain_text(format_address(receiver))
    expect(detail).to_contain_text(MEMO)  # the memo is text: no element, no script
    assert detail.locator("img").count() == 0
    assert page.evaluate("window.__injected") is None
    assert page.evaluate("window.__sameDocument") is True
    page.screenshot(path=artifacts / "3-transaction.png", full_page=True)

    # the receiver's balance, with its Merkle proof checked in the page
    detail.get_by_role("link", name=format_address(receiver)).first.click()
    expect(detail.locator("h2")).to_have_text("Account", timeout=10_000)
    proof = detail.locator("[data-proof]")
    expect(proof).to_have_count(1, timeout=10_000)
    expect(proof).to_have_attribute("data-proof", "verified")
    with page.expect_download() as download:
        detail.get_by_role("button", name=re.compile("Download the Merkle proof")).click()
    saved = artifacts / "proof-PTS.json"
    download.value.save_as(saved)
    assert '"siblings"' in saved.read_text()
    page.screenshot(path=artifacts / "4-account-proof.png", full_page=True)


def test_malformed_and_unknown_searches_say_so(
    page: Page, cluster: Cluster, artifacts: Path
) -> None:
    open_explorer(page, cluster)
    message = page.locator("#message")
    for text in ["12abc!", "!!nonsense!!", "0xabc1234567890def", "<b>bold</b>"]:
        page.fill("#q", text)
        page.press("#q", "Enter")
        expect(message).to_be_visible()
        expect(message).to_have_attribute("data-kind", "malformed")
        expect(message).to_contain_text(text)
    assert message.locator("b").count() == 0
    page.screenshot(path=artifacts / "5-malformed-search.png", full_page=True)

    page.fill(
        "#q", "scc1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
    )  # bad checksum: the node says why
    page.press("#q", "Enter")
    expect(message).to_have_attribute("data-kind", "malformed", timeout=10_000)
    expect(page.locator("#detail")).to_contain_text("Malformed")

    page.fill("#q", "99999999")
    page.press("#q", "Enter")
    expect(message).to_have_attribute("data-kind", "not-found", timeout=10_000)
    expect(message).to_contain_text("99999999")
    page.fill("#q", "nosuch")
    page.press("#q", "Enter")
    expect(message).to_have_attribute("data-kind", "not-found", timeout=10_000)
    expect(message).to_contain_text("NOSUCH")
    page.screenshot(path=artifacts / "6-not-found.png", full_page=True)


def test_killed_validator_turns_red_and_green_again_on_restart(
    page: Page, cluster: Cluster, artifacts: Path
) -> None:
    open_explorer(page, cluster)
    row = page.locator('#validators tr[data-validator="v3"]')
    dot = row.locator(".dot")
    expect(row).to_have_attribute("data-state", "up", timeout=20_000)
    expect(dot).to_have_css("color", GREEN)
    cluster.nodes[3].kill9()
    try:
        expect(row).to_have_attribute("data-state", "down", timeout=30_000)
        expect(dot).to_have_css("color", RED)
        expect(dot).to_contain_text("down")
        page.screenshot(path=artifacts / "7-validator-down.png", full_page=True)
    finally:
        cluster.nodes[3].start()
    expect(row).to_have_attribute("data-state", "up", timeout=60_000)
    expect(dot).to_have_css("color", GREEN)
    page.screenshot(path=artifacts / "8-validator-up-again.png", full_page=True)


def test_stalled_network_shows_stalled_with_the_reason(
    page: Page, cluster: Cluster, artifacts: Path
) -> None:
    open_explorer(page, cluster)
    status = page.locator("#health-status")
    expect(status).to_have_attribute("data-status", "ok", timeout=20_000)
    for i in (2, 3):  # two of four down: no quorum, no blocks
        cluster.nodes[i].kill9()
    try:
        expect(status).to_have_attribute("data-status", "stalled", timeout=40_000)
        expect(status).to_have_text("STALLED")
        reasons = page.locator("#health-reasons")
        expect(reasons).to_contain_text("no block committed for")
        expect(reasons).to_contain_text("no link to validators: v2, v3")
        page.screenshot(path=artifacts / "9-stalled.png", full_page=True)
    finally:
        for i in (2, 3):
            cluster.nodes[i].start()
    expect(status).to_have_attribute("data-status", "ok", timeout=90_000)


def test_unreachable_api_leaves_readable_text(
    page: Page, cluster: Cluster, artifacts: Path
) -> None:
    def refuse(route: Route) -> None:
        route.abort("connectionrefused")

    page.route(re.compile(r".*/(v1/.*|health)(\?.*)?$"), refuse)
    # page.route does not see WebSockets: without this, blocks arriving on /v1/ws
    # replaced the "unreachable" text now and then
    page.route_web_socket(re.compile(r".*/v1/ws$"), lambda ws: ws.close())
    page.goto(cluster.nodes[0].url + "/explorer/")
    expect(page.locator('[data-health="unreachable"]')).to_be_visible(timeout=20_000)
    expect(page.locator("#blocks")).to_contain_text("unreachable")
    expect(page.locator("#conn")).to_have_attribute("data-state", "down")
    page.screenshot(path=artifacts / "10-api-unreachable.png", full_page=True)


BRIDGE_STATUS = {
    "height": 50,
    "configured": True,
    "config": {
        "eth_chain_id": 31337,
        "vault": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "token_decimals": 18,
        "wrapped_decimals": 6,
        "scale": 10**12,
        "symbol": "WSCC",
        "withdraw_ttl": 86400,
    },
    "paused": False,
    "halted": None,
    "next_deposit_nonce": 3,
    "next_withdrawal_id": 2,
    "valset_nonce": 1,
    "change_nonce": 1,
    "minted": 7_000_000,
    "withdrawn": 1_000_000,
    "deposited": str(7 * 10**18 + 5),
    "suspended": 0,
    "validators": 4,
    "quorum": 3,
}


def _deposit(nonce: int, minted: bool, attesters: int) -> dict[str, object]:
    content = {
        "nonce": nonce,
        "eth_tx": "0x" + f"{nonce:02x}" * 32,
        "log_index": 0,
        "amount": str(nonce * 10**18),
        "recipient": format_address(sender_key(1).address()),
    }
    atts = [
        {"validator": f"{i:02x}" * 32, "digest": "0x" + "ab" * 32, "deposit": content}
        for i in range(attesters)
    ]
    record = {
        **content,
        "digest": "0x" + "ab" * 32,
        "minted": nonce * 10**6,
        "credited": content["recipient"],
        "height": 9,
    }
    return {
        "nonce": nonce,
        "status": "minted" if minted else "pending",
        "quorum": 3,
        "attestations": atts,
        "record": record if minted else None,
    }


WATCHER = {
    "enabled": True,
    "address": "0x" + "44" * 20,
    "registered": True,
    "last_scanned_block": 1234,
    "invariant_ok": True,
    "locked": 6_000_000,
    "minted": 6_000_000,
    "halted": None,
    "chain_halted": None,
    "conflicts": 0,
    "last_error": None,
}


def test_bridge_panel_hidden_unless_configured(
    page: Page, cluster: Cluster, artifacts: Path
) -> None:
    open_explorer(page, cluster)  # this network has no bridge configured
    expect(page.locator("#mall-body")).not_to_contain_text("Loading")
    expect(page.locator("#bridge")).to_be_hidden()

    answers: dict[str, object] = {
        "/v1/bridge": BRIDGE_STATUS,
        "/v1/bridge/deposits/1": _deposit(1, True, 3),
        "/v1/bridge/deposits/2": _deposit(2, True, 4),
        "/v1/bridge/deposits/3": _deposit(3, False, 2),
    }
    withdrawal = {
        "kind": "withdrawal",
        "id": 1,
        "message": {},
        "digest": "0x" + "cd" * 32,
        "signatures": [{"eth_address": "0x" + "11" * 20, "signature": "0x" + "22" * 65}] * 2,
        "signed_power": 2,
        "total_power": 4,
        "quorum": False,
        "signing_valset": 1,
        "withdrawal": {
            "owner": format_address(sender_key(2).address()),
            "recipient": "0x" + "33" * 20,
            "amount": 1_000_000,
            "token_amount": str(10**18),
            "expiry": 10**10,
            "expired": False,
            "renewals": 0,
        },
    }
    watcher: dict[str, object] = {}  # /health's `bridge` object; empty: the node has none

    def bridge(route: Route) -> None:
        path = route.request.url.split("?")[0].removeprefix(cluster.nodes[0].url)
        if path == "/v1/bridge/outbox":
            route.fulfill(json=[withdrawal])
        elif path in answers:
            route.fulfill(json=answers[path])
        else:
            route.fulfill(status=404, json={"code": "bridge_deposit_not_found", "message": "no"})

    def health(route: Route) -> None:  # the real /health, with the watcher's object added
        real = route.fetch()
        body = real.json()
        if watcher:
            body["bridge"] = dict(watcher)
        route.fulfill(response=real, json=body)

    page.route(re.compile(r".*/v1/bridge.*"), bridge)
    page.route(re.compile(r".*/health$"), health)
    panel = page.locator("#bridge")

    # a node without a watcher: the chain's totals, and no invariant claimed from them
    page.reload()
    expect(panel).to_be_visible(timeout=20_000)
    expect(panel.locator('[data-invariant="not-watched"]')).to_contain_text(
        "This node does not watch Ethereum"
    )
    assert panel.locator('[data-invariant="ok"], [data-invariant="broken"]').count() == 0
    expect(panel).to_contain_text("7,000,000,000,000,000,005 token units")  # deposited
    expect(panel).to_contain_text("6.000000 WSCC")  # outstanding: 7 minted less 1 burned
    expect(panel).to_contain_text("pending: 2 of 3 attestations")
    expect(panel.locator('[data-deposit="2"]')).to_have_attribute("data-status", "minted")
    expect(panel.locator('[data-deposit="2"]')).to_contain_text(
        "minted 2.000000 WSCC (4 attestations)"
    )
    expect(panel).to_contain_text("2 signatures, 50% of power")
    panel.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "12-bridge-no-watcher.png", full_page=True)

    # a validator's watcher: its reading of the vault against the wrapped supply
    watcher.update(WATCHER)
    page.reload()
    invariant = panel.locator("[data-invariant]")
    expect(invariant).to_have_attribute("data-invariant", "ok", timeout=20_000)
    expect(invariant).to_have_css("color", GREEN)
    watcher_facts = panel.locator('[data-bridge-watcher="on"]')
    expect(watcher_facts).to_contain_text("as this node's watcher reads Ethereum")
    expect(watcher_facts).to_contain_text("1,234")  # last scanned Ethereum block
    expect(watcher_facts).to_contain_text("6.000000 WSCC (the vault's token balance")
    panel.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "13-bridge-watcher.png", full_page=True)

    # the vault holds less than is outstanding, and minting is halted on chain
    names = {
        v["public_key"]: v["name"]
        for v in cluster.nodes[0].get("/v1/explorer/validators")["validators"]
    }
    keys = sorted(names)[:2]
    watcher.update(
        invariant_ok=False,
        locked=5_500_000,
        halted="invariant violated: vault holds 5500000 chain units, 6000000 minted",
        conflicts=1,
        last_error="InvariantViolated: invariant violated",
    )
    halt = {"reason": "conflicting_attestations", "nonce": 3, "validators": keys, "more_nonces": []}
    answers["/v1/bridge"] = {**BRIDGE_STATUS, "halted": halt}
    page.reload()
    expect(invariant).to_have_attribute("data-invariant", "broken", timeout=20_000)
    expect(invariant).to_contain_text("BROKEN")
    expect(invariant).to_have_css("color", RED)
    expect(watcher_facts).to_contain_text("5.500000 WSCC")
    expect(watcher_facts).to_contain_text("invariant violated: vault holds 5500000")
    notice = panel.locator('[data-bridge-halted="3"]')
    expect(notice).to_contain_text("Minting HALTED at deposit 3: conflicting_attestations")
    for key in keys:
        expect(notice).to_contain_text(names[key])
    panel.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "14-bridge-broken-halted.png", full_page=True)


def test_phone_width_is_readable(page: Page, cluster: Cluster, artifacts: Path) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    open_explorer(page, cluster)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at phone width"
    page.keyboard.press("Tab")  # the skip link comes first for keyboard users
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.screenshot(path=artifacts / "11-phone.png", full_page=True)
