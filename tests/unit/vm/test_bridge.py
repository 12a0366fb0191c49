"""The bridge in the VM (vm/bridge.py, vm/ops/bridge.py): keys and valsets, attested
deposits minted exactly once and in order, halts on disagreement, governance, the units."""

from __future__ import annotations

import random

import pytest

from primitives import codec, eth
from primitives.errors import DecodeError
from primitives.keys import parse_address
from scctn_node.storage.kv import MemoryStore, WriteBatch
from scctn_node.storage.smt import StateTree
from tests.unit.vm.bridge_helpers import (
    ALICE,
    BOB,
    CHAIN,
    EK,
    ETH_CHAIN,
    TTL,
    VAULT,
    Bridge,
    V,
    deposit_op,
    eth_address,
    make_bridge,
    proof,
)
from vm import bridge_state, codes, ledger, validators
from vm.errors import InvalidTransaction
from vm.ops.bridge import (
    BridgeConfigure,
    BridgePause,
    BridgeRegisterKey,
    BridgeRelease,
    BridgeRenew,
    BridgeResume,
    BridgeSign,
    BridgeVaultChange,
    BridgeWithdraw,
)
from vm.ops.catalog import decode_operation, operation_from_json
from vm.ops.governance import GovPropose, GovVote, ValidatorSet
from vm.ops.registry import Operation

E18 = 10**18
SCALE = 10**10  # 18 token decimals, 8 wrapped


# --- keys and valsets ---------------------------------------------------------------


def test_register_key_records_valsets() -> None:
    b = make_bridge(keys=0)
    r = b.ok(V[0], BridgeRegisterKey(eth_address(0), proof(V[0], EK[0])))
    assert [e.kind for e in r.events] == ["bridge.key_registered", "bridge.valset"]
    assert bridge_state.bound_address(b.state, V[0].public.raw) == eth_address(0)
    one = bridge_state.get_valset(b.state, 1)
    assert one is not None and one.addresses == (eth_address(0),) and one.powers == (1,)
    assert (
        bridge_state.get_outbox(b.state, bridge_state.KIND_VALSET, 1) is None
    )  # the vault's first set
    b.ok(V[1], BridgeRegisterKey(eth_address(1), proof(V[1], EK[1])))
    two = bridge_state.get_valset(b.state, 2)
    assert two is not None and two.addresses == tuple(sorted([eth_address(0), eth_address(1)]))
    assert bridge_state.get_outbox(b.state, bridge_state.KIND_VALSET, 2) is not None
    assert b.status().valset_nonce == 2


def test_register_key_refusals() -> None:
    b = make_bridge(keys=1)
    # not a validator
    b.fails(ALICE, BridgeRegisterKey(eth_address(4), proof(ALICE, EK[4])), codes.NOT_VALIDATOR)
    # a proof by another key, for another validator, for another chain
    b.fails(V[1], BridgeRegisterKey(eth_address(1), proof(V[1], EK[2])), codes.BRIDGE_BAD_PROOF)
    b.fails(V[1], BridgeRegisterKey(eth_address(1), proof(V[2], EK[1])), codes.BRIDGE_BAD_PROOF)
    bad_chain = proof(V[1], EK[1], chain="other-chain")
    b.fails(V[1], BridgeRegisterKey(eth_address(1), bad_chain), codes.BRIDGE_BAD_PROOF)
    malformed = proof(V[1], EK[1])[:64] + b"\x05"
    b.fails(V[1], BridgeRegisterKey(eth_address(1), malformed), codes.BRIDGE_BAD_PROOF)
    # a key another validator holds
    b.fails(V[1], BridgeRegisterKey(eth_address(0), proof(V[1], EK[0])), codes.BRIDGE_KEY_IN_USE)
    assert b.status().valset_nonce == 1


