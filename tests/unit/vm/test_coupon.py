"""Coupons: create, claim once with a signature from the secret, reclaim after the
deadline; boundary heights, every refusal with its code, supply conservation."""

from __future__ import annotations

from primitives.keys import PrivateKey, verify
from tests.unit.vm.helpers import CHAIN, block, founded, key, signed
from vm import accounts, codes, ledger
from vm.executor import execute_transaction
from vm.ops.asset import AssetCreate, AssetIssue
from vm.ops.coupon import (
    ESCROW,
    CouponClaim,
    CouponCreate,
    CouponReclaim,
    claim_message,
    claim_signature,
    coupon_id,
    escrow_account,
    get_coupon,
)
from vm.ops.registry import Operation
from vm.receipt import Receipt

ALICE, BOB, CAROL, DAVE = key(1), key(2), key(3), key(4)
SECRET = b"correct horse battery staple 7f3a9c"
CID = coupon_id(SECRET)
DEADLINE = 100


class Chain:
    def __init__(self, expiry_blocks: int = 0) -> None:
        self.state = founded((ALICE, ("issuer",)), (DAVE, ("issuer",)))
        self.nonces: dict[bytes, int] = {}
        self.ok(ALICE, AssetCreate("PTS", "Points", 0, 10**9, expiry_blocks=expiry_blocks))
        self.ok(ALICE, AssetIssue("PTS", ALICE.address(), 1_000))

    def run(self, k: PrivateKey, op: Operation, height: int = 1) -> Receipt:
        addr = k.address()
        n = self.nonces.get(addr, 0)
        self.nonces[addr] = n + 1
        return execute_transaction(self.state, signed(k, n, op), block(height))

    def ok(self, k: PrivateKey, op: Operation, height: int = 1) -> Receipt:
        r = self.run(k, op, height)
        assert r.code == codes.OK, (r.code, r.message)
        return r

    def balance(self, account: bytes, height: int = 1) -> int:
        return ledger.get_balance(self.state, account, "PTS", height)

    def conserved(self, height: int = 1) -> None:
        asset = ledger.get_asset(self.state, "PTS")
        assert asset is not None
        holders = [k.address() for k in (ALICE, BOB, CAROL, DAVE)] + [escrow_account(CID)]
        assert asset.outstanding == sum(self.balance(a, height) for a in holders)


def sig(to: bytes, secret: bytes = SECRET, chain: str = CHAIN) -> bytes:
    return claim_signature(secret, chain, to)


def created(amount: int = 300) -> Chain:
    c = Chain()
    r = c.ok(ALICE, CouponCreate("PTS", CID, amount, DEADLINE))
    assert [e.kind for e in r.events] == ["coupon.created"]
    assert r.events[0].fields == (CID, "PTS", ALICE.address(), amount, DEADLINE)
    return c


def test_client_helpers_bind_chain_coupon_and_claimant() -> None:
    assert len(CID) == 32 and SECRET not in CID
    s = sig(BOB.address())
    assert verify(CID, claim_message(CHAIN, CID, BOB.address()), s)
    assert not verify(CID, claim_message(CHAIN, CID, CAROL.address()), s)
    assert not verify(CID, claim_message("other", CID, BOB.address()), s)
    assert coupon_id(b"another secret") != CID


def test_create_escrows_points_in_the_coupons_own_account() -> None:
    c = created(300)
    assert c.balance(ALICE.address()) == 700
    assert c.balance(escrow_account(CID)) == 300
    assert accounts.custodian_of(escrow_account(CID)) == ESCROW
    coupon = get_coupon(c.state, CID)
    assert coupon is not None and coupon.status == "open" and coupon.amount == 300
    assert coupon.issuer == ALICE.address() and coupon.created == 1
    c.conserved()


def test_claim_pays_the_named_claimant_once() -> None:
    c = created(300)
    # anyone may send the claim; the points go to the account the signature names
    r = c.ok(CAROL, CouponClaim(CID, BOB.address(), sig(BOB.address())), height=50)
    assert r.events[-1].kind == "coupon.claimed"
    assert r.events[-1].fields == (CID, "PTS", BOB.address(), 300)
    assert c.balance(BOB.address()) == 300 and c.balance(escrow_account(CID)) == 0
    coupon = get_coupon(c.state, CID)
    assert coupon is not None and coupon.status == "claimed" and coupon.claimant == BOB.address()
    assert coupon.paid == 300
    again = c.run(BOB, CouponClaim(CID, BOB.address(), sig(BOB.address())), height=51)
    assert again.code == codes.COUPON_CLAIMED
    assert c.run(BOB, CouponReclaim(CID), height=DEADLINE + 1).code == codes.COUPON_CLAIMED
    c.conserved()


def test_front_running_copy_cannot_redirect_the_claim() -> None:
    c = created()
    bobs = sig(BOB.address())
    # a watcher copies Bob's signature but names itself: refused
    r = c.run(CAROL, CouponClaim(CID, CAROL.address(), bobs), height=2)
    assert r.code == codes.BAD_COUPON_PROOF
    # a signature made for another chain, or with a wrong secret, is refused too
    r = c.run(CAROL, CouponClaim(CID, BOB.address(), sig(BOB.address(), chain="other")), 2)
    assert r.code == codes.BAD_COUPON_PROOF
    r = c.run(CAROL, CouponClaim(CID, CAROL.address(), sig(CAROL.address(), b"guess")), 2)
    assert r.code == codes.BAD_COUPON_PROOF
    assert c.balance(escrow_account(CID)) == 300
    coupon = get_coupon(c.state, CID)
    assert coupon is not None and coupon.status == "open"


