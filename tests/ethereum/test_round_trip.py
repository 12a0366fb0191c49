"""The bridge end to end on anvil with a 4-validator localnet: deposit on Ethereum, mint,
transfer on the consortium chain, burn, relay, release on Ethereum; balances exact on
both sides, with the standard test token and the SCCTN-like one (returns false instead
of reverting, rejects zero transfers, decimals set at deployment). Once the deposit is
minted, a validator's explorer page (in Chromium) shows it minted with its attestations
and the supply invariant as that validator's watcher read it from the vault. Pointed at an
Ethereum endpoint on another chain, `scctn bridge deposit`, `status` and `relay` refuse
it."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from primitives import eth
from scctn_node.bridge.anvil import CHAIN_ID, Anvil, start_anvil
from scctn_node.bridge.rpc import EthRpc
from tests.ethereum.bridge_net import ENV, BridgeNet, bridge_anvil, bridge_net, dump, wait_until
from tests.integration.nodeproc import SCCTN

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def anvil() -> Iterator[Anvil]:
    with bridge_anvil() as node:
        yield node


def scctn(bn: BridgeNet, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*SCCTN, "bridge", *args, "-o", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, **ENV},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


def whole(units: int, decimals: int, symbol: str) -> str:
    """An amount as the explorer shows it: whole points by the point type's decimals."""
    return f"{units // 10**decimals:,}.{units % 10**decimals:0{decimals}d} {symbol}"


def explorer_shows_the_mint(page: Page, bn: BridgeNet, minted: int, artifacts: Path) -> None:
    """Validator 0's explorer: deposit 1 minted with a quorum of attestations, and the
    invariant as its watcher read the vault (locked = minted: the deposit's dust stays
    below one chain unit)."""
    info = bn.bridge()
    symbol, decimals = info["config"]["symbol"], info["config"]["wrapped_decimals"]

    def watcher_read_it() -> bool:
        w = bn.health()["bridge"]
        return bool(w["invariant_ok"] is True and w["minted"] == minted == w["locked"])

    wait_until("the watcher's reading of the vault", watcher_read_it, 30)
    page.goto(bn.node.url + "/explorer/")
    panel = page.locator("#bridge")
    expect(panel).to_be_visible(timeout=20_000)
    deposit = panel.locator('[data-deposit="1"]')
    expect(deposit).to_have_attribute("data-status", "minted", timeout=20_000)
    seen = int(deposit.get_attribute("data-attestations") or 0)
    assert info["quorum"] <= seen <= info["validators"]
    expect(deposit).to_contain_text(
        f"minted {whole(minted, decimals, symbol)} ({seen} attestations)"
    )
    invariant = panel.locator("[data-invariant]")
    expect(invariant).to_have_attribute("data-invariant", "ok")
    expect(invariant).to_contain_text("holds")
    watcher = panel.locator('[data-bridge-watcher="on"]')
    expect(watcher).to_contain_text(f"{whole(minted, decimals, symbol)} (the vault's token balance")
    expect(watcher).to_contain_text(re.compile(r"Last scanned Ethereum block\s*[\d,]+"))
    expect(watcher).to_contain_text(bn.health()["bridge"]["address"])
    panel.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "15-bridge-localnet-minted.png", full_page=True)


