"""Validator-set updates, the guardian's pause and the slow path back (a VaultChange
signed by the set, applied after changeDelay), on a real anvil."""

from __future__ import annotations

from collections.abc import Awaitable

import pytest

from primitives.eth import Valset, VaultChange, Withdrawal, message_digest
from scctn_node.bridge.anvil import address_of
from scctn_node.bridge.rpc import EthRpc
from scctn_node.bridge.vault import VaultError, typed_digest
from tests.ethereum.world import (
    DAY,
    OTHER_KEYS,
    T18,
    VALIDATOR_KEYS,
    Bound,
    World,
    key_address,
    make_valset,
)

ALICE = bytes.fromhex("a11ce00000000000000000000000000000000002")


async def expect(name: str, coro: Awaitable[object]) -> None:
    with pytest.raises(VaultError) as e:
        await coro
    assert e.value.name == name, e.value


async def update(
    b: Bound,
    next_set: Valset,
    keys: list[bytes] = VALIDATOR_KEYS,
    signers: tuple[int, ...] = (0, 1, 2),
    current: Valset | None = None,
) -> object:
    sigs = b.sign(b.vault18, next_set, [keys[i] for i in signers])
    return await b.vault18.update_valset(
        b.w.relayer, next_set, current or b.w.valset, signers, sigs
    )


def change(nonce: int, world: World, **kw: object) -> VaultChange:
    fields: dict[str, object] = {
        "nonce": nonce,
        "per_tx_cap": 2_000 * T18,
        "daily_limit": 5_000 * T18,
        "large_amount": 1_000 * T18,
        "large_delay": 7_200,
        "guardian": address_of(world.other),
        "unpause": True,
    }
    fields.update(kw)
    return VaultChange(**fields)  # type: ignore[arg-type]


async def schedule(b: Bound, c: VaultChange, signers: tuple[int, ...] = (0, 1, 2)) -> object:
    sigs = b.sign(b.vault18, c, [VALIDATOR_KEYS[i] for i in signers])
    return await b.vault18.schedule_change(b.w.relayer, c, b.w.valset, signers, sigs)