def test_claim_at_deadline_ok_and_after_it_refused() -> None:
    c = created()
    to = BOB.address()
    assert c.run(BOB, CouponClaim(CID, to, sig(to)), height=DEADLINE + 1).code == (
        codes.COUPON_EXPIRED
    )
    c.ok(BOB, CouponClaim(CID, to, sig(to)), height=DEADLINE)
    assert c.balance(to) == 300


def test_reclaim_only_after_deadline_and_always_to_the_issuer() -> None:
    c = created()
    assert c.run(BOB, CouponReclaim(CID), height=DEADLINE).code == codes.COUPON_NOT_EXPIRED
    r = c.ok(BOB, CouponReclaim(CID), height=DEADLINE + 1)  # anyone may send it
    assert r.events[-1].kind == "coupon.reclaimed"
    assert r.events[-1].fields == (CID, "PTS", ALICE.address(), 300)
    assert c.balance(ALICE.address()) == 1_000 and c.balance(BOB.address()) == 0
    coupon = get_coupon(c.state, CID)
    assert coupon is not None and coupon.status == "reclaimed"
    assert c.run(BOB, CouponReclaim(CID), height=DEADLINE + 2).code == codes.COUPON_CLAIMED
    to = BOB.address()
    assert c.run(BOB, CouponClaim(CID, to, sig(to)), height=DEADLINE).code == (codes.COUPON_CLAIMED)
    c.conserved()


def test_create_refusals() -> None:
    c = Chain()
    # not the issuer of PTS (Dave holds the issuer role, Bob does not)
    assert c.run(BOB, CouponCreate("PTS", CID, 10, DEADLINE)).code == codes.NOT_ISSUER
    assert c.run(DAVE, CouponCreate("PTS", CID, 10, DEADLINE)).code == codes.NOT_ISSUER
    assert c.run(ALICE, CouponCreate("NOPE", CID, 10, DEADLINE)).code == codes.UNKNOWN_ASSET
    r = c.run(ALICE, CouponCreate("PTS", CID, 10, 4), height=5)
    assert r.code == codes.BAD_DEADLINE
    c.ok(ALICE, CouponCreate("PTS", CID, 10, 5), height=5)  # claimable in its own block
    assert c.run(ALICE, CouponCreate("PTS", CID, 10, DEADLINE)).code == codes.COUPON_EXISTS
    other = coupon_id(b"other")
    assert c.run(ALICE, CouponCreate("PTS", other, 0, DEADLINE)).code == codes.INVALID_AMOUNT


def test_create_is_all_or_nothing_when_the_issuer_lacks_points() -> None:
    c = Chain()
    r = c.run(ALICE, CouponCreate("PTS", CID, 1_001, DEADLINE))
    assert r.code == codes.INSUFFICIENT_BALANCE and r.events == ()
    assert get_coupon(c.state, CID) is None
    assert c.balance(ALICE.address()) == 1_000


def test_unknown_coupon() -> None:
    c = Chain()
    to = BOB.address()
    assert c.run(BOB, CouponClaim(CID, to, sig(to))).code == codes.UNKNOWN_COUPON
    assert c.run(BOB, CouponReclaim(CID), height=DEADLINE + 1).code == codes.UNKNOWN_COUPON


def test_claim_checks_the_recipient_like_a_transfer() -> None:
    c = Chain()
    c.ok(ALICE, AssetCreate("VIP", "Vip", 0, 10**6, rules=ledger.REQUIRE_AUTH | 2))
    c.ok(ALICE, AssetIssue("VIP", ALICE.address(), 50))
    c.ok(ALICE, CouponCreate("VIP", CID, 50, DEADLINE))
    to = BOB.address()
    assert c.run(BOB, CouponClaim(CID, to, sig(to))).code == codes.HOLDER_NOT_AUTHORIZED


def test_lots_keep_their_expiry_through_escrow() -> None:
    c = Chain(expiry_blocks=1_000)  # Alice's 1 000 points expire at 1 + 1 000
    c.ok(ALICE, CouponCreate("PTS", CID, 200, 500), height=10)
    to = BOB.address()
    c.ok(BOB, CouponClaim(CID, to, sig(to)), height=20)
    assert ledger.lots_of(c.state, to, "PTS", 20) == [[1_001, 200]]
    c.conserved(20)


def test_expired_escrow_pays_what_is_left() -> None:
    c = Chain(expiry_blocks=50)  # lots expire at 51
    c.ok(ALICE, CouponCreate("PTS", CID, 200, DEADLINE), height=10)
    r = c.ok(BOB, CouponReclaim(CID), height=DEADLINE + 1)
    assert r.events[-1].fields == (CID, "PTS", ALICE.address(), 0)
    coupon = get_coupon(c.state, CID)
    assert coupon is not None and coupon.status == "reclaimed" and coupon.paid == 0


def test_operations_round_trip_through_wire_and_json() -> None:
    from primitives.keys import parse_address
    from vm.ops.catalog import decode_operation, operation_from_json

    ops: list[Operation] = [
        CouponCreate("PTS", CID, 5, 9),
        CouponClaim(CID, BOB.address(), sig(BOB.address())),
        CouponReclaim(CID),
    ]
    for op in ops:
        assert decode_operation(op.to_wire()) == op
        assert operation_from_json(op.to_json(), parse_address) == op
