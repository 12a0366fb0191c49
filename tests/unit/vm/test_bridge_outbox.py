"""Withdrawals, signatures and the outbox of the bridge (vm/bridge.py): burn and queue
with an exact expiry, signing checked by ecrecover against the EIP-712 digest, renewal,
valsets signed only by the previous valset, vault changes by governance."""

from __future__ import annotations

from primitives import codec, eth
from tests.unit.vm.bridge_helpers import (
    ALICE,
    BOB,
    EK,
    ETH_CHAIN,
    T0_S,
    TTL,
    VAULT,
    Bridge,
    V,
    eth_address,
    make_bridge,
    proof,
)
from vm import bridge, bridge_state, codes, ledger
from vm.ops.bridge import (
    BridgeConfigure,
    BridgeRegisterKey,
    BridgeRenew,
    BridgeSign,
    BridgeVaultChange,
    BridgeWithdraw,
)

E18 = 10**18
RECIPIENT = bytes.fromhex("70997970c51812dc3a010c7d01b50e0d17dc79c8")


def funded(**kw: int) -> Bridge:
    b = make_bridge(**kw)
    b.attest_all(1, 10 * E18 + 5, ALICE.address(), range(3))
    return b


def test_withdraw_burns_and_queues_with_exact_expiry() -> None:
    b = funded()
    asset_before = ledger.get_asset(b.state, "SCCTN")
    assert asset_before is not None
    r = b.ok(ALICE, BridgeWithdraw(RECIPIENT, 3 * 10**8))
    kinds = [e.kind for e in r.events]
    assert kinds == ["asset.burned", "bridge.withdrawal"]
    assert b.balance(ALICE.address()) == 7 * 10**8
    o = bridge_state.get_outbox(b.state, bridge_state.KIND_WITHDRAWAL, 1)
    assert o is not None
    w = bridge_state.Withdrawal.of(o)
    assert (w.owner, w.recipient, w.amount, w.token_amount) == (
        ALICE.address(),
        RECIPIENT,
        3 * 10**8,
        3 * E18,
    )
    assert w.expiry == b.chain.time_ms // 1000 + TTL == T0_S + TTL
    asset = ledger.get_asset(b.state, "SCCTN")
    assert asset is not None
    assert asset.redeemed == asset_before.redeemed + 3 * 10**8
    assert asset.outstanding == 7 * 10**8
    s = b.status()
    assert (s.next_withdrawal, s.withdrawn, s.minted) == (2, 3 * 10**8, 10 * 10**8)
    # the digest is the vault's Withdrawal message
    want = eth.message_digest(ETH_CHAIN, VAULT, eth.Withdrawal(1, RECIPIENT, 3 * E18, w.expiry))
    assert b.digest(bridge_state.KIND_WITHDRAWAL, 1) == want


def test_withdraw_refusals() -> None:
    b = funded()
    b.fails(ALICE, BridgeWithdraw(bytes(20), 1), codes.BRIDGE_BAD_ADDRESS)
    b.fails(ALICE, BridgeWithdraw(RECIPIENT, 0), codes.INVALID_AMOUNT)
    b.fails(ALICE, BridgeWithdraw(RECIPIENT, 11 * 10**8), codes.INSUFFICIENT_BALANCE)
    b.fails(BOB, BridgeWithdraw(RECIPIENT, 1), codes.INSUFFICIENT_BALANCE)


def test_sign_withdrawal_and_read_signatures() -> None:
    b = funded()
    b.ok(ALICE, BridgeWithdraw(RECIPIENT, 10**8))
    digest = b.digest(bridge_state.KIND_WITHDRAWAL, 1)
    for i in range(3):
        r = b.sign(i, bridge_state.KIND_WITHDRAWAL, 1)
        assert r.ok, r.code
        e = r.events[-1]
        assert e.kind == "bridge.signed"
        assert e.fields[:4] == (1, 1, eth.to_checksum(eth_address(i)), i + 1)
        assert e.fields[4] is (i == 2)  # 3 of 4: quorum
    o = bridge_state.get_outbox(b.state, bridge_state.KIND_WITHDRAWAL, 1)
    assert o is not None and o.signers == tuple(sorted(eth_address(i) for i in range(3)))
    for a in o.signers:
        raw = b.state.get(bridge_state.signature_key(1, 1, a))
        assert raw is not None
        assert eth.recover(digest, codec.decode(raw)) == a
    # a repeat by the same key: nothing changes; anyone may carry a signature
    r = b.sign(0, bridge_state.KIND_WITHDRAWAL, 1, sender=BOB)
    assert r.ok and r.events == ()