def test_rotation_records_a_new_valset() -> None:
    b = make_bridge()
    before = b.status().valset_nonce
    r = b.ok(V[2], BridgeRegisterKey(eth_address(5), proof(V[2], EK[5])))
    assert r.events[-1].kind == "bridge.valset"
    latest = bridge_state.get_valset(b.state, before + 1)
    assert latest is not None and eth_address(5) in latest.addresses
    assert eth_address(2) not in latest.addresses
    # registering the same key again changes nothing
    r = b.ok(V[2], BridgeRegisterKey(eth_address(5), proof(V[2], EK[5])))
    assert b.status().valset_nonce == before + 1


def test_validator_set_change_records_a_valset() -> None:
    b = make_bridge()
    before = b.status().valset_nonce
    ctx = b.gov(ValidatorSet("remove", "v3", V[3].public.raw))
    assert b.status().valset_nonce == before + 1
    latest = bridge_state.get_valset(b.state, before + 1)
    assert latest is not None and eth_address(3) not in latest.addresses
    assert len(latest.addresses) == 3
    assert [e.kind for e in ctx.events] == ["validator.changed", "bridge.valset"]


# --- deposits -------------------------------------------------------------------------


def test_quorum_mints_once() -> None:
    b = make_bridge()
    to = ALICE.address()
    b.attest_all(1, 5 * E18, to, [0, 1])
    assert b.balance(to) == 0 and b.status().next_nonce == 1
    r = b.ok(V[2], deposit_op(1, 5 * E18, to))  # the third of four: quorum
    assert "bridge.minted" in [e.kind for e in r.events]
    assert b.balance(to) == 5 * 10**8
    # the fourth and repeats change nothing
    snap = b.chain.snapshot()
    r = b.ok(V[3], deposit_op(1, 5 * E18, to))
    r2 = b.ok(V[0], deposit_op(1, 5 * E18, to))
    assert r.events == () and r2.events == ()
    assert b.chain.snapshot() == {**snap, **_nonces(b, snap)}
    assert b.balance(to) == 5 * 10**8
    minted = bridge_state.get_minted(b.state, 1)
    assert minted is not None and minted.amount == 5 * 10**8
    assert minted.attesters == tuple(sorted(v.public.raw for v in V[:3]))
    asset = ledger.get_asset(b.state, "SCCTN")
    assert asset is not None and asset.issued == 5 * 10**8 and asset.issuer == bridge_state.MODULE


def _nonces(b: Bridge, snap: dict[bytes, bytes | None]) -> dict[bytes, bytes | None]:
    """The account nonces that moved since `snap` (the only writes of a no-op tx)."""
    now = b.chain.snapshot()
    return {k: v for k, v in now.items() if k[:1] == ledger.NONCE and snap.get(k) != v}


def test_repeat_attestation_is_a_no_op() -> None:
    b = make_bridge()
    b.ok(V[0], deposit_op(1, E18, ALICE.address()))
    r = b.ok(V[0], deposit_op(1, E18, ALICE.address()))
    assert r.events == ()
    assert b.status().halt_reason == ""


def test_out_of_order_nonces_wait_then_mint_in_order() -> None:
    b = make_bridge()
    to = ALICE.address()
    b.attest_all(3, 3 * E18, to, range(3))
    b.attest_all(2, 2 * E18, to, range(3))
    assert b.balance(to) == 0 and b.status().next_nonce == 1
    b.attest_all(1, 1 * E18, to, range(2))
    r = b.ok(V[2], deposit_op(1, 1 * E18, to))
    minted = [e.fields[0] for e in r.events if e.kind == "bridge.minted"]
    assert minted == [1, 2, 3]
    assert b.balance(to) == 6 * 10**8 and b.status().next_nonce == 4


def test_window_limit() -> None:
    b = make_bridge()
    to = ALICE.address()
    b.ok(V[0], deposit_op(bridge_state.WINDOW, E18, to))  # 1 + 255: inside
    b.fails(V[0], deposit_op(bridge_state.WINDOW + 1, E18, to), codes.BRIDGE_NONCE_WINDOW)
    b.attest_all(1, E18, to, range(3))
    b.ok(V[0], deposit_op(bridge_state.WINDOW + 1, E18, to))  # the window moved


