"""Withdrawals from the vault on a real anvil, signed with the validators' real keys:
success, replay, quorum, signer order, foreign domains, expiry, caps, the daily limit,
the time lock on large amounts, and reentrancy."""

from __future__ import annotations

import pytest
from eth_account import Account

from primitives.eth import HALF_N, SECP256K1_N, Withdrawal, message_digest
from scctn_node.bridge.anvil import address_of
from scctn_node.bridge.rpc import EthRpc
from scctn_node.bridge.vault import (
    Token,
    Vault,
    VaultError,
    decode_revert,
    deploy,
    pick_signatures,
    sign_message,
    typed_digest,
)
from tests.ethereum.world import DAY, PARAMS18, T18, VALIDATOR_KEYS, Bound, World, make_valset

ALICE = bytes.fromhex("a11ce00000000000000000000000000000000001")


async def funded(world: World, rpc: EthRpc, amount: int = 2_000 * T18) -> Bound:
    b = world.bind(rpc)
    await b.fund(b.token18, b.vault18, amount)
    return b


async def expect(name: str, coro: object) -> None:
    with pytest.raises(VaultError) as e:
        await coro  # type: ignore[misc]
    assert e.value.name == name, e.value


def test_digest_matches_contract_and_primitives(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = world.bind(rpc)
        w = Withdrawal(7, ALICE, 123 * T18, 1_900_000_000)
        digest = typed_digest(world.chain_id, b.vault18.address, w)
        assert digest == await b.vault18.chain_digest(w)
        assert digest == message_digest(world.chain_id, b.vault18.address, w)
        assert w.struct_hash() == await b.vault18.call(
            "hashWithdrawal", (7, ALICE, 123 * T18, w.expiry)
        )

    world.anvil.run(body)


def test_withdraw_releases_with_quorum(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = await funded(world, rpc)
        w = Withdrawal(1, ALICE, 250 * T18, await b.now() + 3600)
        sigs = {
            address_of(Account.from_key(k)): sign_message(k, world.chain_id, b.vault18.address, w)
            for k in VALIDATOR_KEYS[1:]
        }
        signers, chosen = pick_signatures(world.valset, sigs)
        assert signers == [1, 2, 3]
        receipt = await b.vault18.withdraw(world.relayer, w, world.valset, signers, chosen)
        [event] = b.vault18.events(receipt)
        assert event.name == "Withdrawn"
        assert event.args == {"id": 1, "recipient": ALICE, "amount": 250 * T18}
        assert await b.token18.balance_of(ALICE) == 250 * T18
        assert await b.token18.balance_of(b.vault18.address) == 1_750 * T18
        assert await b.vault18.used(1)
        assert not await b.vault18.used(2)

    world.anvil.run(body)


def test_replayed_withdrawal_rejected(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = await funded(world, rpc)
        w = Withdrawal(1, ALICE, T18, await b.now() + 3600)
        await b.withdraw(b.vault18, w)
        await expect("AlreadyUsed", b.withdraw(b.vault18, w))
        # other signers, same id: still refused
        await expect("AlreadyUsed", b.withdraw(b.vault18, w, signers=(1, 2, 3)))
        # the same id with another amount or recipient is the same id
        await expect("AlreadyUsed", b.withdraw(b.vault18, Withdrawal(1, ALICE, 2, w.expiry)))
        assert await b.token18.balance_of(ALICE) == T18

    world.anvil.run(body)


def test_too_few_signers_is_no_quorum(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = await funded(world, rpc)
        w = Withdrawal(1, ALICE, T18, await b.now() + 3600)
        await expect("NoQuorum", b.withdraw(b.vault18, w, signers=(0, 3)))  # 2 of 4
        await expect("NoQuorum", b.withdraw(b.vault18, w, signers=()))
        with pytest.raises(VaultError) as e:
            pick_signatures(world.valset, {world.valset.validators[0]: b"\x00" * 65})
        assert e.value.name == "NoQuorum"
        assert not await b.vault18.used(1)

    world.anvil.run(body)


def test_exactly_two_thirds_of_power_is_not_enough(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = world.bind(rpc)
        # powers 2, 1, 1, 2: total 6; 4 (= 2/3) is refused, 5 is accepted
        valset = make_valset(1, VALIDATOR_KEYS, [2, 1, 1, 2])
        token = Token.at(
            rpc, (await deploy(rpc, world.deployer, "TestToken", "W", "W", 18)).address
        )
        vault = await Vault.deploy(rpc, world.deployer, token.address, valset, world.params18)
        await b.fund(token, vault, 10 * T18)
        w = Withdrawal(1, ALICE, T18, await b.now() + 3600)
        await expect("NoQuorum", b.withdraw(vault, w, signers=(0, 3), current=valset))
        await expect("NoQuorum", b.withdraw(vault, w, signers=(0, 1, 2), current=valset))
        await b.withdraw(vault, w, signers=(0, 1, 3), current=valset)
        assert await token.balance_of(ALICE) == T18

    world.anvil.run(body)


def test_duplicate_or_unsorted_signers_rejected(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = await funded(world, rpc)
        w = Withdrawal(1, ALICE, T18, await b.now() + 3600)
        sig = {
            i: sign_message(k, world.chain_id, b.vault18.address, w)
            for i, k in enumerate(VALIDATOR_KEYS)
        }
        v = b.vault18
        # one validator's signature three times
        await expect(
            "SignersNotSorted", v.withdraw(world.relayer, w, world.valset, [1, 1, 1], [sig[1]] * 3)
        )
        await expect(
            "SignersNotSorted",
            v.withdraw(world.relayer, w, world.valset, [0, 1, 1], [sig[0], sig[1], sig[1]]),
        )
        await expect(
            "SignersNotSorted",
            v.withdraw(world.relayer, w, world.valset, [2, 0, 1], [sig[2], sig[0], sig[1]]),
        )
        await expect(
            "SignersNotSorted",
            v.withdraw(world.relayer, w, world.valset, [0, 1, 4], [sig[0], sig[1], sig[2]]),
        )
        # a signature under the wrong index
        await expect(
            "BadSignature",
            v.withdraw(world.relayer, w, world.valset, [0, 1, 2], [sig[0], sig[2], sig[1]]),
        )
        # fewer signatures than signers
        await expect(
            "BadSignature", v.withdraw(world.relayer, w, world.valset, [0, 1, 2], [sig[0], sig[1]])
        )

    world.anvil.run(body)


def test_signature_for_another_chain_or_vault_rejected(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = await funded(world, rpc)
        w = Withdrawal(1, ALICE, T18, await b.now() + 3600)
        keys = VALIDATOR_KEYS[:3]
        other_chain = [sign_message(k, world.chain_id + 1, b.vault18.address, w) for k in keys]
        other_vault = [sign_message(k, world.chain_id, b.vault6.address, w) for k in keys]
        for sigs in (other_chain, other_vault):
            await expect(
                "BadSignature", b.vault18.withdraw(world.relayer, w, world.valset, [0, 1, 2], sigs)
            )
        # two good signatures and one for another chain: still no release
        mixed = [*b.sign(b.vault18, w, keys[:2]), other_chain[2]]
        await expect(
            "BadSignature", b.vault18.withdraw(world.relayer, w, world.valset, [0, 1, 2], mixed)
        )
        # a signature over other fields (amount) does not transfer to this message
        bigger = Withdrawal(1, ALICE, 2 * T18, w.expiry)
        sigs = b.sign(b.vault18, bigger, keys)
        await expect(
            "BadSignature", b.vault18.withdraw(world.relayer, w, world.valset, [0, 1, 2], sigs)
        )
        assert await b.token18.balance_of(ALICE) == 0

    world.anvil.run(body)


def test_high_s_and_malformed_signatures_rejected(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = await funded(world, rpc)
        w = Withdrawal(1, ALICE, T18, await b.now() + 3600)
        sigs = b.sign(b.vault18, w, VALIDATOR_KEYS[:3])
        r, s, v = sigs[0][:32], int.from_bytes(sigs[0][32:64]), sigs[0][64]
        assert s <= HALF_N
        flipped = r + (SECP256K1_N - s).to_bytes(32) + bytes([55 - v])  # the malleable twin
        await expect(
            "BadSignature",
            b.vault18.withdraw(world.relayer, w, world.valset, [0, 1, 2], [flipped, *sigs[1:]]),
        )
        bad_v = sigs[0][:64] + bytes([29])
        await expect(
            "BadSignature",
            b.vault18.withdraw(world.relayer, w, world.valset, [0, 1, 2], [bad_v, *sigs[1:]]),
        )
        await b.vault18.withdraw(world.relayer, w, world.valset, [0, 1, 2], sigs)

    world.anvil.run(body)


def test_wrong_valset_rejected(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = await funded(world, rpc)
        w = Withdrawal(1, ALICE, T18, await b.now() + 3600)
        # the right members under another nonce, or with other powers
        for wrong in (
            make_valset(2, VALIDATOR_KEYS),
            make_valset(1, VALIDATOR_KEYS, [1, 1, 1, 2]),
            make_valset(1, VALIDATOR_KEYS[:3]),
        ):
            await expect("WrongValset", b.withdraw(b.vault18, w, current=wrong))

    world.anvil.run(body)


def test_expired_withdrawal_rejected(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = await funded(world, rpc)
        now = await b.now()
        w = Withdrawal(1, ALICE, T18, now + 100)
        await rpc.set_next_block_timestamp(now + 101)
        await expect("Expired", b.withdraw(b.vault18, w))
        w2 = Withdrawal(2, ALICE, T18, now + 300)
        await rpc.set_next_block_timestamp(now + 300)  # expiry is inclusive
        await b.withdraw(b.vault18, w2)
        assert await b.token18.balance_of(ALICE) == T18

    world.anvil.run(body)


def test_per_tx_cap(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = await funded(world, rpc)
        expiry = await b.now() + 3600
        await expect(
            "OverTxCap", b.withdraw(b.vault18, Withdrawal(1, ALICE, 1_000 * T18 + 1, expiry))
        )
        await b.withdraw(b.vault18, Withdrawal(2, ALICE, 500 * T18, expiry))
        await expect("ZeroAmount", b.withdraw(b.vault18, Withdrawal(3, ALICE, 0, expiry)))
        await expect("BadRecipient", b.withdraw(b.vault18, Withdrawal(4, bytes(20), T18, expiry)))

    world.anvil.run(body)


def test_daily_limit_and_reset_next_day(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = await funded(world, rpc, 3_000 * T18)
        now = await b.now()
        start = (now // DAY + 1) * DAY + 10  # early in a fresh day, so both fit in it
        await rpc.set_next_block_timestamp(start)
        expiry = start + 10 * DAY
        await b.withdraw(b.vault18, Withdrawal(1, ALICE, 500 * T18, expiry))
        await b.withdraw(b.vault18, Withdrawal(2, ALICE, 500 * T18, expiry))
        # 1000 spent of 1500: 600 more is over the limit, 500 fits exactly
        await expect(
            "OverDailyLimit", b.withdraw(b.vault18, Withdrawal(3, ALICE, 600 * T18, expiry))
        )
        await b.withdraw(b.vault18, Withdrawal(4, ALICE, 500 * T18, expiry))
        await expect("OverDailyLimit", b.withdraw(b.vault18, Withdrawal(3, ALICE, 1, expiry)))
        assert await b.vault18.call("spentOn", start // DAY) == 1_500 * T18
        await rpc.increase_time(DAY)
        await b.withdraw(
            b.vault18, Withdrawal(3, ALICE, 600 * T18, expiry)
        )  # = largeAmount: not queued
        await b.withdraw(b.vault18, Withdrawal(5, ALICE, 500 * T18, expiry))
        assert await b.token18.balance_of(ALICE) == 2_600 * T18

    world.anvil.run(body)


def test_large_withdrawal_queued_then_released(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = await funded(world, rpc)
        now = await b.now()
        w = Withdrawal(1, ALICE, 700 * T18, now + 3600)  # above largeAmount (600)
        receipt = await b.withdraw(b.vault18, w)
        [event] = b.vault18.events(receipt)
        assert event.name == "WithdrawalQueued"
        eta = event.args["eta"]
        block = await rpc.get_block(receipt.block_number)
        assert block is not None and eta == block.timestamp + PARAMS18.large_delay
        assert await b.vault18.queued(1) == (ALICE, 700 * T18, eta)
        assert await b.vault18.used(1)
        assert await b.token18.balance_of(ALICE) == 0
        await expect("AlreadyUsed", b.withdraw(b.vault18, w))

        await rpc.set_next_block_timestamp(eta - 1)
        await expect("TooEarly", b.vault18.release(world.other, 1))
        await rpc.set_next_block_timestamp(eta)
        receipt = await b.vault18.release(world.other, 1)  # anyone may release
        [event] = b.vault18.events(receipt)
        assert (event.name, event.args) == (
            "Withdrawn",
            {"id": 1, "recipient": ALICE, "amount": 700 * T18},
        )
        assert await b.token18.balance_of(ALICE) == 700 * T18
        await expect("NotQueued", b.vault18.release(world.other, 1))
        assert await b.vault18.queued(1) == (bytes(20), 0, 0)

    world.anvil.run(body)


def test_guardian_cancels_queued_withdrawal_only_while_paused(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = await funded(world, rpc)
        w = Withdrawal(1, ALICE, 700 * T18, await b.now() + 3600)
        await b.withdraw(b.vault18, w)
        await expect("NotPaused", b.vault18.cancel_queued(world.guardian, 1))
        await b.vault18.pause(world.guardian)
        await expect("NotGuardian", b.vault18.cancel_queued(world.other, 1))
        await rpc.increase_time(PARAMS18.large_delay + 1)
        await expect("Paused", b.vault18.release(world.other, 1))
        receipt = await b.vault18.cancel_queued(world.guardian, 1)
        assert [e.name for e in b.vault18.events(receipt)] == ["WithdrawalCancelled"]
        await expect("NotQueued", b.vault18.cancel_queued(world.guardian, 1))
        assert await b.vault18.used(1)  # the id stays spent
        assert await b.token18.balance_of(b.vault18.address) == 2_000 * T18

    world.anvil.run(body)


def _reentrant_setup_args(b: Bound, vault: Vault, w: Withdrawal) -> bytes:
    sigs = b.sign(vault, w, VALIDATOR_KEYS[:3])
    return vault.encode("withdraw", *vault.withdraw_args(w, b.w.valset, [0, 1, 2], sigs))


async def _reentrant_vault(b: Bound) -> tuple[Token, Vault]:
    rpc, world = b.rpc, b.w
    c = await deploy(rpc, world.deployer, "ReentrantToken", "Evil", "EVL", 18)
    token = Token(rpc, c.address, c.artifact)
    vault = await Vault.deploy(rpc, world.deployer, token.address, world.valset, world.params18)
    await b.fund(token, vault, 100 * T18)
    return token, vault


def test_reentrant_withdraw_blocked(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = world.bind(rpc)
        token, vault = await _reentrant_vault(b)
        expiry = await b.now() + 3600
        w1, w2 = Withdrawal(1, ALICE, 10 * T18, expiry), Withdrawal(2, ALICE, 20 * T18, expiry)
        # during w1's transfer out of the vault, the token calls withdraw(w2), validly signed
        await token.transact(
            world.user, "arm", vault.address, vault.address, _reentrant_setup_args(b, vault, w2)
        )
        await b.withdraw(vault, w1)
        assert await token.call("hookCalls") == 1
        assert await token.call("lastOk") is False
        assert decode_revert(await token.call("lastResult")).name == "ReentrancyGuardReentrantCall"
        assert not await vault.used(2)
        assert await token.balance_of(ALICE) == 10 * T18
        # w2 was valid all along: outside the reentrant call it goes through
        await b.withdraw(vault, w2)
        assert await token.balance_of(ALICE) == 30 * T18

    world.anvil.run(body)


def test_withdrawal_marked_used_before_transfer(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = world.bind(rpc)
        token, vault = await _reentrant_vault(b)
        w = Withdrawal(1, ALICE, 10 * T18, await b.now() + 3600)
        await token.transact(
            world.user, "arm", vault.address, vault.address, vault.encode("used", 1)
        )
        await b.withdraw(vault, w)
        assert await token.call("lastOk") is True
        # what the vault answered in the middle of its own transfer: already used
        assert await token.call("lastResult") == (1).to_bytes(32)

    world.anvil.run(body)