# The standard token goes through the Python API and the relayer process; the SCCTN-like
# one through the CLI as a user runs it (deposit, withdraw --relay, status).
@pytest.mark.parametrize(
    ("token", "decimals", "cli"), [("standard", 18, False), ("scctn-like", 8, True)]
)
def test_round_trip(
    tmp_path: Path,
    anvil: Anvil,
    page: Page,
    artifacts: Path,
    token: str,
    decimals: int,
    cli: bool,
) -> None:
    with bridge_net(tmp_path, anvil, token=token, decimals=decimals) as bn:
        try:
            keyfile = bn.info["depositor"]["keyfile"]
            scale = int(bn.bridge()["config"]["scale"])
            assert scale == 10 ** (decimals - 8)
            depositor = bytes.fromhex(bn.depositor.address[2:])
            before = bn.token_balance(depositor)
            amount = 12 * 10**decimals + (345 if scale > 1 else 0)  # dust stays locked
            if cli:  # the vault found through the node
                dep = json.loads(
                    scctn(
                        bn,
                        "deposit",
                        "--eth-rpc",
                        anvil.url,
                        "--keyfile",
                        keyfile,
                        "--node",
                        bn.node.url,
                        "--amount",
                        str(amount),
                        "--to",
                        bn.address("alice"),
                    ).stdout
                )
            else:
                dep = bn.deposit(amount, "alice")
            assert dep["nonce"] == 1 and dep["amount"] == amount
            assert bn.token_balance(depositor) == before - amount
            minted = amount // scale
            wait_until("the mint", lambda: bn.balance("alice") == minted, 60)
            assert bn.bridge()["next_deposit_nonce"] == 2
            assert bn.token_balance(bn.vault_address) == amount
            if not cli:  # once is enough: the page is the same for either token
                explorer_shows_the_mint(page, bn, minted, artifacts)

            bn.transfer("alice", "bob", 5 * 10**8)
            assert bn.balance("bob") == 5 * 10**8

            recipient = bytes.fromhex("00" * 19 + "7e")
            burn = 3 * 10**8 + 17
            if cli:  # burn, wait for the signatures and relay it yourself
                out = json.loads(
                    scctn(
                        bn,
                        "withdraw",
                        "--from",
                        "bob",
                        "--to",
                        "0x" + recipient.hex(),
                        "--amount",
                        str(burn),
                        "--node",
                        bn.node.url,
                        "--home",
                        str(bn.root),
                        "--relay",
                        "--eth-rpc",
                        anvil.url,
                        "--keyfile",
                        keyfile,
                    ).stdout
                )
                wid = out["id"]
                assert out["vault_tx"].startswith("0x")
            else:
                wid = bn.withdraw("bob", recipient, burn)
                bn.start_relayer()
            assert wid == 1
            assert bn.balance("bob") == 5 * 10**8 - burn
            wait_until("the release", lambda: bn.token_balance(recipient) == burn * scale, 60)
            assert bn.vault_view("used", wid) is True
            assert bn.token_balance(bn.vault_address) == amount - burn * scale
            assert bn.balance("alice") == minted - 5 * 10**8
            info = bn.bridge()
            assert info["minted"] == minted and info["withdrawn"] == burn

            status = scctn(bn, "status", "--node", bn.node.url, "--eth-rpc", anvil.url)
            inv = json.loads(status.stdout)["invariant"]
            assert inv == {
                "locked_chain_units": (amount - burn * scale) // scale,
                "outstanding_chain_units": minted - burn,
                "ok": True,
            }
            health = bn.health()
            assert health["bridge"]["invariant_ok"] is True
            assert "scctn_bridge_invariant_ok 1.0" in bn.metrics()
            if cli:
                wrong_chain_refused(bn, keyfile)
        except BaseException:
            print(dump(bn))
            raise


def refused(args: list[str], code: str) -> str:
    """Runs `scctn bridge <args>`; asserts a non-zero exit, nothing on stdout and one
    stderr line `error: <code>: ...`, and returns that line."""
    result = subprocess.run(
        [*SCCTN, "bridge", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **ENV},
        timeout=60,
    )
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0 and result.stdout == "", (args[0], result)
    assert len(lines) == 1 and lines[0].startswith(f"error: {code}:"), (args[0], lines)
    return lines[0]


def wrong_chain_refused(bn: BridgeNet, keyfile: str) -> None:
    """An Ethereum endpoint on another chain than the bridge's eth_chain_id: deposit,
    status, pause and the relayer each refuse it with one stderr line naming both chain ids and
    a non-zero exit, before sending anything. Given only `--vault` (no node to compare
    chain ids with), deposit and pause find no contract there and refuse (`no_vault`)."""
    other_chain = CHAIN_ID + 1
    deposits = bn.vault_view("depositNonce")
    with start_anvil(n_accounts=0, chain_id=other_chain) as other:
        common = ["--eth-rpc", other.url, "--node", bn.node.url]
        commands = {
            "deposit": ["deposit", *common, "--keyfile", keyfile, "--amount", "1", "--to"]
            + [bn.address("alice")],
            "status": ["status", *common],
            "pause": ["pause", *common, "--keyfile", keyfile],
            "relay": ["relay", *common, "--keyfile", str(bn.relayer_keyfile())]
            + ["--data", str(bn.root / "relayer-wrong-chain"), "--poll-interval", "0.3"],
        }
        for name, args in commands.items():
            line = refused(args, "wrong_chain")
            assert str(other_chain) in line and str(CHAIN_ID) in line, (name, line)
        vault = ["--eth-rpc", other.url, "--vault", eth.to_checksum(bn.vault_address)]
        vault += ["--keyfile", keyfile]
        for args in (
            ["deposit", *vault, "--amount", "1", "--to", bn.address("alice")],
            ["pause", *vault],
        ):
            assert str(other_chain) in refused(args, "no_vault"), args[0]

        senders = [bytes.fromhex(bn.depositor.address[2:])]
        senders.append(bytes.fromhex(json.loads(bn.relayer_keyfile().read_text())["address"]))

        async def sent_there(rpc: EthRpc) -> list[int]:
            return [await rpc.get_transaction_count(a, "pending") for a in senders]

        assert other.run(sent_there, isolate=False) == [0, 0]
    assert bn.vault_view("depositNonce") == deposits
