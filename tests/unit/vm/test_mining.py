"""Mining: a fixed amount per epoch shared among the live cards of a class, folded
lazily into an accumulator and claimed by the holders; epoch and end boundaries, every
refusal with its code, cap and quota, pruning of finished schedules, and a model check."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from primitives.keys import PrivateKey, parse_address
from tests.unit.vm.helpers import block, founded, key, signed
from vm import accounts, codes, governance, ledger
from vm.executor import execute_transaction
from vm.ops.asset import AssetCreate
from vm.ops.card import CardIssue, CardRevoke, CardTransfer, get_card, get_class
from vm.ops.catalog import decode_operation, operation_from_json
from vm.ops.mining import (
    MAX_SCHEDULES,
    SCALE,
    MiningClaim,
    MiningCreate,
    get_schedule,
    pending,
)
from vm.ops.registry import Operation
from vm.receipt import Receipt

ALICE, BOB, CAROL, DAVE = key(1), key(2), key(3), key(4)
A, B, C, D = ALICE.address(), BOB.address(), CAROL.address(), DAVE.address()
# s1: 100 PTS per epoch of 10 blocks; epochs [10,20) [20,30) [30,40) [40,50)
S1 = MiningCreate("s1", "PTS", "miner", 100, 10, 10, 50)


class Chain:
    def __init__(self, cap: int = 10**9) -> None:
        self.state = founded((ALICE, ("issuer",)), (DAVE, ("issuer",)))
        self.nonces: dict[bytes, int] = {}
        self.ok(ALICE, AssetCreate("PTS", "Points", 0, cap))

    def run(self, k: PrivateKey, op: Operation, height: int = 1) -> Receipt:
        n = self.nonces.get(k.address(), 0)
        self.nonces[k.address()] = n + 1
        return execute_transaction(self.state, signed(k, n, op), block(height))

    def ok(self, k: PrivateKey, op: Operation, height: int = 1) -> Receipt:
        r = self.run(k, op, height)
        assert r.code == codes.OK, (r.code, r.message)
        return r

    def claim(self, k: PrivateKey, card_id: str, height: int, sid: str = "s1") -> int:
        """Claim and return the amount paid (0 when there was nothing to claim)."""
        r = self.run(k, MiningClaim(sid, A, card_id), height)
        if r.code == codes.NOTHING_TO_CLAIM:
            return 0
        assert r.code == codes.OK, (r.code, r.message)
        assert r.events[-1].kind == "mining.claimed"
        amount = r.events[-1].fields[-1]
        assert isinstance(amount, int)
        return amount

    def balance(self, account: bytes) -> int:
        return ledger.get_balance(self.state, account, "PTS", 1)

    def conserved(self, *holders: bytes) -> None:
        asset = ledger.get_asset(self.state, "PTS")
        assert asset is not None
        assert asset.outstanding == sum(self.balance(h) for h in holders)


def test_create_records_the_schedule_and_lists_it_on_the_class() -> None:
    c = Chain()
    r = c.ok(ALICE, S1)
    assert r.events[-1].kind == "mining.created"
    assert r.events[-1].fields == ("s1", "PTS", "miner", 100, 10, 10, 50)
    s = get_schedule(c.state, "s1")
    assert s is not None and s.epochs == 4 and s.acc == 0 and s.done == 0 and s.created == 1
    assert get_class(c.state, A, "miner") == (0, ["s1"])


def test_shares_per_epoch_with_issue_and_revoke() -> None:
    c = Chain()
    c.ok(ALICE, S1)
    c.ok(ALICE, CardIssue("m1", "miner", B), height=2)
    c.ok(ALICE, CardIssue("m2", "miner", C), height=2)
    assert c.claim(BOB, "m1", 19) == 0  # epoch 0 ends at 20
    assert c.claim(BOB, "m1", 20) == 50
    c.ok(ALICE, CardIssue("m3", "miner", D), height=25)  # shares from epoch 1 on
    assert c.claim(CAROL, "m2", 29) == 50
    assert c.claim(DAVE, "m3", 29) == 0
    assert c.claim(BOB, "m1", 30) == 33  # epoch 1: 100 / 3, the third stays with the card
    r = c.ok(ALICE, CardRevoke("m2"), height=35)  # Carol's 33 unclaimed are forfeited
    assert r.events[-1].kind == "card.revoked"
    assert c.claim(BOB, "m1", 39) == 0
    assert c.claim(BOB, "m1", 40) == 50  # epoch 2: 100 / 2
    assert c.claim(BOB, "m1", 49) == 0
    assert c.claim(BOB, "m1", 50) == 50  # epoch 3 ends at end = 50: it pays
    assert c.claim(BOB, "m1", 500) == 0  # nothing after end
    assert c.claim(DAVE, "m3", 500) == 133  # 33.3 + 50 + 50
    s = get_schedule(c.state, "s1")
    assert s is not None and s.done == 4 and s.claimed == 50 + 33 + 50 + 50 + 50 + 133
    assert c.balance(B) == 183 and c.balance(C) == 50 and c.balance(D) == 133
    c.conserved(A, B, C, D)


def test_rounding_remainders_stay_with_the_card() -> None:
    c = Chain()
    c.ok(ALICE, MiningCreate("s1", "PTS", "miner", 100, 10, 10, 40))
    for i, h in enumerate((B, C, D)):
        c.ok(ALICE, CardIssue(f"m{i}", "miner", h))
    assert c.claim(BOB, "m0", 20) == 33
    assert c.claim(BOB, "m0", 30) == 33
    assert c.claim(BOB, "m0", 40) == 33  # 99.99..: the last 1e-18 parts never make a point
    assert c.claim(CAROL, "m1", 40) == 99


def test_end_inside_an_epoch_cuts_that_epoch() -> None:
    c = Chain()
    c.ok(ALICE, MiningCreate("s1", "PTS", "miner", 100, 10, 10, 45))  # 3 epochs
    c.ok(ALICE, CardIssue("m1", "miner", B))
    assert c.claim(BOB, "m1", 100) == 300


def test_epochs_without_cards_pay_nobody() -> None:
    c = Chain()
    c.ok(ALICE, S1)
    c.ok(ALICE, CardIssue("m1", "miner", B), height=25)  # epoch 0 had no card
    assert c.claim(BOB, "m1", 30) == 100
    s = get_schedule(c.state, "s1")
    assert s is not None and s.done == 2


def test_cards_issued_before_the_schedule_share_from_its_start() -> None:
    c = Chain()
    c.ok(ALICE, CardIssue("m1", "miner", B), height=1)
    c.ok(ALICE, CardIssue("m2", "miner", C), height=1)
    c.ok(ALICE, S1, height=1)
    assert c.claim(BOB, "m1", 20) == 50
    assert c.claim(CAROL, "m2", 20) == 50


def test_unclaimed_mining_travels_with_a_transferred_card() -> None:
    c = Chain()
    c.ok(ALICE, S1)
    c.ok(ALICE, CardIssue("m1", "miner", B, True))
    c.ok(BOB, CardTransfer(A, "m1", C), height=25)
    assert c.run(BOB, MiningClaim("s1", A, "m1"), 30).code == codes.NOT_CARD_HOLDER
    assert c.claim(CAROL, "m1", 30) == 200


def test_custodian_claims_for_a_custody_holder() -> None:
    c = Chain()
    user = accounts.custody_account(C, "u-1")
    governance.set_roles(c.state, C, governance.ROLES["custodian"])
    c.state.release()
    c.ok(ALICE, S1)
    c.ok(ALICE, CardIssue("m1", "miner", user))
    assert c.claim(CAROL, "m1", 20) == 100
    assert c.balance(user) == 100 and c.balance(C) == 0
    c.conserved(user)


def test_create_refusals() -> None:
    c = Chain()
    assert c.run(BOB, S1).code == codes.NOT_ISSUER
    assert c.run(DAVE, S1).code == codes.NOT_ISSUER  # an issuer, but not of PTS
    bad = MiningCreate("s1", "NOPE", "miner", 100, 10, 10, 50)
    assert c.run(ALICE, bad).code == codes.UNKNOWN_ASSET
    early = MiningCreate("s1", "PTS", "miner", 100, 10, 4, 50)
    assert c.run(ALICE, early, height=5).code == codes.INVALID_PARAM
    short = MiningCreate("s1", "PTS", "miner", 100, 10, 10, 19)
    assert c.run(ALICE, short).code == codes.INVALID_PARAM
    backwards = MiningCreate("s1", "PTS", "miner", 100, 10, 10, 5)
    assert c.run(ALICE, backwards).code == codes.INVALID_PARAM
    zero = MiningCreate("s1", "PTS", "miner", 0, 10, 10, 50)
    assert c.run(ALICE, zero).code == codes.INVALID_AMOUNT
    huge = MiningCreate("s1", "PTS", "miner", 2**63, 10, 10, 30)  # 2 epochs: 2**64
    assert c.run(ALICE, huge).code == codes.INVALID_AMOUNT
    assert c.run(ALICE, MiningCreate("s 1", "PTS", "miner", 1, 1, 1, 2)).code == codes.BAD_REQUEST
    assert c.run(ALICE, MiningCreate("s1", "PTS", "a/b", 1, 1, 1, 2)).code == codes.BAD_REQUEST
    c.ok(ALICE, S1)
    assert c.run(ALICE, S1).code == codes.SCHEDULE_EXISTS
    assert get_class(c.state, A, "miner") == (0, ["s1"])


def test_claim_refusals() -> None:
    c = Chain()
    c.ok(ALICE, S1)
    c.ok(ALICE, CardIssue("m1", "miner", B))
    c.ok(ALICE, CardIssue("g1", "gold", B))
    c.ok(DAVE, CardIssue("m1", "miner", B))  # Dave's "miner" is another class
    assert c.run(BOB, MiningClaim("nope", A, "m1"), 20).code == codes.UNKNOWN_SCHEDULE
    assert c.run(BOB, MiningClaim("s1", A, "nope"), 20).code == codes.UNKNOWN_CARD
    assert c.run(CAROL, MiningClaim("s1", A, "m1"), 20).code == codes.NOT_CARD_HOLDER
    assert c.run(ALICE, MiningClaim("s1", A, "m1"), 20).code == codes.NOT_CARD_HOLDER
    assert c.run(BOB, MiningClaim("s1", A, "g1"), 20).code == codes.CARD_NOT_ELIGIBLE
    assert c.run(BOB, MiningClaim("s1", D, "m1"), 20).code == codes.CARD_NOT_ELIGIBLE
    assert c.run(BOB, MiningClaim("s1", A, "m1"), 19).code == codes.NOTHING_TO_CLAIM
    assert c.balance(B) == 0


def test_claim_obeys_cap_and_quota_all_or_nothing() -> None:
    c = Chain(cap=150)
    c.ok(ALICE, S1)
    c.ok(ALICE, CardIssue("m1", "miner", B))
    assert c.claim(BOB, "m1", 20) == 100
    r = c.run(BOB, MiningClaim("s1", A, "m1"), 30)
    assert r.code == codes.CAP_EXCEEDED and r.events == ()
    card = get_card(c.state, A, "m1")
    s = get_schedule(c.state, "s1")
    assert card is not None and card.paid == (("s1", 100 * SCALE),)
    assert s is not None and s.claimed == 100
    c2 = Chain()
    c2.ok(ALICE, S1)
    c2.ok(ALICE, CardIssue("m1", "miner", B))
    ledger.set_quota(c2.state, A, "PTS", 99)
    c2.state.release()
    assert c2.run(BOB, MiningClaim("s1", A, "m1"), 20).code == codes.QUOTA_EXCEEDED
    assert c2.balance(B) == 0


def test_schedules_per_class_are_bounded_and_finished_ones_leave() -> None:
    c = Chain()
    c.ok(ALICE, CardIssue("m1", "miner", B))
    c.ok(ALICE, MiningCreate("old", "PTS", "miner", 10, 5, 5, 10))  # one epoch, ends at 10
    for i in range(MAX_SCHEDULES - 1):
        c.ok(ALICE, MiningCreate(f"s{i}", "PTS", "miner", 1, 100, 100, 1_000))
    r = c.run(ALICE, MiningCreate("extra", "PTS", "miner", 1, 100, 100, 1_000), height=9)
    assert r.code == codes.TOO_MANY_SCHEDULES
    # at height 10 "old" has finished: settling drops it and frees its place
    c.ok(ALICE, MiningCreate("extra", "PTS", "miner", 1, 100, 100, 1_000), height=10)
    live, sids = get_class(c.state, A, "miner")
    assert live == 1 and "old" not in sids and "extra" in sids and len(sids) == MAX_SCHEDULES
    # a card issued after "old" left the list is owed nothing from it; m1 still is
    c.ok(ALICE, CardIssue("m2", "miner", C), height=11)
    assert c.claim(CAROL, "m2", 12, sid="old") == 0
    assert c.claim(BOB, "m1", 12, sid="old") == 10
    card = get_card(c.state, A, "m2")
    assert card is not None and len(card.paid) == MAX_SCHEDULES


def test_pending_matches_what_a_claim_pays() -> None:
    c = Chain()
    c.ok(ALICE, S1)
    c.ok(ALICE, CardIssue("m1", "miner", B))
    c.ok(ALICE, CardIssue("m2", "miner", C), height=15)
    s = get_schedule(c.state, "s1")
    card = get_card(c.state, A, "m1")
    assert s is not None and card is not None
    assert pending(c.state, s, card, 19) == 0
    assert pending(c.state, s, card, 35) == 100
    assert c.claim(BOB, "m1", 35) == 100


def test_operations_round_trip_through_wire_and_json() -> None:
    ops: list[Operation] = [S1, MiningClaim("s1", A, "m1")]
    for op in ops:
        assert decode_operation(op.to_wire()) == op
        assert operation_from_json(op.to_json(), parse_address) == op


# --- model check: what each card is paid against exact fractions --------------------

steps = st.lists(
    st.tuples(st.sampled_from(["issue", "revoke", "claim"]), st.integers(0, 5), st.integers(0, 3)),
    max_size=30,
)


@given(steps, st.lists(st.integers(1, 70), min_size=30, max_size=30))
@settings(max_examples=120, deadline=None)
def test_payouts_match_an_exact_model(
    seq: list[tuple[str, int, int]], raw_heights: list[int]
) -> None:
    amount, eb, start, end = 7, 10, 10, 60
    holders = [BOB, CAROL, DAVE, key(5)]
    c = Chain()
    c.ok(ALICE, MiningCreate("s1", "PTS", "miner", amount, eb, start, end))
    heights = sorted(raw_heights)
    live: dict[str, int] = {}  # card -> holder index
    ever: dict[str, int] = {}
    accrued: dict[str, Fraction] = {}
    paid: dict[str, int] = {}
    folded = 0
    issued = 0

    def fold(h: int) -> None:
        nonlocal folded
        done = 0 if h < start else min((h - start) // eb, (end - start) // eb)
        for _ in range(done - folded):
            for card in live:
                accrued[card] += Fraction(amount, len(live))
        folded = max(folded, done)

    for (kind, card_n, holder_n), h in zip(seq, heights, strict=False):
        fold(h)
        if kind == "issue":
            card = f"c{issued}"
            issued += 1
            c.ok(ALICE, CardIssue(card, "miner", holders[holder_n].address()), h)
            live[card] = ever[card] = holder_n
            accrued[card], paid[card] = Fraction(0), 0
        elif kind == "revoke" and live:
            card = sorted(live)[card_n % len(live)]
            c.ok(ALICE, CardRevoke(card), h)
            del live[card]
        elif kind == "claim" and live:
            card = sorted(live)[card_n % len(live)]
            paid[card] += c.claim(holders[live[card]], card, h)
            assert paid[card] <= accrued[card]
    fold(100)
    for card in sorted(live):
        paid[card] += c.claim(holders[live[card]], card, 100)
        assert accrued[card] - 1 <= paid[card] <= accrued[card]
    s = get_schedule(c.state, "s1")
    assert s is not None and s.claimed == sum(paid.values())
    assert s.claimed <= amount * s.epochs
    c.conserved(*(k.address() for k in holders))
