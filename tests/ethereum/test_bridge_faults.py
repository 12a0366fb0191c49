"""Attacks and faults against the bridge end to end (anvil + a 4-validator localnet):
a forged deposit attestation by one validator, a reorg that removes a deposit before the
confirmation depth, the relayer killed (kill -9) mid-submission, a validator-set change
between signing and relaying, and the vault paused while a withdrawal waits."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scctn_node.bridge.anvil import Anvil
from scctn_node.bridge.rpc import EthRpc
from scctn_node.bridge.vault import Vault
from scctn_node.keystore import Keystore
from scctn_node.localnet import LOCALNET_PASSPHRASE
from tests.ethereum.bridge_net import (
    ENV,
    BridgeNet,
    bridge_anvil,
    bridge_net,
    dump,
    wait_until,
)
from tests.integration.nodeproc import SCCTN, NodeProcess

pytestmark = pytest.mark.integration
UNIT = 10**18  # the standard test token has 18 decimals
SCALE = 10**10


@pytest.fixture(scope="module")
def anvil() -> Iterator[Anvil]:
    with bridge_anvil() as node:
        yield node


def mint_to_alice(bn: BridgeNet, tokens: int) -> int:
    bn.deposit(tokens * UNIT, "alice")
    minted = tokens * UNIT // SCALE
    wait_until("the mint", lambda: bn.balance("alice") >= minted, 60)
    return minted


def signed(bn: BridgeNet, kind: str, oid: int) -> bool:
    item = bn.outbox_item(kind, oid)
    return bool(item and item["quorum"])


def mining(bn: BridgeNet, on: bool) -> None:
    async def go(rpc: EthRpc) -> None:
        await rpc.request("evm_setIntervalMining", [1 if on else 0])
        await rpc.set_automine(False)

    bn.eth(go)


def test_forged_attestation_halts_and_never_mints_twice(tmp_path: Path, anvil: Anvil) -> None:
    with bridge_net(tmp_path, anvil) as bn:
        try:
            amount = 7 * UNIT
            dep = bn.deposit(amount, "alice")
            # validator 3 attests the same deposit with a larger amount, before or after
            # the honest quorum: either way the disagreement halts minting
            forged = [
                141,
                dep["nonce"],
                bytes.fromhex(dep["tx"][2:]),
                0,
                (amount * 100).to_bytes(32, "big"),
                bn.key("alice").address(),
            ]
            bn.submit(bn.validator_key(3), forged)
            wait_until("the halt", lambda: bn.bridge()["halted"], 30)
            halted = bn.bridge()["halted"]
            assert halted["nonce"] == 1
            wait_until("the halt in /health", lambda: bn.health()["bridge"]["chain_halted"], 30)
            reasons = bn.health().get("reasons", [])
            assert any("halted" in r for r in reasons), reasons
            assert "scctn_bridge_halted 1.0" in bn.metrics()
            # never the forged amount, at most the honest one
            assert bn.balance("alice") in (0, amount // SCALE)
            # governance resumes; the honest validators attest afresh; minted exactly once
            bn.govern([147])  # bridge.resume
            wait_until("the mint", lambda: bn.balance("alice") == amount // SCALE, 60)
            assert not bn.bridge()["halted"]
            assert bn.bridge()["next_deposit_nonce"] == 2
            assert bn.bridge()["minted"] == amount // SCALE
        except BaseException:
            print(dump(bn))
            raise


def test_reorg_before_the_depth_is_never_minted(tmp_path: Path, anvil: Anvil) -> None:
    with bridge_net(tmp_path, anvil, confirmations=3) as bn:
        try:
            account = bn.depositor
            vault_address = bn.vault_address
            recipient = bn.key("alice").address()

            async def prepare(rpc: EthRpc) -> None:
                from scctn_node.bridge.vault import Token

                token = Token.at(rpc, await Vault.at(rpc, vault_address).token())
                await token.approve(account, vault_address, 10**6 * UNIT)

            bn.eth(prepare)
            mining(bn, False)

            async def doomed_deposit(rpc: EthRpc) -> int:
                from scctn_node.bridge.vault import sign_transaction

                vault = Vault.at(rpc, vault_address)
                tx = await sign_transaction(
                    rpc,
                    account,
                    to=vault_address,
                    data=vault.encode("deposit", 5 * UNIT, recipient),
                )
                await rpc.send_raw_transaction(tx.raw)
                await rpc.mine(1)  # in a block, one deep: not yet past 3 confirmations
                assert int(await vault.deposit_nonce()) == 1
                await rpc.reorg(1)  # that block is replaced by an empty one
                await rpc.request("anvil_dropAllTransactions")
                await rpc.mine(6)  # now well past the depth: the deposit is gone
                return int(await vault.deposit_nonce())

            assert bn.eth(doomed_deposit) == 0

            async def head(rpc: EthRpc) -> int:
                return await rpc.block_number()

            safe = bn.eth(head) - 3
            for i in range(4):  # every watcher has read past the reorged block
                wait_until(
                    f"watcher {i} scanning",
                    lambda i=i: bn.health(i)["bridge"]["last_scanned_block"] >= safe,
                    30,
                )
            mining(bn, True)
            assert bn.bridge()["next_deposit_nonce"] == 1
            code, _, _ = bn.node.request("GET", "/v1/bridge/deposits/1")
            assert code == 404  # not a single attestation of the vanished deposit
            assert bn.balance("alice") == 0
            # the next deposit takes nonce 1 and is minted with its own amount
            bn.deposit(3 * UNIT, "alice")
            wait_until("the mint", lambda: bn.balance("alice") == 3 * UNIT // SCALE, 60)
            assert not bn.bridge()["halted"]
            assert bn.bridge()["minted"] == 3 * UNIT // SCALE
        except BaseException:
            print(dump(bn))
            raise


def test_relayer_killed_mid_submission_releases_exactly_once(tmp_path: Path, anvil: Anvil) -> None:
    # above 5 tokens a withdrawal is queued by the vault for largeDelay (3600 s)
    with bridge_net(tmp_path, anvil, large_amount=5 * UNIT) as bn:
        try:
            mint_to_alice(bn, 18)
            recipient = bytes.fromhex("00" * 19 + "a1")
            wid = bn.withdraw("alice", recipient, 4 * 10**8)
            wait_until("signatures", lambda: signed(bn, "withdrawal", wid), 30)
            relayer_address = bytes.fromhex(json.loads(bn.relayer_keyfile().read_text())["address"])
            mining(bn, False)
            proc = bn.start_relayer()

            async def sent(rpc: EthRpc) -> bool:
                pending = await rpc.get_transaction_count(relayer_address, "pending")
                return pending > await rpc.get_transaction_count(relayer_address, "latest")

            wait_until("the relayer's transaction", lambda: bn.eth(sent), 30)
            proc.send_signal(signal.SIGKILL)  # mid-submission: sent, not mined
            proc.wait(10)

            async def lose_it(rpc: EthRpc) -> None:
                await rpc.request("anvil_dropAllTransactions")

            bn.eth(lose_it)  # the transaction died with the relayer
            mining(bn, True)
            bn.start_relayer()  # same data directory: it knows what it sent
            wait_until("the release", lambda: bn.token_balance(recipient) == 4 * 10**8 * SCALE, 60)

            async def withdrawn_events(rpc: EthRpc) -> int:
                vault = Vault.at(rpc, bn.vault_address)
                return len(await vault.get_events("Withdrawn", 0, "latest"))

            async def in_flight(rpc: EthRpc) -> int:
                pending = await rpc.get_transaction_count(relayer_address, "pending")
                return pending - await rpc.get_transaction_count(relayer_address, "latest")

            wait_until("nothing in flight", lambda: bn.eth(in_flight) == 0, 30)
            assert bn.token_balance(recipient) == 4 * 10**8 * SCALE
            assert bn.eth(withdrawn_events) == 1
            assert bn.vault_view("used", wid) is True
            queued_then_released(bn, wid, relayer_address)
        except BaseException:
            print(dump(bn))
            raise


def queued_then_released(bn: BridgeNet, small_wid: int, relayer_address: bytes) -> None:
    """Withdrawals above largeAmount, one relayed by the relayer and one by a user's
    `scctn bridge withdraw --relay` while the relayer is down: the vault queues both
    (WithdrawalQueued, nothing paid), and once the delay has passed on Ethereum the
    relayer sends release(id) for each, exactly once."""
    big = 6 * 10**8  # chain units: 6 tokens, above largeAmount
    to_a, to_b = bytes.fromhex("00" * 19 + "a2"), bytes.fromhex("00" * 19 + "a3")
    wid_a = bn.withdraw("alice", to_a, big)

    async def events(rpc: EthRpc) -> dict[str, list[int]]:
        vault = Vault.at(rpc, bn.vault_address)
        return {
            name: sorted(int(e.args["id"]) for e in await vault.get_events(name, 0, "latest"))
            for name in ("WithdrawalQueued", "Withdrawn")
        }

    wait_until("the relayer's queued withdraw", lambda: bn.eth(events)["WithdrawalQueued"], 60)
    relayer = bn.relayers[-1]
    relayer.send_signal(signal.SIGTERM)
    relayer.wait(10)
    out = subprocess.run(
        [*SCCTN, "bridge", "withdraw", "--from", "alice", "--to", "0x" + to_b.hex()]
        + ["--amount", str(big), "--node", bn.node.url, "--home", str(bn.root), "--relay"]
        + ["--eth-rpc", bn.anvil.url, "--keyfile", bn.info["depositor"]["keyfile"]]
        + ["-o", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, **ENV},
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    wid_b = int(json.loads(out.stdout)["id"])
    assert [small_wid + 1, small_wid + 2] == [wid_a, wid_b]
    assert bn.eth(events) == {"WithdrawalQueued": [wid_a, wid_b], "Withdrawn": [small_wid]}
    etas = []
    for wid, to in ((wid_a, to_a), (wid_b, to_b)):
        recipient, amount, eta = bn.vault_view("queued", wid)
        assert amount == big * SCALE and recipient == to
        assert bn.token_balance(to) == 0
        etas.append(eta)
    assert bn.token_balance(bn.vault_address) == (18 - 4) * UNIT  # both still locked
    bn.start_relayer()  # same data directory; it did not relay wid_b itself

    async def after_the_delay(rpc: EthRpc) -> None:
        block = await rpc.get_block("latest")
        assert block is not None and block.timestamp < min(etas)  # nothing released early
        await rpc.increase_time(max(etas) - block.timestamp)
        await rpc.mine(1)

    bn.eth(after_the_delay)
    paid = [big * SCALE] * 2
    wait_until("the releases", lambda: [bn.token_balance(to_a), bn.token_balance(to_b)] == paid, 60)

    async def in_flight(rpc: EthRpc) -> int:
        pending = await rpc.get_transaction_count(relayer_address, "pending")
        return pending - await rpc.get_transaction_count(relayer_address, "latest")

    wait_until("nothing in flight", lambda: bn.eth(in_flight) == 0, 30)
    time.sleep(1)  # a few more relayer rounds (poll 0.3 s): none may release again
    assert bn.eth(events) == {
        "WithdrawalQueued": [wid_a, wid_b],
        "Withdrawn": [small_wid, wid_a, wid_b],
    }
    assert bn.token_balance(to_a) == bn.token_balance(to_b) == big * SCALE
    assert bn.vault_view("queued", wid_a)[1] == bn.vault_view("queued", wid_b)[1] == 0
    assert bn.token_balance(bn.vault_address) == 2 * 10**8 * SCALE  # 18 in, 4 + 6 + 6 out
    assert bn.relayer_log().count("sent release") == 2


def test_valset_change_between_signing_and_relaying(tmp_path: Path, anvil: Anvil) -> None:
    with bridge_net(tmp_path, anvil) as bn:
        try:
            mint_to_alice(bn, 10)
            recipient = bytes.fromhex("00" * 19 + "b2")
            wid = bn.withdraw("alice", recipient, 2 * 10**8)
            wait_until("signatures", lambda: signed(bn, "withdrawal", wid), 30)
            # node 0 rotates its bridge key: a new valset, signed by the old one
            home0 = bn.net.node_home(bn.net.nodes[0])
            bn.procs[0].stop()
            Keystore(home0 / "keys").create(
                "bridge2", LOCALNET_PASSPHRASE, fast=True, key_type="secp256k1"
            )
            bn.procs[0] = NodeProcess(home0, env={**ENV, "SCCTN_BRIDGE_KEY": "bridge2"}).start()
            wait_until("valset 2", lambda: bn.bridge()["valset_nonce"] == 2, 60)
            wait_until("valset 2 signed", lambda: signed(bn, "valset", 2), 60)
            bn.start_relayer()
            wait_until("the release", lambda: bn.token_balance(recipient) == 2 * 10**8 * SCALE, 60)
            assert bn.vault_view("valsetNonce") == 2
        except BaseException:
            print(dump(bn))
            raise


def test_paused_vault_keeps_the_withdrawal_until_unpaused(tmp_path: Path, anvil: Anvil) -> None:
    with bridge_net(tmp_path, anvil) as bn:
        try:
            mint_to_alice(bn, 10)
            guardian = bn.guardian

            async def pause(rpc: EthRpc) -> dict[str, int]:
                vault = Vault.at(rpc, bn.vault_address)
                await vault.pause(guardian)
                return await vault.limits()

            limits = bn.eth(pause)
            recipient = bytes.fromhex("00" * 19 + "c3")
            wid = bn.withdraw("alice", recipient, 10**8)
            wait_until("signatures", lambda: signed(bn, "withdrawal", wid), 30)
            bn.start_relayer()
            time.sleep(3)  # an observation window: several relayer rounds see the paused vault
            assert bn.token_balance(recipient) == 0
            assert bn.vault_view("used", wid) is False
            change = [
                148,
                limits["perTxCap"].to_bytes(32, "big"),
                limits["dailyLimit"].to_bytes(32, "big"),
                limits["largeAmount"].to_bytes(32, "big"),
                limits["largeDelay"],
                bytes.fromhex(guardian.address[2:]),
                True,
            ]
            bn.govern(change, "unpause the vault")
            wait_until("the unpause", lambda: bn.vault_view("paused") is False, 60)
            wait_until("the release", lambda: bn.token_balance(recipient) == 10**8 * SCALE, 60)
        except BaseException:
            print(dump(bn))
            raise


def test_relayer_bumps_a_stuck_tx_and_resends_after_a_reorg(tmp_path: Path, anvil: Anvil) -> None:
    with bridge_net(tmp_path, anvil) as bn:
        try:
            mint_to_alice(bn, 10)
            recipient = bytes.fromhex("00" * 19 + "d4")
            wid = bn.withdraw("alice", recipient, 10**8)
            wait_until("signatures", lambda: signed(bn, "withdrawal", wid), 30)
            mining(bn, False)
            bn.start_relayer(None, "--confirmations", "3", "--bump-after", "1")
            wait_until("a gas bump", lambda: "fees bumped" in bn.relayer_log(), 30)

            async def mine(rpc: EthRpc) -> None:
                await rpc.mine(1)

            bn.eth(mine)  # mined, one deep: not final for a relayer waiting for 3
            wait_until(
                "the relayer sees it mined", lambda: "mined in block" in bn.relayer_log(), 30
            )

            async def reorg(rpc: EthRpc) -> bool:
                await rpc.reorg(1)  # the block with the withdrawal is replaced
                await rpc.request("anvil_dropAllTransactions")
                return bool(await Vault.at(rpc, bn.vault_address).used(wid))

            assert bn.eth(reorg) is False
            wait_until("a resend", lambda: "reorged away" in bn.relayer_log(), 30)
            mining(bn, True)
            wait_until("the release", lambda: bn.token_balance(recipient) == 10**8 * SCALE, 60)

            async def withdrawn_events(rpc: EthRpc) -> int:
                vault = Vault.at(rpc, bn.vault_address)
                return len(await vault.get_events("Withdrawn", 0, "latest"))

            assert bn.eth(withdrawn_events) == 1
        except BaseException:
            print(dump(bn))
            raise
