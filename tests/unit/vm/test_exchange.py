"""Exchange: the limit order book (price-time priority, partial fills, cancel, expiry,
rounding) and conversion agreements (rate, fee, daily limit, reserve)."""

from __future__ import annotations

from typing import cast

from hypothesis import given, settings
from hypothesis import strategies as st

from primitives import codec
from tests.unit.vm.gov_helpers import Chain, holders_total
from tests.unit.vm.helpers import CHAIN, key
from vm import codes, governance, ledger, settlement
from vm.context import BlockContext, ExecContext
from vm.errors import ExecutionFailure
from vm.ops.asset import AssetCreate, AssetIssue
from vm.ops.exchange import (
    BUY,
    MAX_FILLS,
    SELL,
    ExAgreement,
    ExCancel,
    ExConvert,
    ExExpire,
    ExFundReserve,
    ExOrder,
    ExWithdrawReserve,
    get_agreement,
    get_book,
    get_order,
    order_escrow,
    reserve_account,
)

IA, IB = key(1), key(2)  # issuers of AAA and BBB
U1, U2, U3 = key(11), key(12), key(13)


def chain() -> Chain:
    c = Chain((IA, ("issuer",)), (IB, ("issuer",)))
    c.ok(IA, AssetCreate("AAA", "A points", 0, 10**15, currency="EUR", unit_value=5_000))
    c.ok(IB, AssetCreate("BBB", "B points", 0, 10**15))
    c.ok(IB, AssetCreate("LOCK", "untradeable", 0, 10**15, ledger.TRANSFERABLE))
    for u in (U1, U2, U3):
        c.ok(IA, AssetIssue("AAA", u.address(), 10**6))
        c.ok(IB, AssetIssue("BBB", u.address(), 10**6))
    c.ok(IB, AssetIssue("BBB", IB.address(), 10**6))
    return c


def sell(amount: int, num: int, den: int = 1, expiry: int = 1000) -> ExOrder:
    return ExOrder("AAA", "BBB", SELL, amount, num, den, expiry)


def buy(amount: int, num: int, den: int = 1, expiry: int = 1000) -> ExOrder:
    return ExOrder("AAA", "BBB", BUY, amount, num, den, expiry)


def last_order_id(c: Chain) -> int:
    return ledger.get_int(c.state, b"l")


def bal(c: Chain, k: object, symbol: str) -> int:
    return c.balance(k.address(), symbol)  # type: ignore[attr-defined]


def conserved(c: Chain) -> None:
    for s in ("AAA", "BBB"):
        assert holders_total(c.state, s) == c.asset(s).outstanding


def test_price_time_priority_and_partial_fill() -> None:
    c = chain()
    c.ok(U1, sell(100, 3))  # 1: ask 3
    c.ok(U2, sell(100, 2))  # 2: ask 2 (better)
    c.ok(U3, sell(50, 2))  # 3: ask 2, later
    r = c.ok(U3, buy(180, 3))  # takes 2 @2, then 3 @2 (50), then 30 of 1 @3
    fills = [e.fields for e in r.events if e.kind == "ex.fill"]
    assert [(f[0], f[2], f[3]) for f in fills] == [(2, 100, 200), (3, 50, 100), (1, 30, 90)]
    assert get_order(c.state, 1).remaining == 70  # type: ignore[union-attr]
    assert get_order(c.state, 4).status == "filled"  # type: ignore[union-attr]
    # the buyer escrowed 540 and paid 390: the rest came back
    assert bal(c, U3, "BBB") == 10**6 - 390 + 100  # also received 100 as seller of order 3
    assert bal(c, U2, "BBB") == 10**6 + 200
    assert get_book(c.state, "AAA", "BBB") == [[], [[3, 1, [1]]]]
    conserved(c)


def test_buy_rests_and_is_matched_at_its_price() -> None:
    c = chain()
    c.ok(U1, buy(10, 5, 2))  # bid 2.5: escrow ceil(25) = 25
    assert ledger.get_balance(c.state, order_escrow(1), "BBB") == 25
    c.ok(U2, buy(10, 3))  # bid 3: better
    r = c.ok(U3, sell(15, 1))  # sells at the resting prices: 10 @3, then 5 @2.5
    fills = [e.fields for e in r.events if e.kind == "ex.fill"]
    assert [(f[0], f[2], f[3]) for f in fills] == [(2, 10, 30), (1, 5, 12)]
    assert bal(c, U3, "BBB") == 10**6 + 42
    assert get_order(c.state, 1).remaining == 5  # type: ignore[union-attr]
    conserved(c)