def test_attest_refusals() -> None:
    b = make_bridge()
    b.fails(ALICE, deposit_op(1, E18, ALICE.address()), codes.NOT_VALIDATOR)
    b.fails(V[0], deposit_op(1, 0, ALICE.address()), codes.INVALID_AMOUNT)
    unconfigured = make_bridge()
    unconfigured.state.delete(bridge_state.CONFIG_KEY)
    unconfigured.fails(V[0], deposit_op(1, E18, ALICE.address()), codes.BRIDGE_NOT_CONFIGURED)


def test_forged_attestation_halts_without_minting() -> None:
    b = make_bridge()
    to = ALICE.address()
    b.ok(V[3], deposit_op(1, 1_000 * E18, BOB.address()))  # the forger first
    r = b.ok(V[0], deposit_op(1, E18, to))
    assert "bridge.halted" in [e.kind for e in r.events]
    b.attest_all(1, E18, to, [1, 2])  # an honest quorum now exists: still halted
    s = b.status()
    assert s.halt_reason == "conflicting_attestations" and s.halt_nonce == 1
    assert set(s.halt_validators) == {v.public.raw for v in (V[0], V[3])}
    assert b.balance(to) == 0 and b.balance(BOB.address()) == 0 and s.next_nonce == 1
    # governance resumes: the nonce is attested afresh by the honest three
    b.gov(BridgeResume())
    assert b.status().halt_reason == ""
    b.attest_all(1, E18, to, range(3))
    assert b.balance(to) == 10**8 and b.balance(BOB.address()) == 0
    assert b.status().next_nonce == 2


def test_disagreements_while_halted_are_kept_and_cleared_by_resume() -> None:
    b = make_bridge()
    to = ALICE.address()
    b.attest_all(1, E18, to, range(3))  # minted
    b.ok(V[3], deposit_op(1, 2 * E18, to))  # late conflict: halted at 1
    b.ok(V[3], deposit_op(3, 5 * E18, BOB.address()))  # the forger again, ahead
    r = b.ok(V[0], deposit_op(3, 3 * E18, to))
    assert [e.kind for e in r.events] == ["bridge.attested", "bridge.conflict"]
    s = b.status()
    assert (s.halt_reason, s.halt_nonce, s.more_halts) == ("late_conflict", 1, (3,))
    b.attest_all(2, E18, to, range(3))
    b.gov(BridgeResume())  # mints 2; nonce 3's attestations were dropped
    s = b.status()
    assert (s.halt_reason, s.more_halts, s.next_nonce) == ("", (), 3)
    assert bridge_state.attested(b.state, 3, V[3].public.raw) is None
    b.attest_all(3, 3 * E18, to, range(3))
    assert b.balance(to) == 5 * 10**8 and b.balance(BOB.address()) == 0


def test_conflict_reached_in_order_halts() -> None:
    """A conflict recorded for a later nonce while halted (and not cleared) halts the
    bridge again when minting reaches that nonce."""
    b = make_bridge()
    to = ALICE.address()
    b.ok(V[0], deposit_op(1, E18, to))
    b.ok(V[1], deposit_op(1, 2 * E18, to))  # halted at 1
    b.gov(BridgeResume())
    b.state.put(bridge_state.attestation_key(2, V[0].public.raw), codec.encode(b"\x01" * 32))
    b.state.put(bridge_state.attestation_key(2, V[1].public.raw), codec.encode(b"\x02" * 32))
    b.attest_all(1, E18, to, range(3))
    s = b.status()
    assert (s.halt_reason, s.halt_nonce, s.next_nonce) == ("conflicting_attestations", 2, 2)


