"""Deposits into the vault on a real anvil: both test tokens (a standard ERC-20 with 18
decimals and one that behaves like the mainnet SCCTN with 6), fee-on-transfer, bad
amounts and recipients, and gap-free nonces; and a validator's watcher reading them in
`finality = "finalized"` mode (anvil runs with --slots-in-an-epoch 1, so the finalized tag
trails the head by a couple of blocks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from scctn_node.bridge.anvil import address_of
from scctn_node.bridge.ethkeys import EthSigner
from scctn_node.bridge.metrics import BridgeMetrics
from scctn_node.bridge.rpc import EthRpc
from scctn_node.bridge.vault import Token, Vault, VaultError, VaultParams, deploy
from scctn_node.bridge.watcher import BridgeWatcher, RpcEthSource, WatcherSettings
from tests.ethereum.world import T6, T18, Bound, World

RECIPIENT = bytes.fromhex("00112233445566778899aabbccddeeff00112233")


async def approve_and_mint(b: Bound, token: Token, vault: Vault, amount: int) -> None:
    user = b.w.user
    await token.mint(user, address_of(user), amount)
    await token.approve(user, vault.address, amount)


def test_decimals_are_read_from_the_token(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = world.bind(rpc)
        assert await b.vault18.token_decimals() == 18
        assert await b.vault18.scale() == 10**10  # 18 token decimals, 8 chain decimals
        assert await b.vault6.token_decimals() == 6
        assert await b.vault6.scale() == 100  # 6 token decimals, 4 chain decimals
        assert await b.vault18.token() == world.token18
        # more chain decimals than the token has is refused at deployment
        params = VaultParams(8, address_of(world.guardian), 1, 1, 1, 1, 1)
        with pytest.raises(VaultError) as e:
            await Vault.deploy(rpc, world.deployer, world.token6, world.valset, params)
        assert e.value.name == "BadDecimals"

    world.anvil.run(body)


def test_deposit_standard_token(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = world.bind(rpc)
        amount = 3 * T18 // 2
        await approve_and_mint(b, b.token18, b.vault18, amount)
        receipt = await b.vault18.deposit(world.user, amount, RECIPIENT)
        [event] = b.vault18.events(receipt, "Deposited")
        assert event.args == {
            "nonce": 1,
            "sender": address_of(world.user),
            "recipient": RECIPIENT,
            "amount": amount,
        }
        assert await b.token18.balance_of(b.vault18.address) == amount
        assert await b.token18.balance_of(address_of(world.user)) == 0
        assert await b.vault18.deposit_nonce() == 1

    world.anvil.run(body)


def test_deposit_scctn_like_token_that_returns_false(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = world.bind(rpc)
        user = address_of(world.user)
        await b.token6.mint(world.user, user, 50 * T6)
        # The token itself answers false (no revert) to a transfer beyond the balance and
        # to a zero-value transfer; the vault must not take a false for a success.
        data = b.token6.encode("transfer", RECIPIENT, 51 * T6)
        assert await rpc.call(to=b.token6.address, data=data, sender=user) == (0).to_bytes(32)
        data = b.token6.encode("transfer", RECIPIENT, 0)
        assert await rpc.call(to=b.token6.address, data=data, sender=user) == (0).to_bytes(32)

        with pytest.raises(VaultError) as e:  # no allowance: transferFrom returns false
            await b.vault6.deposit(world.user, 10 * T6, RECIPIENT)
        assert e.value.name == "SafeERC20FailedOperation"
        await b.token6.approve(world.user, b.vault6.address, 100 * T6)
        with pytest.raises(VaultError) as e:  # beyond the balance: returns false
            await b.vault6.deposit(world.user, 60 * T6, RECIPIENT)
        assert e.value.name == "SafeERC20FailedOperation"
        assert await b.vault6.deposit_nonce() == 0

        receipt = await b.vault6.deposit(world.user, 12_345_678, RECIPIENT)
        [event] = b.vault6.events(receipt, "Deposited")
        assert (event.args["nonce"], event.args["amount"]) == (1, 12_345_678)
        assert await b.token6.balance_of(b.vault6.address) == 12_345_678
        assert await b.token6.balance_of(user) == 50 * T6 - 12_345_678

    world.anvil.run(body)


def test_fee_on_transfer_credits_what_was_received(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = world.bind(rpc)
        await approve_and_mint(b, b.fee_token, b.fee_vault, 1_000 * T18)
        receipt = await b.fee_vault.deposit(world.user, 1_000 * T18, RECIPIENT)
        [event] = b.fee_vault.events(receipt, "Deposited")
        assert event.args["amount"] == 990 * T18  # 1% burned in transit
        assert await b.fee_token.balance_of(b.fee_vault.address) == 990 * T18

    world.anvil.run(body)


def test_zero_and_dust_amounts_rejected(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = world.bind(rpc)
        await approve_and_mint(b, b.token6, b.vault6, 10 * T6)
        with pytest.raises(VaultError) as e:
            await b.vault6.deposit(world.user, 0, RECIPIENT)
        assert e.value.name == "ZeroAmount"
        with pytest.raises(VaultError) as e:  # less than one chain unit (scale 100)
            await b.vault6.deposit(world.user, 99, RECIPIENT)
        assert e.value.name == "AmountTooSmall"
        await b.vault6.deposit(world.user, 100, RECIPIENT)
        # fee-on-transfer: 1e10 sent, 0.99e10 received, below one chain unit (scale 1e10)
        await approve_and_mint(b, b.fee_token, b.fee_vault, 10**10)
        with pytest.raises(VaultError) as e:
            await b.fee_vault.deposit(world.user, 10**10, RECIPIENT)
        assert e.value.name == "AmountTooSmall"
        assert await b.fee_vault.deposit_nonce() == 0

    world.anvil.run(body)


@pytest.mark.parametrize(
    "recipient",
    [RECIPIENT[:19], RECIPIENT + b"\x01", bytes(20), b"", bytes(32)],
    ids=["19-bytes", "21-bytes", "20-zero-bytes", "empty", "32-bytes"],
)
def test_malformed_recipient_rejected(world: World, recipient: bytes) -> None:
    async def body(rpc: EthRpc) -> None:
        b = world.bind(rpc)
        await approve_and_mint(b, b.token18, b.vault18, T18)
        with pytest.raises(VaultError) as e:
            await b.vault18.deposit(world.user, T18, recipient)
        assert e.value.name == "BadRecipient"
        assert await b.token18.balance_of(b.vault18.address) == 0

    world.anvil.run(body)


def test_deposit_nonces_are_gap_free_across_senders_and_failures(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = world.bind(rpc)
        start = await rpc.block_number()
        for who in (world.user, world.other):
            await b.token18.mint(who, address_of(who), 10 * T18)
            await b.token18.approve(who, b.vault18.address, 10 * T18)
        await b.vault18.deposit(world.user, T18, RECIPIENT)
        with pytest.raises(VaultError):
            await b.vault18.deposit(world.other, 0, RECIPIENT)
        await b.vault18.deposit(world.other, 2 * T18, RECIPIENT)
        with pytest.raises(VaultError):
            await b.vault18.deposit(world.user, 11 * T18, RECIPIENT)  # beyond the balance
        await b.vault18.deposit(world.user, 3 * T18, bytes.fromhex("ff" * 20))
        deposits = await b.vault18.deposits(start, "latest")
        assert [d.nonce for d in deposits] == [1, 2, 3]
        assert [d.amount for d in deposits] == [T18, 2 * T18, 3 * T18]
        assert [d.sender for d in deposits] == [
            address_of(world.user),
            address_of(world.other),
            address_of(world.user),
        ]
        assert deposits[2].recipient == bytes.fromhex("ff" * 20)
        assert await b.vault18.deposit_nonce() == 3

    world.anvil.run(body)


def test_deposit_refused_while_paused(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = world.bind(rpc)
        await approve_and_mint(b, b.token18, b.vault18, T18)
        await b.vault18.pause(world.guardian)
        with pytest.raises(VaultError) as e:
            await b.vault18.deposit(world.user, T18, RECIPIENT)
        assert e.value.name == "Paused"

    world.anvil.run(body)


def test_token_binding_deploys_any_erc20(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        token = await deploy(rpc, world.deployer, "TestToken", "Nine", "NINE", 9)
        assert await Token.at(rpc, token.address).decimals() == 9

    world.anvil.run(body)


class OneValidatorChain:
    """The watcher's own node, reduced to what deposits need: one validator (the
    watcher's key) whose attestations are recorded, nothing minted yet."""

    chain_id = "finality-test"
    validator_key = b"\x07" * 32

    def __init__(self, vault: bytes, eth_chain_id: int, signer: EthSigner) -> None:
        self.config = {"eth_chain_id": eth_chain_id, "vault": "0x" + vault.hex(), "scale": 10**10}
        self.signer = signer
        self.ops: list[list[Any]] = []

    def is_validator(self) -> bool:
        return True

    async def bridge(self) -> dict[str, Any]:
        return {
            "configured": True,
            "config": self.config,
            "next_deposit_nonce": 1,
            "minted": 0,
            "halted": None,
        }

    async def deposit(self, nonce: int) -> dict[str, Any] | None:
        return None

    async def outbox(self, kind: str, start: int, limit: int) -> list[dict[str, Any]]:
        return []

    async def valset(self, which: int | str) -> dict[str, Any] | None:
        return {"nonce": 1, "validators": [self.signer.address], "powers": [1]}

    async def submit(self, op: list[Any]) -> str:
        self.ops.append(op)
        return "ab" * 32

    def attested(self) -> list[int]:
        return [int(op[1]) for op in self.ops if op[0] == 141]


