"""The explorer page in Chromium against a real four-validator network of processes:
a transfer the test submits appears without a reload and its hash opens it; a balance's
Merkle proof is verified in the page; a malformed search and an unknown one say so;
killing a validator turns it red on the dashboard and restarting it turns it green; an
unreachable API leaves readable text. Screenshots of each state go to
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
        "explorer test",
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
    for text in ["12abc!", "!!nonsense!!", "0xabc1234567890def"]:
        page.fill("#q", text)
        page.press("#q", "Enter")
        expect(message).to_be_visible()
        expect(message).to_have_attribute("data-kind", "malformed")
        expect(message).to_contain_text(text)
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
    page.goto(cluster.nodes[0].url + "/explorer/")
    expect(page.locator('[data-health="unreachable"]')).to_be_visible(timeout=20_000)
    expect(page.locator("#blocks")).to_contain_text("unreachable")
    expect(page.locator("#conn")).to_have_attribute("data-state", "down")
    page.screenshot(path=artifacts / "10-api-unreachable.png", full_page=True)


def test_phone_width_is_readable(page: Page, cluster: Cluster, artifacts: Path) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    open_explorer(page, cluster)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at phone width"
    page.keyboard.press("Tab")  # the skip link comes first for keyboard users
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.screenshot(path=artifacts / "11-phone.png", full_page=True)