def test_validator_changing_its_attestation_halts() -> None:
    b = make_bridge()
    b.ok(V[0], deposit_op(1, E18, ALICE.address()))
    b.ok(V[0], deposit_op(1, 2 * E18, ALICE.address()))
    assert b.status().halt_reason == "changed_attestation"


def test_late_conflicting_attestation_halts_and_never_mints_twice() -> None:
    b = make_bridge()
    to = ALICE.address()
    b.attest_all(1, E18, to, range(3))
    assert b.balance(to) == 10**8
    r = b.ok(V[3], deposit_op(1, 9 * E18, BOB.address()))
    assert [e.kind for e in r.events] == ["bridge.attested", "bridge.halted"]
    s = b.status()
    assert (s.halt_reason, s.halt_nonce, s.halt_validators) == (
        "late_conflict",
        1,
        (V[3].public.raw,),
    )
    assert b.ok(V[3], deposit_op(1, 9 * E18, BOB.address())).events == ()  # a repeat
    # while halted nothing is minted, even with a quorum for the next nonce
    b.attest_all(2, E18, to, range(3))
    assert b.balance(to) == 10**8 and b.balance(BOB.address()) == 0
    b.gov(BridgeResume())  # nonce 1 stays minted once; nonce 2's quorum mints now
    assert b.balance(to) == 2 * 10**8 and b.status().next_nonce == 3
    assert b.balance(BOB.address()) == 0
    assert bridge_state.attested(b.state, 1, V[3].public.raw) is None  # the conflict was dropped
    assert bridge_state.get_minted(b.state, 1).amount == 10**8  # type: ignore[union-attr]


def test_pause_stops_minting_and_withdrawals_until_resumed() -> None:
    b = make_bridge()
    to = ALICE.address()
    b.gov(BridgePause())
    b.attest_all(1, E18, to, range(3))
    assert b.balance(to) == 0
    b.gov(BridgeResume())  # mints what has a quorum
    assert b.balance(to) == 10**8
    b.gov(BridgePause())
    b.fails(ALICE, BridgeWithdraw(b"\x11" * 20, 1), codes.BRIDGE_PAUSED)
    b.gov(BridgeResume())
    b.gov_fails(BridgeResume(), codes.BRIDGE_NOT_PAUSED)


def test_governance_only() -> None:
    b = make_bridge()
    for op in (BridgePause(), BridgeResume(), BridgeConfigure(ETH_CHAIN, VAULT, 18, 8, TTL)):
        b.fails(V[0], op, codes.NOT_AUTHORIZED)


def test_configure_rules() -> None:
    b = make_bridge(vault=b"")
    assert bridge_state.get_config(b.state).vault == b""  # type: ignore[union-attr]
    b.gov(BridgeConfigure(ETH_CHAIN, VAULT, 18, 6, 600))  # set the vault, change decimals
    config = bridge_state.get_config(b.state)
    assert config is not None and config.scale == 10**12 and config.withdraw_ttl == 600
    assert ledger.get_asset(b.state, "SCCTN").decimals == 6  # type: ignore[union-attr]
    b.gov_fails(BridgeConfigure(ETH_CHAIN, b"\x01" * 20, 18, 6, 600), codes.BRIDGE_CONFIG_LOCKED)
    b.gov_fails(BridgeConfigure(1, VAULT, 18, 6, 600), codes.BRIDGE_CONFIG_LOCKED)
    b.gov_fails(BridgeConfigure(ETH_CHAIN, VAULT, 6, 8, 600), codes.BRIDGE_BAD_CONFIG)
    b.gov_fails(BridgeConfigure(ETH_CHAIN, VAULT, 18, 6, 10), codes.BRIDGE_BAD_CONFIG)
    b.attest_all(1, E18, ALICE.address(), range(3))
    b.gov_fails(BridgeConfigure(ETH_CHAIN, VAULT, 18, 8, 600), codes.BRIDGE_CONFIG_LOCKED)
    b.gov(BridgeConfigure(ETH_CHAIN, VAULT, 18, 6, 1200))  # the ttl may change