def test_rounding_favours_the_book_and_dust_returns_to_its_owner() -> None:
    c = chain()
    c.ok(U1, buy(3, 1, 3))  # price 1/3: escrow ceil(1) = 1
    c.ok(U2, buy(10, 1, 3))  # escrow ceil(10/3) = 4
    assert ledger.get_balance(c.state, order_escrow(2), "BBB") == 4
    # sells 3 to order 1 for 1 BBB; its last unit would fetch floor(1/3) = 0 from order 2
    # and is worth floor(1/4) = 0 at its own price: returned, nothing given away
    c.ok(U3, sell(4, 1, 4))
    o3 = get_order(c.state, 3)
    assert o3 is not None and o3.status == "filled" and o3.remaining == 1
    assert bal(c, U3, "AAA") == 10**6 - 3 and bal(c, U3, "BBB") == 10**6 + 1
    assert get_order(c.state, 1).status == "filled"  # type: ignore[union-attr]
    c.ok(U3, sell(5, 1, 3))  # the seller receives floor(5/3) = 1
    assert bal(c, U3, "BBB") == 10**6 + 2
    assert ledger.get_balance(c.state, order_escrow(2), "BBB") == 3
    before = bal(c, U2, "BBB")
    c.ok(U2, ExCancel(2))
    assert bal(c, U2, "BBB") == before + 3  # escrow 4, paid 1: the rest, dust included
    assert ledger.get_balance(c.state, order_escrow(2), "BBB") == 0
    assert bal(c, U2, "AAA") == 10**6 + 5
    conserved(c)


def test_cancel_returns_exact_and_only_by_owner() -> None:
    c = chain()
    c.ok(U1, sell(100, 2))
    c.ok(U2, buy(40, 2))
    assert c.run(U2, ExCancel(1)).code == codes.NOT_ORDER_OWNER
    assert c.run(U1, ExCancel(99)).code == codes.UNKNOWN_BOOK_ORDER
    c.ok(U1, ExCancel(1))
    assert bal(c, U1, "AAA") == 10**6 - 40
    assert bal(c, U1, "BBB") == 10**6 + 80
    assert c.run(U1, ExCancel(1)).code == codes.BOOK_ORDER_CLOSED
    assert get_book(c.state, "AAA", "BBB") == [[], []]
    conserved(c)


def test_expiry_boundary_height() -> None:
    c = chain()
    c.at(10).ok(U1, sell(100, 2, expiry=20))
    assert c.at(20).run(U3, ExExpire(1)).code == codes.ORDER_NOT_EXPIRED
    r = c.at(20).ok(U2, buy(10, 2, expiry=20))  # live at its expiry height
    assert any(e.kind == "ex.fill" for e in r.events)
    r = c.at(21).ok(U2, buy(10, 2, expiry=30))  # expired: skipped and refunded
    assert not any(e.kind == "ex.fill" for e in r.events)
    assert get_order(c.state, 1).status == "expired"  # type: ignore[union-attr]
    assert bal(c, U1, "AAA") == 10**6 - 10
    assert c.at(21).run(U1, buy(1, 1, expiry=20)).code == codes.BAD_DEADLINE
    assert c.at(31).ok(U3, ExExpire(3))  # anyone, after expiry
    assert bal(c, U2, "BBB") == 10**6 - 20
    conserved(c)


def test_refusals() -> None:
    c = chain()
    assert c.run(U1, ExOrder("AAA", "LOCK", SELL, 1, 1, 1, 10)).code == codes.NOT_TRADEABLE
    assert c.run(U1, ExOrder("AAA", "AAA", SELL, 1, 1, 1, 10)).code == codes.BAD_PRICE
    assert c.run(U1, ExOrder("AAA", "ZZZ", SELL, 1, 1, 1, 10)).code == codes.UNKNOWN_ASSET
    assert c.run(U1, sell(1, 1, 2)).code == codes.ORDER_TOO_SMALL
    assert c.run(U1, sell(10**7, 1)).code == codes.INSUFFICIENT_BALANCE
    assert c.run(U1, sell(0, 1)).code == codes.INVALID_AMOUNT