def test_watcher_in_finalized_mode_attests_only_finalized_deposits(
    world: World, tmp_path: Path
) -> None:
    """No confirmation depth at all: only the finalized tag holds the deposit back, and
    the scan cursor never passes the finalized block. A depth-mode watcher beside it
    attests at once (the contrast shows the finalized rule is what waited)."""
    signer = EthSigner.from_secret(b"\x01" * 32)
    cursor_file = tmp_path / "cursor.json"

    async def body(rpc: EthRpc) -> None:
        b = world.bind(rpc)
        start = await rpc.block_number() + 1

        def watcher(finality: str, cursor: Path | None) -> tuple[BridgeWatcher, OneValidatorChain]:
            chain = OneValidatorChain(world.vault18, world.chain_id, signer)
            settings = WatcherSettings(
                confirmations=0,
                poll_interval=0.01,
                finality=finality,
                start_block=start,
                cursor_path=cursor,
            )
            metrics = BridgeMetrics(CollectorRegistry())
            return BridgeWatcher(settings, chain, RpcEthSource(rpc), signer, metrics), chain

        final_w, final_chain = watcher("finalized", cursor_file)
        depth_w, depth_chain = watcher("depth", None)
        await approve_and_mint(b, b.token18, b.vault18, 5 * T18)
        receipt = await b.vault18.deposit(world.user, 5 * T18, RECIPIENT)
        deposit_block = receipt.block_number

        await depth_w.step()
        assert depth_chain.attested() == [1]  # depth 0: attested in the block it is in

        held_back = 0
        for _ in range(8):
            await final_w.step()
            finalized_block = await rpc.get_block("finalized")
            assert finalized_block is not None
            finalized = finalized_block.number
            cursor = json.loads(cursor_file.read_text())["cursor"]
            assert final_w.state.last_scanned <= finalized
            assert cursor <= finalized + 1  # a restart never resumes past the finalized block
            if finalized < deposit_block:
                assert final_chain.attested() == []
                held_back += 1
                await rpc.mine(1)
                continue
            assert final_chain.attested() == [1]
            [op] = final_chain.ops
            assert op[4] == (5 * T18).to_bytes(32, "big") and op[5] == RECIPIENT
            break
        else:
            raise AssertionError("the finalized block never reached the deposit")
        assert held_back >= 1  # the deposit was mined but not final for at least a round

    world.anvil.run(body)