def test_sign_refusals() -> None:
    b = funded()
    b.ok(ALICE, BridgeWithdraw(RECIPIENT, 10**8))
    digest = b.digest(bridge_state.KIND_WITHDRAWAL, 1)
    # a key outside the valset
    outsider = eth.sign(EK[5], digest)
    b.fails(V[0], BridgeSign(1, 1, outsider), codes.BRIDGE_SIGNER_NOT_ALLOWED)
    # a valset member's signature of another digest (another chain id, another vault)
    other_chain = eth.message_digest(1, VAULT, eth.Withdrawal(1, RECIPIENT, E18, T0_S + TTL))
    b.fails(V[0], BridgeSign(1, 1, eth.sign(EK[0], other_chain)), codes.BRIDGE_SIGNER_NOT_ALLOWED)
    other_vault = eth.message_digest(
        ETH_CHAIN, b"\x01" * 20, eth.Withdrawal(1, RECIPIENT, E18, T0_S + TTL)
    )
    b.fails(V[0], BridgeSign(1, 1, eth.sign(EK[0], other_vault)), codes.BRIDGE_SIGNER_NOT_ALLOWED)
    # malformed and high-s signatures
    good = eth.sign(EK[0], digest)
    s = int.from_bytes(good[32:64], "big")
    high = good[:32] + (eth.SECP256K1_N - s).to_bytes(32, "big") + bytes((good[64] ^ 1,))
    b.fails(V[0], BridgeSign(1, 1, high), codes.BRIDGE_BAD_SIGNATURE)
    b.fails(V[0], BridgeSign(1, 1, good[:64] + b"\x01"), codes.BRIDGE_BAD_SIGNATURE)
    # unknown messages
    b.fails(V[0], BridgeSign(1, 2, good), codes.BRIDGE_UNKNOWN_MESSAGE)
    b.fails(V[0], BridgeSign(3, 1, good), codes.BRIDGE_UNKNOWN_MESSAGE)
    # after the expiry
    b.chain.at(b.chain.height + 1, b.chain.time_ms + (TTL + 1) * 1000)
    b.fails(V[0], BridgeSign(1, 1, good), codes.BRIDGE_EXPIRED)


def test_sign_needs_the_vault_address() -> None:
    b = make_bridge(vault=b"")
    b.attest_all(1, E18, ALICE.address(), range(3))
    b.ok(ALICE, BridgeWithdraw(RECIPIENT, 10**8))
    o = bridge_state.get_outbox(b.state, bridge_state.KIND_WITHDRAWAL, 1)
    assert o is not None and bridge.digest_of(b.state, o) is None
    b.fails(V[0], BridgeSign(1, 1, b"\x01" * 65), codes.BRIDGE_NOT_CONFIGURED)
    b.gov(BridgeConfigure(ETH_CHAIN, VAULT, 18, 8, TTL))
    assert b.sign(0, bridge_state.KIND_WITHDRAWAL, 1).ok