# --- units ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token_decimals", "wrapped", "amount", "minted"),
    [
        (18, 8, 10**10 - 1, 0),  # dust only (the vault refuses it; the VM mints 0)
        (18, 8, 10**10, 1),
        (18, 8, 3 * 10**10 + 7, 3),
        (6, 6, 123_456, 123_456),  # scale 1
        (8, 2, 10**6 + 999_999, 1),
        (36, 0, 2 * 10**36 - 1, 1),
    ],
)
def test_scale_and_dust(token_decimals: int, wrapped: int, amount: int, minted: int) -> None:
    b = make_bridge(token_decimals=token_decimals, wrapped_decimals=wrapped)
    b.attest_all(1, amount, ALICE.address(), range(3))
    s = b.status()
    assert b.balance(ALICE.address()) == minted
    assert (s.minted, s.deposited, s.next_nonce) == (minted, amount, 2)
    scale = 10 ** (token_decimals - wrapped)
    assert s.deposited >= s.minted * scale  # locked >= minted, the dust stays locked
    assert s.deposited - s.minted * scale == amount % scale


def test_too_large_deposit_is_recorded_without_minting() -> None:
    b = make_bridge(token_decimals=18, wrapped_decimals=18)
    b.attest_all(1, 2**64 - 2, ALICE.address(), range(3))  # fits the u64 point type
    r = b.run(V[0], deposit_op(2, 2, ALICE.address()))
    b.attest_all(2, 2, ALICE.address(), [1, 2])  # 2**64 - 2 + 2 would overflow the type
    b.attest_all(3, 2**70, ALICE.address(), range(3))  # more than a u64 at once
    s = b.status()
    assert r.ok and s.halt_reason == "" and s.next_nonce == 4
    assert b.balance(ALICE.address()) == 2**64 - 2 == s.minted
    for nonce in (2, 3):
        minted = bridge_state.get_minted(b.state, nonce)
        assert minted is not None and (minted.amount, minted.credited) == (0, b"")
    assert s.deposited == 2**64 - 2 + 2 + 2**70  # locked: counted, never minted
    b.attest_all(4, 5, BOB.address(), range(3))  # the bridge goes on
    assert b.balance(BOB.address()) == 0  # (the type is full)


def test_recipient_that_cannot_receive_goes_to_suspense() -> None:
    b = make_bridge()
    custody = ALICE.address() + b"user-1"  # ALICE is no custodian
    b.attest_all(1, E18, custody, range(3))
    assert b.balance(custody) == 0 and b.balance(bridge_state.SUSPENSE) == 10**8
    minted = bridge_state.get_minted(b.state, 1)
    assert minted is not None and minted.credited == bridge_state.SUSPENSE
    assert b.status().suspended == 10**8 and b.status().next_nonce == 2
    # governance pays it out to an account that can receive
    b.fails(V[0], BridgeRelease(ALICE.address(), 10**8), codes.NOT_AUTHORIZED)
    b.gov_fails(BridgeRelease(ALICE.address(), 10**8 + 1), codes.INSUFFICIENT_BALANCE)
    ctx = b.gov(BridgeRelease(ALICE.address(), 10**8))
    assert ctx.events[-1].kind == "bridge.released"
    assert b.balance(ALICE.address()) == 10**8 and b.balance(bridge_state.SUSPENSE) == 0
    assert b.status().suspended == 0 and b.status().minted == 10**8


# --- determinism -----------------------------------------------------------------------


def _scenario() -> tuple[list[tuple[bytes, bytes | None]], list[bytes]]:
    b = make_bridge()
    receipts = []
    for n in (2, 1, 3):
        for i in range(4):
            receipts.append(b.run(V[i], deposit_op(n, n * E18 + 5, ALICE.address())).encode())
    receipts.append(b.run(ALICE, BridgeWithdraw(b"\x22" * 20, 10**8)).encode())
    receipts.append(b.sign(0, bridge_state.KIND_WITHDRAWAL, 1).encode())
    receipts.append(b.run(V[3], deposit_op(2, 1, BOB.address())).encode())  # a late conflict
    return b.state.changes(), receipts