def test_bounded_fills_refund_the_rest_and_charge_gas() -> None:
    c = chain()
    for _ in range(MAX_FILLS + 2):
        c.ok(U1, sell(1, 1))
    r = c.ok(U2, buy(MAX_FILLS + 2, 1), gas=5_000_000)
    assert sum(e.kind == "ex.fill" for e in r.events) == MAX_FILLS
    assert get_order(c.state, MAX_FILLS + 3).status == "filled"  # type: ignore[union-attr]
    assert bal(c, U2, "BBB") == 10**6 - MAX_FILLS
    assert c.run(U2, buy(2, 1), gas=8_000).code == codes.OUT_OF_GAS
    conserved(c)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2),  # who
            st.integers(0, 4),  # sell, buy, cancel, expire, convert
            st.integers(1, 50),  # amount
            st.integers(1, 9),  # price num
            st.integers(1, 4),  # price den
            st.integers(0, 6),  # expiry offset / order pick
        ),
        max_size=30,
    )
)
def test_random_orders_conserve_supply(steps: list[tuple[int, ...]]) -> None:
    c, converted = _random_run(steps)
    again, _ = _random_run(steps)
    assert sorted(c.state.changes()) == sorted(again.state.changes())  # deterministic
    users = (U1, U2, U3)
    c.at(10_000)
    for oid in range(1, last_order_id(c) + 1):
        o = get_order(c.state, oid)
        assert o is not None
        if o.status == "open":
            c.ok(U3, ExExpire(oid))
    left = ledger.get_balance(c.state, reserve_account(1), "BBB")
    # nothing created or lost: AAA only burned by conversions, BBB only paid from the reserve
    assert sum(bal(c, u, "AAA") for u in users) == 3 * 10**6 - converted
    assert sum(bal(c, u, "BBB") for u in users) == 3 * 10**6 + (10**5 - left)
    assert get_book(c.state, "AAA", "BBB") == [[], []]
    conserved(c)


def _random_run(steps: list[tuple[int, ...]]) -> tuple[Chain, int]:
    c = chain()
    govern(c, ExAgreement(1, "AAA", "BBB", 3, 2, 10**6, 50, True))
    c.ok(IB, ExFundReserve(1, 10**5))
    users = (U1, U2, U3)
    converted = 0
    for i, (who, kind, amount, num, den, extra) in enumerate(steps):
        c.at(10 + i)
        k = users[who]
        if kind < 2:
            c.run(k, ExOrder("AAA", "BBB", kind ^ 1, amount, num, den, 10 + i + extra))
        elif kind == 4:
            if c.run(k, ExConvert(1, amount)).ok:
                converted += amount
        elif last_order_id(c):
            oid = 1 + extra % last_order_id(c)
            c.run(k, ExCancel(oid) if kind == 2 else ExExpire(oid))
        conserved(c)
        bids, asks = get_book(c.state, "AAA", "BBB")
        if bids and asks:  # the book never crosses: best bid below best ask
            bn, bd = cast("list[int]", bids[0][:2])
            an, ad = cast("list[int]", asks[0][:2])
            assert bn * ad < an * bd
    return c, converted


# --- conversion agreements ------------------------------------------------------------


def govern(c: Chain, op: object) -> None:
    ctx = ExecContext(c.state, BlockContext(CHAIN, c.height, c.time_ms), governance.GOVERNANCE)
    op.execute(ctx)  # type: ignore[attr-defined]


def test_conversion_rate_fee_limit_reserve() -> None:
    c = chain()
    govern(c, ExAgreement(1, "AAA", "BBB", 3, 2, 500, 100, True))  # 1.5 BBB per AAA, 1%
    a = get_agreement(c.state, 1)
    assert a is not None and a.rate_num == 3 and a.fee_bps == 100
    assert c.run(U1, ExConvert(1, 10)).code == codes.RESERVE_SHORT
    assert c.run(U1, ExFundReserve(1, 100)).code == codes.NOT_ISSUER
    c.ok(IB, ExFundReserve(1, 10_000))
    outstanding_a = c.asset("AAA").outstanding
    r = c.ok(U1, ExConvert(1, 101))  # gross floor(151.5)=151, fee ceil(1.51)=2, paid 149
    recorded = [e.fields for e in r.events if e.kind == "settle.recorded"]
    assert [f[:3] for f in recorded] == [("AAA", IB.address(), IA.address())]
    assert [e.fields for e in r.events if e.kind == "ex.converted"][0][2:] == (101, 149, 2)
    assert bal(c, U1, "AAA") == 10**6 - 101 and bal(c, U1, "BBB") == 10**6 + 149
    assert c.asset("AAA").outstanding == outstanding_a - 101  # burned
    assert ledger.get_balance(c.state, reserve_account(1), "BBB") == 10_000 - 149
    c.ok(U1, ExConvert(1, 399))  # exactly the daily limit of 500
    assert c.run(U2, ExConvert(1, 2)).code == codes.CONVERSION_LIMIT
    c.at(c.height + 1, c.time_ms + ledger.DAY_MS)
    assert c.run(U2, ExConvert(1, 1)).code == codes.ORDER_TOO_SMALL  # 1 - fee 1 = 0
    c.ok(U2, ExConvert(1, 2))  # a new day
    assert c.run(U2, ExConvert(1, 10**7)).code == codes.CONVERSION_LIMIT
    govern(c, ExAgreement(1, "AAA", "BBB", 3, 2, 500, 100, False))
    assert c.run(U2, ExConvert(1, 1)).code == codes.AGREEMENT_INACTIVE
    assert c.run(U2, ExConvert(2, 1)).code == codes.UNKNOWN_AGREEMENT
    assert c.run(U1, ExWithdrawReserve(1, 5)).code == codes.NOT_ISSUER
    assert c.run(IB, ExWithdrawReserve(1, 10**6)).code == codes.RESERVE_SHORT
    c.ok(IB, ExWithdrawReserve(1, 100))
    conserved(c)