def test_valset_update_moves_the_checkpoint(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = world.bind(rpc)
        await b.fund(b.token18, b.vault18, 100 * T18)
        assert await b.vault18.valset_checkpoint() == world.valset.struct_hash()
        nxt = make_valset(2, OTHER_KEYS, [3, 2, 2])
        digest = typed_digest(world.chain_id, b.vault18.address, nxt)
        assert digest == await b.vault18.chain_digest(nxt)
        assert digest == message_digest(world.chain_id, b.vault18.address, nxt)
        receipt = await update(b, nxt)
        [event] = b.vault18.events(receipt, "ValsetUpdated")
        assert event.args == {
            "nonce": 2,
            "checkpoint": nxt.struct_hash(),
            "validators": list(nxt.validators),
            "powers": [3, 2, 2],
        }
        assert await b.vault18.valset_nonce() == 2
        assert await b.vault18.valset_checkpoint() == nxt.struct_hash()

        w = Withdrawal(1, ALICE, T18, await b.now() + 3600)
        # the old set is no longer current, and its members' signatures do not count
        await expect("WrongValset", b.withdraw(b.vault18, w))
        await expect("BadSignature", b.withdraw(b.vault18, w, keys=VALIDATOR_KEYS, current=nxt))
        # power 2 + 2 of 7 is no quorum; 3 + 2 is
        await expect(
            "NoQuorum", b.withdraw(b.vault18, w, signers=(1, 2), keys=OTHER_KEYS, current=nxt)
        )
        await b.withdraw(b.vault18, w, signers=(0, 1), keys=OTHER_KEYS, current=nxt)
        assert await b.token18.balance_of(ALICE) == T18
        # and the old set cannot move the set again
        await expect("WrongValset", update(b, make_valset(3, VALIDATOR_KEYS)))

    world.anvil.run(body)


def test_stale_valset_nonce_rejected(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = world.bind(rpc)
        await expect("StaleNonce", update(b, make_valset(1, OTHER_KEYS)))
        await expect("StaleNonce", update(b, make_valset(0, OTHER_KEYS)))
        nxt = make_valset(5, OTHER_KEYS)  # monotonic, not necessarily consecutive
        await update(b, nxt)
        await expect(
            "StaleNonce", update(b, make_valset(4, VALIDATOR_KEYS), keys=OTHER_KEYS, current=nxt)
        )
        await expect("StaleNonce", update(b, nxt, keys=OTHER_KEYS, current=nxt))

    world.anvil.run(body)


def _malformed() -> dict[str, Valset]:
    good = make_valset(2, OTHER_KEYS)
    members, powers = good.validators, good.powers
    return {
        "empty": Valset(2, (), ()),
        "zero-power": Valset(2, members, (1, 0, 1)),
        "all-zero-power": Valset(2, members, (0, 0, 0)),
        "unsorted": Valset(2, (members[1], members[0], members[2]), powers),
        "duplicate": Valset(2, (members[0], members[0], members[2]), powers),
        "zero-address": Valset(2, (bytes(20), *members[1:]), powers),
        "fewer-powers": Valset(2, members, (1, 1)),
        "more-powers": Valset(2, members, (1, 1, 1, 1)),
        "power-overflow": Valset(2, members, (2**255, 2**255, 1)),
        "over-100": Valset(2, tuple(i.to_bytes(20) for i in range(1, 102)), (1,) * 101),
    }


@pytest.mark.parametrize("case", sorted(_malformed()))
def test_malformed_valset_rejected(world: World, case: str) -> None:
    async def body(rpc: EthRpc) -> None:
        b = world.bind(rpc)
        # signed by a full quorum of the current set, and still refused
        await expect("BadValset", update(b, _malformed()[case], signers=(0, 1, 2, 3)))
        assert await b.vault18.valset_nonce() == 1

    world.anvil.run(body)


def test_valset_update_needs_quorum_of_the_current_set(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = world.bind(rpc)
        nxt = make_valset(2, OTHER_KEYS)
        await expect("NoQuorum", update(b, nxt, signers=(0, 1)))
        # the next set cannot sign itself in
        sigs = b.sign(b.vault18, nxt, OTHER_KEYS)
        await expect(
            "BadSignature",
            b.vault18.update_valset(world.relayer, nxt, world.valset, [0, 1, 2], sigs),
        )
        # a quorum over another set's contents does not carry over
        sigs = b.sign(b.vault18, make_valset(2, OTHER_KEYS[:2]), VALIDATOR_KEYS[:3])
        await expect(
            "BadSignature",
            b.vault18.update_valset(world.relayer, nxt, world.valset, [0, 1, 2], sigs),
        )
        assert await b.vault18.valset_nonce() == 1

    world.anvil.run(body)


def test_pause_by_guardian_only(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = world.bind(rpc)
        await b.fund(b.token18, b.vault18, 100 * T18)
        for who in (world.other, world.relayer, world.deployer):
            await expect("NotGuardian", b.vault18.pause(who))
        assert not await b.vault18.paused()
        receipt = await b.vault18.pause(world.guardian)
        [event] = b.vault18.events(receipt)
        assert (event.name, event.args) == ("VaultPaused", {"by": address_of(world.guardian)})
        assert await b.vault18.paused()
        w = Withdrawal(1, ALICE, T18, await b.now() + 3600)
        await expect("Paused", b.withdraw(b.vault18, w))
        # validator sets still move while paused (so a compromised set can be replaced)
        await update(b, make_valset(2, OTHER_KEYS))
        assert await b.vault18.valset_nonce() == 2

    world.anvil.run(body)


def test_unpause_only_through_a_delayed_signed_change(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = world.bind(rpc)
        await b.fund(b.token18, b.vault18, 3_000 * T18)
        await b.vault18.pause(world.guardian)
        c = change(1, world)
        assert typed_digest(world.chain_id, b.vault18.address, c) == await b.vault18.chain_digest(c)
        await expect("NoQuorum", schedule(b, c, signers=(0, 1)))
        await expect("StaleNonce", schedule(b, change(2, world)))
        receipt = await schedule(b, c)
        [event] = b.vault18.events(receipt)
        block = await rpc.get_block(receipt.block_number)
        assert block is not None
        eta = block.timestamp + DAY
        assert (event.name, event.args) == ("ChangeScheduled", {"nonce": 1, "eta": eta})
        assert await b.vault18.change_nonce() == 1

        await rpc.set_next_block_timestamp(eta - 1)
        await expect("TooEarly", b.vault18.apply_change(world.other, c))
        assert await b.vault18.paused()
        await expect(
            "UnknownChange", b.vault18.apply_change(world.other, change(1, world, unpause=False))
        )
        await rpc.set_next_block_timestamp(eta)
        receipt = await b.vault18.apply_change(world.relayer, c)  # anyone may apply
        assert [e.name for e in b.vault18.events(receipt)] == ["Unpaused", "ChangeApplied"]
        assert not await b.vault18.paused()
        assert await b.vault18.guardian() == address_of(world.other)
        limits = await b.vault18.limits()
        assert limits == {
            "perTxCap": 2_000 * T18,
            "dailyLimit": 5_000 * T18,
            "largeAmount": 1_000 * T18,
            "largeDelay": 7_200,
            "changeDelay": DAY,
        }
        await expect("UnknownChange", b.vault18.apply_change(world.relayer, c))  # once
        await expect("StaleNonce", schedule(b, c))
        # the new limits and guardian are in force: 1500 is over the old cap (1000) and
        # over the new large amount (1000), so it is queued for the new delay (7200)
        receipt = await b.withdraw(b.vault18, Withdrawal(1, ALICE, 1_500 * T18, eta + 3600))
        [event] = b.vault18.events(receipt)
        block = await rpc.get_block(receipt.block_number)
        assert block is not None
        assert event.name == "WithdrawalQueued"
        assert await b.vault18.queued(1) == (ALICE, 1_500 * T18, block.timestamp + 7_200)
        await expect("NotGuardian", b.vault18.pause(world.guardian))
        await b.vault18.pause(world.other)

    world.anvil.run(body)


def test_newer_change_replaces_a_pending_one(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = world.bind(rpc)
        first = change(1, world, per_tx_cap=1)
        await schedule(b, first)
        second = change(2, world, unpause=False)
        await schedule(b, second)
        await rpc.increase_time(DAY)
        await expect("UnknownChange", b.vault18.apply_change(world.relayer, first))
        await b.vault18.apply_change(world.relayer, second)
        assert (await b.vault18.limits())["perTxCap"] == 2_000 * T18

    world.anvil.run(body)


def test_change_signed_for_another_vault_rejected(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = world.bind(rpc)
        c = change(1, world)
        sigs = b.sign(b.vault6, c, VALIDATOR_KEYS[:3])
        await expect(
            "BadSignature",
            b.vault18.schedule_change(world.relayer, c, world.valset, [0, 1, 2], sigs),
        )
        assert key_address(VALIDATOR_KEYS[0]) == world.valset.validators[0]

    world.anvil.run(body)