def test_renew_only_after_expiry_and_only_by_owner() -> None:
    b = funded()
    b.ok(ALICE, BridgeWithdraw(RECIPIENT, 10**8))
    b.sign(0, 1, 1)
    b.fails(ALICE, BridgeRenew(1), codes.BRIDGE_NOT_EXPIRED)
    b.chain.at(b.chain.height + 1, b.chain.time_ms + TTL * 1000)  # exactly at the expiry
    b.fails(ALICE, BridgeRenew(1), codes.BRIDGE_NOT_EXPIRED)
    b.chain.at(b.chain.height + 1, b.chain.time_ms + 1000)
    b.fails(BOB, BridgeRenew(1), codes.BRIDGE_NOT_OWNER)
    b.fails(ALICE, BridgeRenew(2), codes.BRIDGE_UNKNOWN_MESSAGE)
    old_digest = b.digest(1, 1)
    r = b.ok(ALICE, BridgeRenew(1))
    now = b.chain.time_ms // 1000
    assert r.events[-1].kind == "bridge.renewed" and r.events[-1].fields == (1, now + TTL)
    o = bridge_state.get_outbox(b.state, 1, 1)
    assert o is not None and o.signers == ()
    assert b.state.get(bridge_state.signature_key(1, 1, eth_address(0))) is None
    w = bridge_state.Withdrawal.of(o)
    assert w.expiry == now + TTL and w.renewals == 1 and w.amount == 10**8
    assert b.digest(1, 1) != old_digest
    assert b.sign(0, 1, 1).ok  # signable again


def _register(b: Bridge, i: int, ek: int) -> None:
    b.ok(V[i], BridgeRegisterKey(eth_address(ek), proof(V[i], EK[ek])))


def test_valset_signed_only_by_the_previous_valset() -> None:
    b = make_bridge()  # valsets 1..4: {k0}, {k0,k1}, {k0,k1,k2}, {k0..k3}
    assert b.status().valset_nonce == 4
    # valset 4 is signed by the members of valset 3: k0, k1, k2, not k3
    assert b.sign(3, bridge_state.KIND_VALSET, 4).code == codes.BRIDGE_SIGNER_NOT_ALLOWED
    for i in range(3):
        r = b.sign(i, bridge_state.KIND_VALSET, 4)
        assert r.ok, r.code
    assert r.events[-1].fields[4] is True  # 3 of 3: quorum of valset 3
    # rotate k3 -> k5: valset 5, which k5 may not sign but k3 (in valset 4) may
    _register(b, 3, 5)
    assert b.status().valset_nonce == 5
    assert (
        b.sign(5, bridge_state.KIND_VALSET, 5, sender=V[3]).code == codes.BRIDGE_SIGNER_NOT_ALLOWED
    )
    assert b.sign(3, bridge_state.KIND_VALSET, 5).ok
    want = eth.message_digest(
        ETH_CHAIN,
        VAULT,
        eth.Valset(5, tuple(sorted(eth_address(i) for i in (0, 1, 2, 5))), (1, 1, 1, 1)),
    )
    assert b.digest(bridge_state.KIND_VALSET, 5) == want


def test_withdrawal_signable_by_its_valset_and_the_latest() -> None:
    b = funded()
    b.ok(ALICE, BridgeWithdraw(RECIPIENT, 10**8))  # created under valset 4 (k0..k3)
    _register(b, 3, 5)  # valset 5: k0, k1, k2, k5
    assert b.sign(3, 1, 1).ok  # k3, member of the valset it was created under
    assert b.sign(5, 1, 1, sender=V[3]).ok  # k5, member of the latest
    assert b.sign(4, 1, 1, sender=V[0]).code == codes.BRIDGE_SIGNER_NOT_ALLOWED


def test_vault_change_by_governance() -> None:
    b = make_bridge()
    op = BridgeVaultChange(
        (10**24).to_bytes(32, "big"),
        (10**25).to_bytes(32, "big"),
        (10**23).to_bytes(32, "big"),
        86_400,
        RECIPIENT,
        True,
    )
    b.fails(V[0], op, codes.NOT_AUTHORIZED)
    ctx = b.gov(op)
    assert ctx.events[-1].kind == "bridge.vault_change" and ctx.events[-1].fields == (1,)
    b.gov(op)
    assert b.status().change_nonce == 2
    want = eth.message_digest(
        ETH_CHAIN, VAULT, eth.VaultChange(2, 10**24, 10**25, 10**23, 86_400, RECIPIENT, True)
    )
    assert b.digest(bridge_state.KIND_CHANGE, 2) == want
    for i in range(3):
        assert b.sign(i, bridge_state.KIND_CHANGE, 2).ok
    b.gov_fails(
        BridgeVaultChange(op.per_tx_cap, op.daily_limit, op.large_amount, 1, bytes(20), False),
        codes.BRIDGE_BAD_ADDRESS,
    )