def _root(changes: list[tuple[bytes, bytes | None]]) -> bytes:
    return StateTree(MemoryStore()).apply(dict(changes), WriteBatch())


def test_same_blocks_same_state_bytes() -> None:
    one, two = _scenario(), _scenario()
    assert one == two
    assert _root(one[0]) == _root(two[0]) != _root([])
    assert codec.encode([[k, v] for k, v in one[0]]) == codec.encode([[k, v] for k, v in two[0]])


def test_validators_module_hook_records_on_vote() -> None:
    b = make_bridge()
    before = b.status().valset_nonce
    for i in range(3):
        validators.vote(b.state, V[i].address(), "remove", "v0", V[0].public.raw)
    assert b.status().valset_nonce == before + 1
    assert bridge_state.get_valset(b.state, before + 1).addresses == tuple(  # type: ignore[union-attr]
        sorted(eth_address(i) for i in (1, 2, 3))
    )


def test_key_binding_digest_names_the_chain() -> None:
    d = eth.key_binding_digest(CHAIN, V[0].public.raw, eth_address(0))
    assert eth.recover(d, proof(V[0], EK[0])) == eth_address(0)


def test_configure_through_a_governance_proposal() -> None:
    b = make_bridge(vault=b"")
    op = BridgeConfigure(ETH_CHAIN, VAULT, 18, 8, 7_200)
    b.ok(V[0], GovPropose(op, "set the vault", 100))
    for voter in (V[1], V[2], V[3]):
        b.ok(voter, GovVote(1, True))
    assert bridge_state.get_config(b.state).vault == b""  # type: ignore[union-attr]
    r = b.ok(ALICE, GovVote(1, True))  # 5 of 6 members: passed, the action runs
    assert "bridge.configured" in [e.kind for e in r.events]
    config = bridge_state.get_config(b.state)
    assert config is not None and config.vault == VAULT and config.withdraw_ttl == 7_200


def _ops() -> list[Operation]:
    return [
        BridgeRegisterKey(eth_address(0), proof(V[0], EK[0])),
        deposit_op(3, 10**30, ALICE.address() + b"user-1"),
        BridgeWithdraw(eth_address(1), 5),
        BridgeSign(2, 9, b"\x01" * 65),
        BridgeRenew(4),
        BridgeConfigure(ETH_CHAIN, b"", 18, 8, TTL),
        BridgePause(),
        BridgeResume(),
        BridgeVaultChange(b"\x00" * 31 + b"\x05", b"\x01" * 32, bytes(32), 9, VAULT, True),
        BridgeRelease(BOB.address(), 7),
    ]


def test_ops_round_trip_wire_and_json() -> None:
    for op in _ops():
        assert decode_operation(op.to_wire()) == op
        assert operation_from_json(op.to_json(), parse_address) == op


def test_ops_decode_strictly() -> None:
    rng = random.Random(3)
    junk: list[object] = [None, -1, 2**64, "x", b"", b"\x00" * 33, [], True]
    for op in _ops():
        wire = op.to_wire()
        for i in range(1, len(wire)):
            for value in junk:
                bad = list(wire)
                bad[i] = value
                try:
                    decode_operation(bad)
                except (DecodeError, InvalidTransaction):
                    continue
                assert decode_operation(bad).to_wire() == bad  # accepted: a valid value
        with pytest.raises(DecodeError):
            decode_operation([*wire, 0])
        for _ in range(20):
            raw = rng.randbytes(rng.randint(0, 40))
            with pytest.raises((DecodeError, InvalidTransaction)):
                decode_operation([int(op.CODE), raw])
