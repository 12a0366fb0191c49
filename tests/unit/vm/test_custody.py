"""Custody accounts: free deposits by transfer, the custodian's published fee on the way
out (on top of the amount), free moves between its own users, only its key reaches its
users' sub-accounts, and the ledger refuses sub-accounts of keys without the role."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from primitives.errors import DecodeError
from tests.unit.vm.gov_helpers import Chain, diff, holders_total
from tests.unit.vm.helpers import key
from vm import accounts, codes, governance, ledger
from vm.ops.asset import AssetCreate, AssetFreeze, AssetIssue
from vm.ops.custody import CustodyFeeSet, CustodyMove, get_fee
from vm.ops.transfer import Transfer

ISS, CUS, CUS2, ALICE, OUT = key(1), key(2), key(3), key(4), key(5)


def sub(k: object, user: str) -> bytes:
    return accounts.custody_account(k.address(), user)  # type: ignore[attr-defined]


U1, U2 = sub(CUS, "u1"), sub(CUS, "u2")


def chain(rules: int = ledger.DEFAULT_RULES) -> Chain:
    c = Chain((ISS, ("issuer",)), (CUS, ("custodian",)), (CUS2, ("custodian",)))
    c.ok(ISS, AssetCreate("PTS", "Points", 0, 10**9, rules=rules))
    c.ok(ISS, AssetIssue("PTS", ALICE.address(), 10_000))
    return c


def conserved(c: Chain) -> None:
    assert holders_total(c.state, "PTS") == c.asset().outstanding


def test_deposit_into_custody_is_a_free_transfer() -> None:
    c = chain()
    c.ok(CUS, CustodyFeeSet("PTS", 100, 5))
    r = c.ok(ALICE, Transfer("PTS", U1, 1_000))
    assert [e.kind for e in r.events] == ["transfer"]
    assert c.balance(U1) == 1_000 and c.balance(ALICE.address()) == 9_000
    assert c.balance(CUS.address()) == 0
    conserved(c)


def test_sub_account_of_a_key_without_the_custodian_role_is_refused() -> None:
    c = chain()
    fake = sub(OUT, "u1")
    assert c.run(ALICE, Transfer("PTS", fake, 1)).code == codes.NOT_CUSTODIAN
    assert c.run(ISS, AssetIssue("PTS", fake, 1)).code == codes.NOT_CUSTODIAN
    # a member without the custodian role is no different
    member = sub(ISS, "u1")
    assert c.run(ALICE, Transfer("PTS", member, 1)).code == codes.NOT_CUSTODIAN
    assert c.balance(fake) == 0 and c.balance(member) == 0


def test_publish_fee_needs_the_role_and_a_point_type() -> None:
    c = chain()
    assert c.run(OUT, CustodyFeeSet("PTS", 10, 0)).code == codes.NOT_AUTHORIZED
    assert c.run(ISS, CustodyFeeSet("PTS", 10, 0)).code == codes.NOT_AUTHORIZED
    assert c.run(CUS, CustodyFeeSet("NOPE", 10, 0)).code == codes.UNKNOWN_ASSET
    r = c.ok(CUS, CustodyFeeSet("PTS", 250, 7))
    assert r.events[0].kind == "custody.fee_set"
    fee = get_fee(c.state, CUS.address(), "PTS")
    assert (fee.fee_bps, fee.min_fee) == (250, 7)
    c.ok(CUS, CustodyFeeSet("PTS", 0, 0))  # no fee again: the key is gone
    assert get_fee(c.state, CUS.address(), "PTS").on(10**6) == 0
    assert c.state.get(b"C" + CUS.address() + b"PTS") is None


def test_fee_bps_above_10000_does_not_decode() -> None:
    wire = CustodyFeeSet("PTS", 10_000, 0).to_wire()
    assert CustodyFeeSet.from_args(wire[1:]).fee_bps == 10_000
    wire[2] = 10_001
    with pytest.raises(DecodeError):
        CustodyFeeSet.from_args(wire[1:])


@pytest.mark.parametrize(
    ("bps", "min_fee", "amount", "fee"),
    [
        (100, 5, 1_000, 10),  # 1 % of 1000
        (100, 5, 300, 5),  # 1 % is 3, the minimum is 5
        (0, 5, 300, 5),  # a flat fee
        (100, 0, 99, 0),  # rounds down to nothing
        (10_000, 0, 400, 400),  # 100 %: as much again
        (0, 0, 500, 0),  # nothing published
    ],
)
def test_move_out_to_a_raw_account_pays_the_fee_on_top(
    bps: int, min_fee: int, amount: int, fee: int
) -> None:
    c = chain()
    c.ok(ALICE, Transfer("PTS", U1, 2_000))
    if bps or min_fee:
        c.ok(CUS, CustodyFeeSet("PTS", bps, min_fee))
    r = c.ok(CUS, CustodyMove("PTS", "u1", OUT.address(), amount))
    assert c.balance(OUT.address()) == amount
    assert c.balance(CUS.address()) == fee
    assert c.balance(U1) == 2_000 - amount - fee
    kinds = [e.kind for e in r.events]
    assert kinds == (["transfer", "custody.fee_paid"] if fee else ["transfer"])
    if fee:
        assert r.events[1].fields == ("PTS", U1, CUS.address(), fee)
    conserved(c)


def test_move_to_another_custodians_user_pays_the_fee() -> None:
    c = chain()
    c.ok(ALICE, Transfer("PTS", U1, 2_000))
    c.ok(CUS, CustodyFeeSet("PTS", 500, 0))  # 5 %
    other = sub(CUS2, "u1")
    c.ok(CUS, CustodyMove("PTS", "u1", other, 1_000))
    assert c.balance(other) == 1_000 and c.balance(CUS.address()) == 50
    assert c.balance(U1) == 950
    # and CUS2's own fee is what CUS2's users pay, not CUS's
    c.ok(CUS2, CustodyFeeSet("PTS", 0, 1))
    c.ok(CUS2, CustodyMove("PTS", "u1", ALICE.address(), 100))
    assert c.balance(CUS2.address()) == 1 and c.balance(other) == 899
    conserved(c)


def test_moves_between_own_users_are_free() -> None:
    c = chain()
    c.ok(ALICE, Transfer("PTS", U1, 1_000))
    c.ok(CUS, CustodyFeeSet("PTS", 1_000, 50))
    r = c.ok(CUS, CustodyMove("PTS", "u1", U2, 400))
    assert [e.kind for e in r.events] == ["transfer"]
    assert (c.balance(U1), c.balance(U2), c.balance(CUS.address())) == (600, 400, 0)
    assert c.run(CUS, CustodyMove("PTS", "u1", U1, 1)).code == codes.SELF_TRANSFER


def test_fee_that_the_sub_account_cannot_cover_moves_nothing() -> None:
    c = chain()
    c.ok(ALICE, Transfer("PTS", U1, 1_000))
    c.ok(CUS, CustodyFeeSet("PTS", 100, 5))
    before = c.snapshot()
    r = c.run(CUS, CustodyMove("PTS", "u1", OUT.address(), 1_000))  # needs 1010
    assert r.code == codes.INSUFFICIENT_BALANCE and r.events == ()
    changed = diff(before, c.snapshot())
    assert changed == {ledger.nonce_key(CUS.address())}
    c.ok(CUS, CustodyMove("PTS", "u1", OUT.address(), 991))  # 991 + 9 (rounded down)
    assert c.balance(U1) == 0 and c.balance(OUT.address()) == 991


def test_no_other_key_can_move_a_custodians_users_funds() -> None:
    c = chain()
    c.ok(ALICE, Transfer("PTS", U1, 1_000))
    # the source is always sender + user id: another key only reaches its own (empty) ones
    for k in (OUT, CUS2, ISS, ALICE):
        r = c.run(k, CustodyMove("PTS", "u1", k.address(), 1))
        assert r.code == codes.INSUFFICIENT_BALANCE
    # an ordinary transfer spends the sender's raw account, never a sub-account
    assert c.run(CUS, Transfer("PTS", OUT.address(), 1)).code == codes.INSUFFICIENT_BALANCE
    assert c.balance(U1) == 1_000


def test_bad_user_id_is_invalid_account() -> None:
    c = chain()
    r = c.run(CUS, CustodyMove("PTS", "no spaces", OUT.address(), 1))
    assert r.code == codes.INVALID_ACCOUNT


def test_revoked_custodian_winds_down_but_takes_no_new_deposits() -> None:
    c = chain()
    c.ok(ALICE, Transfer("PTS", U1, 1_000))
    c.ok(CUS, CustodyFeeSet("PTS", 0, 3))
    governance.set_roles(c.state, CUS.address(), 0)
    assert c.run(ALICE, Transfer("PTS", U1, 1)).code == codes.NOT_CUSTODIAN
    assert c.run(CUS, CustodyMove("PTS", "u1", U2, 1)).code == codes.NOT_CUSTODIAN
    c.ok(CUS, CustodyMove("PTS", "u1", ALICE.address(), 500))  # returned, fee 3
    assert c.balance(U1) == 497 and c.balance(CUS.address()) == 3


def test_frozen_user_cannot_be_moved_and_frozen_recipient_refused() -> None:
    rules = ledger.DEFAULT_RULES | ledger.FREEZABLE
    c = chain(rules)
    c.ok(ALICE, Transfer("PTS", U1, 1_000))
    c.ok(ISS, AssetFreeze("PTS", U1, True, "aml"))
    assert c.run(CUS, CustodyMove("PTS", "u1", OUT.address(), 1)).code == codes.FROZEN
    c.ok(ISS, AssetFreeze("PTS", U1, False, "aml"))
    c.ok(ISS, AssetFreeze("PTS", U2, True, "aml"))
    assert c.run(CUS, CustodyMove("PTS", "u1", U2, 1)).code == codes.FROZEN
    c.ok(CUS, CustodyMove("PTS", "u1", OUT.address(), 1))


def test_non_transferable_points_leave_custody_only_to_the_issuer() -> None:
    c = chain(rules=0)
    c.ok(ISS, AssetIssue("PTS", U1, 100))
    r = c.run(CUS, CustodyMove("PTS", "u1", OUT.address(), 10))
    assert r.code == codes.NOT_TRANSFERABLE
    c.ok(CUS, CustodyMove("PTS", "u1", ISS.address(), 10))
    assert c.balance(ISS.address()) == 10


def test_user_balances_are_ordinary_holdings() -> None:
    c = chain()
    c.ok(ALICE, Transfer("PTS", U1, 123))
    text = accounts.format_account(U1)
    assert text.endswith("/u1") and accounts.parse_account(text) == U1
    assert c.state.get(ledger.balance_key(U1, "PTS")) is not None
    assert ledger.balance_prefix(U1) != ledger.balance_prefix(CUS.address())
    assert ledger.get_balance(c.state, accounts.parse_account(text), "PTS") == 123


def test_json_and_wire_round_trip() -> None:
    from vm.ops.catalog import decode_operation, operation_from_json

    op = CustodyMove("PTS", "u1", sub(CUS2, "x"), 5)
    assert decode_operation(op.to_wire()) == op
    j = op.to_json()
    assert j["op"] == "custody.move" and j["to"].endswith("/x")
    assert operation_from_json(j, accounts.parse_account) == op


USERS = ("u1", "u2")
TARGETS = [ALICE.address(), OUT.address(), U1, U2, sub(CUS2, "u1")]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(USERS), st.integers(0, 4), st.integers(1, 700)),
        max_size=12,
    ),
    st.integers(0, 10_000),
    st.integers(0, 50),
)
def test_custody_moves_conserve_supply(
    moves: list[tuple[str, int, int]], bps: int, min_fee: int
) -> None:
    c = chain()
    c.ok(ALICE, Transfer("PTS", U1, 1_000))
    c.ok(ALICE, Transfer("PTS", U2, 500))
    c.ok(CUS, CustodyFeeSet("PTS", bps, min_fee))
    for user, target, amount in moves:
        src = sub(CUS, user)
        to = TARGETS[target]
        before_src, before_fee = c.balance(src), c.balance(CUS.address())
        r = c.run(CUS, CustodyMove("PTS", user, to, amount))
        if to == src:
            assert r.code == codes.SELF_TRANSFER
            continue
        fee = 0 if to in (U1, U2) else max(min_fee, amount * bps // 10_000) if bps or min_fee else 0
        if before_src >= amount + fee:
            assert r.ok, r.code
            assert c.balance(src) == before_src - amount - fee
            assert c.balance(CUS.address()) == before_fee + fee
        else:
            assert r.code == codes.INSUFFICIENT_BALANCE
            assert c.balance(src) == before_src
        conserved(c)
