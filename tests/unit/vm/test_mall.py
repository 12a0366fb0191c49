"""The points mall: suppliers, redemption listings and English auctions; every refusal
with its code, boundary heights, escrow conservation and exact refunds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from primitives.keys import PrivateKey
from tests.unit.vm.helpers import block, founded, key, signed
from vm import codes, ledger
from vm.executor import execute_transaction
from vm.ops.asset import AssetCreate, AssetIssue
from vm.ops.catalog import decode_operation
from vm.ops.mall import (
    MallApply,
    MallApprove,
    MallAuction,
    MallBid,
    MallCancel,
    MallDelist,
    MallList,
    MallRedeem,
    MallRestock,
    MallRevoke,
    MallSettle,
    escrow_account,
    get_auction,
    get_listing,
    get_order,
    get_supplier,
)
from vm.ops.registry import Operation
from vm.receipt import Receipt

ISSUER, PLATFORM, SUP, BOB, CAROL, SUP2 = key(1), key(2), key(3), key(4), key(5), key(6)
OUTSIDER = key(9)
KEYS = (ISSUER, PLATFORM, SUP, BOB, CAROL, SUP2)


class Mall:
    def __init__(self, expiry_blocks: int = 0, rules: int = ledger.DEFAULT_RULES) -> None:
        self.state = founded(
            (ISSUER, ("issuer",)),
            (PLATFORM, ("platform",)),
            (SUP, ()),
            (BOB, ()),
            (CAROL, ()),
            (SUP2, ()),
        )
        self.nonces: dict[bytes, int] = {}
        self.ok(
            ISSUER,
            AssetCreate(
                "PTS",
                "Points",
                0,
                10**9,
                rules=rules,
                expiry_blocks=expiry_blocks,
                currency="CNY",
                unit_value=10_000,
            ),
        )
        for k in (BOB, CAROL):
            self.ok(ISSUER, AssetIssue("PTS", k.address(), 1_000))
        for k in (SUP, SUP2):
            self.ok(k, MallApply("shop"))
            self.ok(PLATFORM, MallApprove(k.address()))

    def run(self, k: PrivateKey, op: Operation, height: int = 1) -> Receipt:
        addr = k.address()
        n = self.nonces.get(addr, 0)
        self.nonces[addr] = n + 1
        return execute_transaction(self.state, signed(k, n, op), block(height))

    def ok(self, k: PrivateKey, op: Operation, height: int = 1) -> Receipt:
        r = self.run(k, op, height)
        assert r.code == codes.OK, (r.code, r.message)
        return r

    def refused(self, k: PrivateKey, op: Operation, code: str, height: int = 1) -> None:
        r = self.run(k, op, height)
        assert r.code == code, (r.code, r.message)

    def bal(self, k: PrivateKey | bytes, height: int = 1) -> int:
        account = k if isinstance(k, bytes) else k.address()
        return ledger.get_balance(self.state, account, "PTS", height)

    def conserved(self, *escrows: str, height: int = 1) -> None:
        asset = ledger.get_asset(self.state, "PTS")
        assert asset is not None
        held = sum(self.bal(k, height) for k in KEYS)
        held += sum(self.bal(escrow_account(a), height) for a in escrows)
        assert asset.outstanding == held


def kinds(r: Receipt) -> list[str]:
    return [e.kind for e in r.events]


def event(r: Receipt, kind: str) -> tuple[object, ...]:
    found = [e.fields for e in r.events if e.kind == kind]
    assert len(found) == 1, kinds(r)
    return found[0]


# --- suppliers ------------------------------------------------------------------------


def test_supplier_apply_approve_revoke_and_refusals() -> None:
    m = Mall()
    m.refused(OUTSIDER, MallApply("x"), codes.NOT_MEMBER)
    r = m.ok(BOB, MallApply("bob's"))
    assert r.events[-1].kind == "mall.applied"
    assert r.events[-1].fields == (BOB.address(), "bob's")
    m.refused(BOB, MallApply("again"), codes.SUPPLIER_EXISTS)
    m.refused(SUP, MallApprove(BOB.address()), codes.NOT_AUTHORIZED)  # no platform role
    m.refused(PLATFORM, MallApprove(CAROL.address()), codes.UNKNOWN_SUPPLIER)
    m.refused(BOB, MallList("x", "t", "PTS", 1, 1), codes.NOT_SUPPLIER)  # applied only
    r = m.ok(PLATFORM, MallApprove(BOB.address()), height=3)
    assert r.events[-1].fields == (BOB.address(), PLATFORM.address())
    s = get_supplier(m.state, BOB.address())
    assert s is not None and s.status == "approved" and s.decided == 3
    m.refused(PLATFORM, MallApprove(BOB.address()), codes.SUPPLIER_STATUS)
    m.refused(BOB, MallApply("again"), codes.SUPPLIER_EXISTS)
    m.refused(CAROL, MallRevoke(BOB.address()), codes.NOT_AUTHORIZED)
    r = m.ok(PLATFORM, MallRevoke(BOB.address()))
    assert kinds(r) == ["mall.revoked"]
    m.refused(PLATFORM, MallRevoke(BOB.address()), codes.SUPPLIER_STATUS)
    m.refused(BOB, MallList("x", "t", "PTS", 1, 1), codes.NOT_SUPPLIER)
    m.ok(BOB, MallApply("back"))  # a revoked supplier may apply again


# --- listings and redemption ----------------------------------------------------------


def test_list_refusals() -> None:
    m = Mall()
    m.refused(BOB, MallList("tea", "Tea", "PTS", 10, 5), codes.NOT_SUPPLIER)
    m.refused(SUP, MallList("bad id", "Tea", "PTS", 10, 5), codes.BAD_REQUEST)
    m.refused(SUP, MallList("tea.1", "Tea", "PTS", 10, 5), codes.BAD_REQUEST)
    m.refused(SUP, MallList("tea", "Tea", "NOPE", 10, 5), codes.UNKNOWN_ASSET)
    r = m.ok(SUP, MallList("tea", "Tea", "PTS", 10, 5))
    assert r.events[-1].kind == "mall.listed"
    assert r.events[-1].fields == ("tea", SUP.address(), "PTS", 10, 5, False)
    m.refused(SUP2, MallList("tea", "Tea", "PTS", 10, 5), codes.LISTING_EXISTS)


def test_non_transferable_points_are_listed_only_burned_or_by_their_issuer() -> None:
    m = Mall(rules=0)
    m.refused(SUP, MallList("tea", "Tea", "PTS", 10, 5), codes.NOT_TRANSFERABLE)
    m.refused(SUP, MallAuction("vase", "Vase", "PTS", 10, 1, 50), codes.NOT_TRANSFERABLE)
    m.ok(SUP, MallList("tea", "Tea", "PTS", 10, 5, burn=True))
    m.ok(BOB, MallRedeem("tea", 2))
    assert m.bal(BOB) == 980


def test_redeem_pays_the_supplier_and_writes_numbered_orders() -> None:
    m = Mall()
    m.ok(SUP, MallList("tea", "Tea", "PTS", 30, 5))
    r = m.ok(BOB, MallRedeem("tea", 2), height=7)
    assert event(r, "transfer") == ("PTS", BOB.address(), SUP.address(), 60)
    # the supplier is not the issuer: a receivable at 10_000 millionths per point
    assert event(r, "settle.recorded")[:3] == ("PTS", SUP.address(), ISSUER.address())
    fields = event(r, "mall.redeemed")
    assert fields == ("tea.1", "tea", BOB.address(), 2, "PTS", 60, False)
    assert m.bal(BOB) == 940 and m.bal(SUP) == 60
    order = get_order(m.state, "tea.1")
    assert order is not None
    assert (order.listing, order.buyer, order.quantity, order.amount) == (
        "tea",
        BOB.address(),
        2,
        60,
    )
    assert (order.supplier, order.burned, order.height) == (SUP.address(), False, 7)
    r = m.ok(CAROL, MallRedeem("tea", 3))
    assert event(r, "mall.redeemed")[0] == "tea.2"
    li = get_listing(m.state, "tea")
    assert li is not None and (li.stock, li.sold, li.orders) == (0, 5, 2)
    m.refused(BOB, MallRedeem("tea", 1), codes.SOLD_OUT)
    m.conserved()


def test_sold_out_and_failed_payment_change_nothing() -> None:
    m = Mall()
    m.ok(SUP, MallList("tv", "TV", "PTS", 600, 3))
    m.refused(BOB, MallRedeem("tv", 4), codes.SOLD_OUT)  # more than the stock
    m.refused(BOB, MallRedeem("tv", 2), codes.INSUFFICIENT_BALANCE)  # 1200 > 1000
    li = get_listing(m.state, "tv")
    assert li is not None and (li.stock, li.orders) == (3, 0)
    assert get_order(m.state, "tv.1") is None and m.bal(BOB) == 1_000


def test_burn_listing_redeems_the_points() -> None:
    m = Mall()
    m.ok(SUP, MallList("gift", "Gift", "PTS", 100, 10, burn=True))
    before = ledger.get_asset(m.state, "PTS")
    assert before is not None
    r = m.ok(BOB, MallRedeem("gift", 3))
    assert event(r, "asset.burned") == ("PTS", BOB.address(), 300)
    assert event(r, "mall.redeemed")[-1] is True
    assert "settle.recorded" in kinds(r)  # redeemed at a member other than the issuer
    after = ledger.get_asset(m.state, "PTS")
    assert after is not None
    assert after.redeemed == before.redeemed + 300
    assert after.outstanding == before.outstanding - 300
    assert m.bal(SUP) == 0 and m.bal(BOB) == 700
    m.conserved()


def test_issuer_as_supplier_books_no_settlement() -> None:
    m = Mall()
    m.ok(ISSUER, MallApply("issuer shop"))
    m.ok(PLATFORM, MallApprove(ISSUER.address()))
    m.ok(ISSUER, MallList("cap", "Cap", "PTS", 5, 1))
    r = m.ok(BOB, MallRedeem("cap"))
    assert "settle.recorded" not in kinds(r)


def test_delist_restock_and_their_refusals() -> None:
    m = Mall()
    m.ok(SUP, MallList("tea", "Tea", "PTS", 10, 1))
    m.refused(BOB, MallRedeem("nope"), codes.UNKNOWN_LISTING)
    m.refused(SUP, MallRedeem("tea"), codes.OWN_ITEM)
    m.refused(BOB, MallRestock("tea", 5), codes.NOT_SUPPLIER)
    m.refused(SUP2, MallRestock("tea", 5), codes.NOT_AUTHORIZED)
    m.refused(SUP2, MallDelist("tea"), codes.NOT_AUTHORIZED)
    m.ok(BOB, MallRedeem("tea"))
    m.refused(CAROL, MallRedeem("tea"), codes.SOLD_OUT)
    r = m.ok(SUP, MallRestock("tea", 4))
    assert r.events[-1].fields == ("tea", 4, 4)
    m.ok(CAROL, MallRedeem("tea"))
    r = m.ok(SUP, MallDelist("tea"))
    assert r.events[-1].fields == ("tea", SUP.address())
    m.refused(BOB, MallRedeem("tea"), codes.LISTING_DELISTED)
    m.refused(SUP, MallRestock("tea", 1), codes.LISTING_DELISTED)
    m.refused(SUP, MallDelist("tea"), codes.LISTING_DELISTED)
    m.refused(SUP, MallList("tea", "Tea", "PTS", 10, 1), codes.LISTING_EXISTS)


def test_revoked_supplier_listing_cannot_be_redeemed() -> None:
    m = Mall()
    m.ok(SUP, MallList("tea", "Tea", "PTS", 10, 5))
    m.ok(PLATFORM, MallRevoke(SUP.address()))
    m.refused(BOB, MallRedeem("tea"), codes.NOT_SUPPLIER)
    assert m.bal(BOB) == 1_000


# --- auctions -------------------------------------------------------------------------

END = 100


def auctioned(reserve: int = 100, inc: int = 10, extension: int = 0, m: Mall | None = None) -> Mall:
    m = m or Mall()
    r = m.ok(SUP, MallAuction("vase", "Vase", "PTS", reserve, inc, END, extension))
    assert r.events[-1].kind == "mall.auction_opened"
    assert r.events[-1].fields == ("vase", SUP.address(), "PTS", reserve, inc, END, extension)
    return m


def test_auction_create_refusals() -> None:
    m = Mall()
    m.refused(BOB, MallAuction("vase", "Vase", "PTS", 1, 1, END), codes.NOT_SUPPLIER)
    m.refused(SUP, MallAuction("vase", "Vase", "PTS", 1, 1, 5), codes.BAD_DEADLINE, height=5)
    m.refused(SUP, MallAuction("va se", "Vase", "PTS", 1, 1, END), codes.BAD_REQUEST)
    m.refused(SUP, MallAuction("vase", "Vase", "NOPE", 1, 1, END), codes.UNKNOWN_ASSET)
    m.ok(SUP, MallAuction("vase", "Vase", "PTS", 1, 1, 6), height=5)  # end = next block
    m.refused(SUP2, MallAuction("vase", "Vase", "PTS", 1, 1, END), codes.AUCTION_EXISTS)


def test_bids_escrow_and_refund_the_outbid_exactly() -> None:
    m = auctioned(reserve=100, inc=10)
    m.refused(BOB, MallBid("vase", 99), codes.BID_TOO_LOW)
    m.refused(BOB, MallBid("nope", 500), codes.UNKNOWN_AUCTION)
    m.refused(SUP, MallBid("vase", 500), codes.OWN_ITEM)
    r = m.ok(BOB, MallBid("vase", 100), height=10)  # exactly the reserve
    assert event(r, "mall.bid") == ("vase", BOB.address(), "PTS", 100, END)
    assert "mall.refunded" not in kinds(r)
    assert m.bal(BOB) == 900 and m.bal(escrow_account("vase")) == 100
    m.conserved("vase")
    m.refused(CAROL, MallBid("vase", 109), codes.BID_TOO_LOW)
    r = m.ok(CAROL, MallBid("vase", 110), height=11)  # exactly highest + increment
    assert event(r, "mall.refunded") == ("vase", BOB.address(), "PTS", 100)
    assert m.bal(BOB) == 1_000 and m.bal(CAROL) == 890 and m.bal(escrow_account("vase")) == 110
    m.conserved("vase")
    # the highest bidder may raise its own bid: its old bid comes back first
    m.ok(CAROL, MallBid("vase", 200), height=12)
    assert m.bal(CAROL) == 800 and m.bal(escrow_account("vase")) == 200
    au = get_auction(m.state, "vase")
    assert au is not None and (au.bidder, au.bid, au.bids) == (CAROL.address(), 200, 3)
    m.refused(BOB, MallBid("vase", 2_000), codes.INSUFFICIENT_BALANCE)
    assert m.bal(CAROL) == 800 and m.bal(escrow_account("vase")) == 200  # nothing refunded
    m.conserved("vase")


def test_bid_at_end_is_taken_and_after_it_refused_then_settle() -> None:
    m = auctioned()
    m.ok(BOB, MallBid("vase", 100), height=END)
    m.refused(CAROL, MallBid("vase", 500), codes.AUCTION_ENDED, height=END + 1)
    m.refused(CAROL, MallSettle("vase"), codes.AUCTION_NOT_ENDED, height=END)
    au = get_auction(m.state, "vase")
    assert au is not None and au.status_at(END) == "open" and au.status_at(END + 1) == "ended"
    r = m.ok(CAROL, MallSettle("vase"), height=END + 1)  # anyone may settle
    assert event(r, "mall.sold") == ("vase", BOB.address(), SUP.address(), "PTS", 100)
    assert event(r, "settle.recorded")[:3] == ("PTS", SUP.address(), ISSUER.address())
    assert m.bal(SUP) == 100 and m.bal(escrow_account("vase")) == 0 and m.bal(BOB) == 900
    au = get_auction(m.state, "vase")
    assert au is not None and au.status == "sold" and au.bidder == BOB.address()
    m.refused(CAROL, MallSettle("vase"), codes.AUCTION_CLOSED, height=END + 2)
    m.refused(CAROL, MallBid("vase", 500), codes.AUCTION_CLOSED, height=END + 2)
    m.refused(SUP, MallCancel("vase"), codes.AUCTION_CLOSED, height=END + 2)
    m.conserved("vase")


def test_extension_at_the_window_edge() -> None:
    m = auctioned(extension=10)
    # a bid at END - 10 would move the end to END: unchanged
    r = m.ok(BOB, MallBid("vase", 100), height=END - 10)
    assert event(r, "mall.bid")[-1] == END
    # one block later the bid is inside the window: the end moves to height + 10
    r = m.ok(CAROL, MallBid("vase", 110), height=END - 9)
    assert event(r, "mall.bid")[-1] == END + 1
    m.refused(BOB, MallSettle("vase"), codes.AUCTION_NOT_ENDED, height=END + 1)
    r = m.ok(BOB, MallBid("vase", 120), height=END + 1)  # taken at the moved end
    assert event(r, "mall.bid")[-1] == END + 11
    m.refused(CAROL, MallBid("vase", 500), codes.AUCTION_ENDED, height=END + 12)
    m.ok(CAROL, MallSettle("vase"), height=END + 12)
    assert m.bal(SUP) == 120 and m.bal(CAROL) == 1_000 and m.bal(BOB) == 880
    m.conserved("vase")


def test_no_bid_settles_unsold() -> None:
    m = auctioned()
    m.refused(BOB, MallSettle("vase"), codes.AUCTION_NOT_ENDED, height=END)
    r = m.ok(BOB, MallSettle("vase"), height=END + 1)
    assert kinds(r) == ["mall.unsold"] and r.events[0].fields == ("vase", SUP.address())
    au = get_auction(m.state, "vase")
    assert au is not None and au.status == "unsold"
    m.refused(BOB, MallBid("vase", 500), codes.AUCTION_CLOSED, height=END + 1)


def test_cancel_only_by_the_supplier_before_any_bid() -> None:
    m = auctioned()
    m.refused(SUP2, MallCancel("vase"), codes.NOT_AUTHORIZED)
    m.refused(SUP, MallCancel("nope"), codes.UNKNOWN_AUCTION)
    r = m.ok(SUP, MallCancel("vase"))
    assert kinds(r) == ["mall.cancelled"]
    m.refused(BOB, MallBid("vase", 500), codes.AUCTION_CLOSED)
    m = auctioned()
    m.ok(BOB, MallBid("vase", 100))
    m.refused(SUP, MallCancel("vase"), codes.AUCTION_HAS_BIDS)


def test_revoked_supplier_auction_takes_no_bid_but_settles() -> None:
    m = auctioned()
    m.ok(BOB, MallBid("vase", 100), height=5)
    m.ok(PLATFORM, MallRevoke(SUP.address()))
    m.refused(CAROL, MallBid("vase", 200), codes.NOT_SUPPLIER, height=6)
    m.ok(CAROL, MallSettle("vase"), height=END + 1)
    assert m.bal(SUP) == 100


def test_refund_returns_the_original_lots() -> None:
    m = Mall(expiry_blocks=1_000)  # BOB and CAROL got lots expiring at 1001
    m.ok(ISSUER, AssetIssue("PTS", BOB.address(), 500), height=20)  # expires at 1020
    auctioned(reserve=100, m=m)
    bob_lots = ledger.lots_of(m.state, BOB.address(), "PTS", 30)
    assert bob_lots == [[1001, 1_000], [1020, 500]]
    m.ok(BOB, MallBid("vase", 1_200), height=30)  # all of the first lot and 200 of the next
    assert ledger.lots_of(m.state, escrow_account("vase"), "PTS", 30) == [
        [1001, 1_000],
        [1020, 200],
    ]
    m.ok(ISSUER, AssetIssue("PTS", CAROL.address(), 500), height=31)
    m.ok(CAROL, MallBid("vase", 1_210), height=32)
    assert ledger.lots_of(m.state, BOB.address(), "PTS", 32) == bob_lots
    m.conserved("vase", height=32)


def test_operations_round_trip_through_the_wire() -> None:
    ops: list[Operation] = [
        MallApply("shop"),
        MallApprove(SUP.address()),
        MallRevoke(SUP.address()),
        MallList("tea", "Tea", "PTS", 3, 4, True),
        MallDelist("tea"),
        MallRestock("tea", 2),
        MallRedeem("tea", 2),
        MallAuction("vase", "Vase", "PTS", 1, 2, 3, 4),
        MallBid("vase", 5),
        MallSettle("vase"),
        MallCancel("vase"),
    ]
    for op in ops:
        assert decode_operation(op.to_wire()) == op


AUCTIONS = ("a1", "a2")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["bid", "redeem", "settle", "cancel", "restock"]),
            st.sampled_from([0, 1]),
            st.integers(1, 400),
            st.integers(0, 8),
        ),
        max_size=30,
    )
)
def test_random_mall_sequences_conserve_points(steps: list[tuple[str, int, int, int]]) -> None:
    """Supply (escrow included) is conserved at every step, nobody goes negative, the
    escrow holds exactly the highest open bid, an outbid bidder gets back exactly the
    lots it escrowed, and the same sequence gives the same state twice."""

    def run() -> dict[bytes, bytes | None]:
        m = Mall(expiry_blocks=10_000)  # lots of different dates, none expiring here
        m.ok(ISSUER, AssetIssue("PTS", BOB.address(), 700), height=2)
        m.ok(SUP, MallAuction("a1", "One", "PTS", 50, 5, 40, 5))
        m.ok(SUP2, MallAuction("a2", "Two", "PTS", 0, 20, 60))
        m.ok(SUP, MallList("l1", "Paid", "PTS", 7, 20))
        m.ok(SUP2, MallList("l2", "Burned", "PTS", 11, 20, burn=True))
        height = 3
        for kind, who, amount, dh in steps:
            height += dh
            k = (BOB, CAROL)[who]
            aid = AUCTIONS[amount % 2]
            if kind == "bid":
                before = get_auction(m.state, aid)
                assert before is not None
                prev = before.bidder
                escrowed = ledger.lots_of(m.state, escrow_account(aid), "PTS", height)
                held = ledger.lots_of(m.state, prev, "PTS", height) if prev else []
                r = m.run(k, MallBid(aid, amount), height)
                if r.code == codes.OK and prev and prev != k.address():
                    expect = ledger._add_lots(held, escrowed)
                    assert ledger.lots_of(m.state, prev, "PTS", height) == expect
            elif kind == "redeem":
                m.run(k, MallRedeem(("l1", "l2")[amount % 2], 1 + amount % 3), height)
            elif kind == "settle":
                m.run(k, MallSettle(aid), height)
            elif kind == "cancel":
                m.run((SUP, SUP2)[amount % 2], MallCancel(aid), height)
            else:
                m.run((SUP, SUP2)[who], MallRestock(("l1", "l2")[who], 1 + amount % 3), height)
            m.conserved(*AUCTIONS, height=height)
            for a in AUCTIONS:
                au = get_auction(m.state, a)
                assert au is not None
                held_in_escrow = m.bal(escrow_account(a), height)
                assert held_in_escrow == (au.bid if au.status == "open" and au.bidder else 0)
            for key_ in KEYS:
                assert m.bal(key_, height) >= 0
        return dict(m.state.changes())

    assert run() == run()