def test_agreement_is_governance_only() -> None:
    c = chain()
    r = c.run(IA, ExAgreement(1, "AAA", "BBB", 1, 1, 10, 0, True))
    assert r.code == codes.NOT_AUTHORIZED
    govern(c, ExAgreement(1, "AAA", "BBB", 1, 1, 10, 0, True))
    try:
        govern(c, ExAgreement(1, "BBB", "AAA", 1, 1, 10, 0, True))
    except ExecutionFailure as exc:
        assert exc.code == codes.DUPLICATE
    else:
        raise AssertionError("changing an agreement's pair must fail")


def test_conversion_is_all_or_nothing() -> None:
    c = chain()
    govern(c, ExAgreement(1, "AAA", "BBB", 2, 1, 10**6, 0, True))
    c.ok(IB, ExFundReserve(1, 50))
    before = c.snapshot()
    assert c.run(U1, ExConvert(1, 30)).code == codes.RESERVE_SHORT  # needs 60
    after = c.snapshot()
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {ledger.nonce_key(U1.address())}


def test_escrowed_lots_keep_their_expiry() -> None:
    c = chain()
    c.ok(IA, AssetCreate("EXP", "expiring", 0, 10**9, ledger.DEFAULT_RULES, 100))
    c.at(10).ok(IA, AssetIssue("EXP", U1.address(), 50))  # lot expires at 110
    c.at(20).ok(U1, ExOrder("EXP", "BBB", SELL, 50, 1, 1, 10_000))
    lots = ledger.lots_of(c.state, order_escrow(1), "EXP", 20)
    assert lots == [[110, 50]]
    c.at(30).ok(U2, ExOrder("EXP", "BBB", BUY, 10, 1, 1, 10_000))
    assert ledger.lots_of(c.state, U2.address(), "EXP", 30) == [[110, 10]]
    r = c.at(110).ok(U3, ExOrder("EXP", "BBB", BUY, 10, 1, 1, 10_000))  # escrow expired
    assert not any(e.kind == "ex.fill" for e in r.events)
    assert get_order(c.state, 1).status == "expired"  # type: ignore[union-attr]
    assert get_order(c.state, 3).status == "open"  # type: ignore[union-attr]


def test_conversion_within_the_from_issuers_settlement_limit() -> None:
    c = chain()
    govern(c, ExAgreement(1, "AAA", "BBB", 1, 1, 10**6, 0, True))
    c.ok(IB, ExFundReserve(1, 10_000))
    # AAA is worth 5,000 millionths of EUR a point: a credit limit of 1 EUR covers 200
    c.state.put(settlement.credit_key(IA.address(), "EUR"), codec.encode(1_000_000))
    c.ok(U1, ExConvert(1, 150))
    period = settlement.period_of(c.state, c.height)
    assert settlement.position(c.state, period, "EUR", IB.address()) == 150 * 5_000
    assert settlement.position(c.state, period, "EUR", IA.address()) == -150 * 5_000
    before = bal(c, U1, "AAA")
    assert c.run(U1, ExConvert(1, 51)).code == codes.CREDIT_LIMIT_EXCEEDED
    assert bal(c, U1, "AAA") == before  # all or nothing
    c.ok(U1, ExConvert(1, 50))


def test_a_worthless_remainder_is_returned_not_rested_across_the_book() -> None:
    c = chain()
    c.ok(U1, sell(10, 1, 3))  # ask 1/3
    c.ok(U2, buy(1, 1))  # 1 base at 1/3 fetches floor(1/3) = 0: no trade, no crossed bid
    o = get_order(c.state, 2)
    assert o is not None and (o.status, o.remaining) == ("cancelled", 1)
    assert bal(c, U2, "BBB") == 10**6 and bal(c, U1, "AAA") == 10**6 - 10
    assert get_book(c.state, "AAA", "BBB") == [[], [[1, 3, [1]]]]
    conserved(c)
