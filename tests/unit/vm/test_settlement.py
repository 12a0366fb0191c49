"""Settlement between alliance members (vm/settlement.py and the settle.* operations)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.vm.gov_helpers import Chain
from tests.unit.vm.helpers import CHAIN, key
from vm import codes, governance, ledger, settlement
from vm.context import BlockContext, ExecContext
from vm.errors import ExecutionFailure
from vm.ops.asset import AssetCreate, AssetIssue
from vm.ops.payments import (
    TRANSIT,
    PayOrder,
    PayRefund,
    SettleCreditLimit,
    SettleMark,
    SettleParams,
    SettleReserve,
)

ISS, ISS2, SHOP, ALICE, PLAT = key(1), key(2), key(3), key(4), key(5)
I1, I2, S, A = ISS.address(), ISS2.address(), SHOP.address(), ALICE.address()
VALUE = 10_000  # millionths of CNY per point


def chain() -> Chain:
    """ALP issued by ISS, BET by ISS2 (both merchants too), SHOP a merchant, PLAT the
    platform; ALICE holds 1,000 of each."""
    c = Chain(
        (ISS, ("issuer", "merchant")),
        (ISS2, ("issuer", "merchant")),
        (SHOP, ("merchant",)),
        (PLAT, ("platform",)),
    )
    c.ok(ISS, AssetCreate("ALP", "Alpha", 0, 10**9, currency="CNY", unit_value=VALUE))
    c.ok(ISS2, AssetCreate("BET", "Beta", 0, 10**9, currency="CNY", unit_value=2 * VALUE))
    c.ok(ISS, AssetIssue("ALP", A, 1_000))
    c.ok(ISS2, AssetIssue("BET", A, 1_000))
    return c


def govern(c: Chain, op: object) -> None:
    ctx = ExecContext(c.state, BlockContext(CHAIN, c.height, c.time_ms), governance.GOVERNANCE)
    op.execute(ctx)  # type: ignore[attr-defined]


def pos(c: Chain, member: bytes, period: int = 0) -> int:
    return settlement.position(c.state, period, "CNY", member)


def test_payment_at_another_member_books_a_receivable() -> None:
    c = chain()
    r = c.ok(ALICE, PayOrder(S, b"o1", 30, "ALP"))
    assert r.events[0].kind == "settle.recorded"
    assert r.events[0].fields == ("ALP", S, I1, 0, 30, 30 * VALUE)
    assert pos(c, S) == 30 * VALUE and pos(c, I1) == -30 * VALUE
    c.ok(ALICE, PayOrder(I2, b"o1", 10, "ALP"))  # ALP paid at BET's issuer
    c.ok(ALICE, PayOrder(I1, b"o2", 10, "BET"))  # and BET at ALP's issuer
    assert pos(c, I2) == 10 * VALUE - 10 * 2 * VALUE
    assert pos(c, I1) == -40 * VALUE + 10 * 2 * VALUE
    assert pos(c, S) + pos(c, I1) + pos(c, I2) == 0
    r = c.ok(ALICE, PayOrder(I1, b"o3", 10, "ALP"))  # at the issuer itself: nothing
    assert [e.kind for e in r.events] == ["pay.paid"]


def test_refund_reverses_the_receivable() -> None:
    c = chain()
    c.ok(ALICE, PayOrder(S, b"o1", 30, "ALP"))
    r = c.ok(SHOP, PayRefund(b"o1", 10))
    assert [e.kind for e in r.events] == ["settle.reversed", "pay.refunded"]
    assert pos(c, S) == 20 * VALUE and pos(c, I1) == -20 * VALUE


def test_type_without_published_value_books_nothing() -> None:
    c = chain()
    c.ok(ISS, AssetCreate("ZED", "Zed", 0, 10**9))
    c.ok(ISS, AssetIssue("ZED", A, 10))
    r = c.ok(ALICE, PayOrder(S, b"z", 10, "ZED"))
    assert [e.kind for e in r.events] == ["pay.paid"]
    assert pos(c, S) == 0


def test_periods_follow_the_governed_length() -> None:
    c = chain()
    assert settlement.period_blocks(c.state) == settlement.DEFAULT_PERIOD_BLOCKS
    assert c.run(ISS, SettleParams(100)).code == codes.NOT_AUTHORIZED
    govern(c, SettleParams(100))
    c.at(99).ok(ALICE, PayOrder(S, b"a", 1, "ALP"))
    c.at(100).ok(ALICE, PayOrder(S, b"b", 2, "ALP"))
    assert pos(c, S, 0) == VALUE and pos(c, S, 1) == 2 * VALUE
    c.at(250).ok(SHOP, PayRefund(b"a", 1))  # booked in the period of the refund
    assert pos(c, S, 2) == -VALUE and pos(c, I1, 2) == VALUE


def test_credit_limit_and_reserve() -> None:
    c = chain()
    assert c.run(ISS, SettleCreditLimit(I1, "CNY", 10**9)).code == codes.NOT_AUTHORIZED
    govern(c, SettleCreditLimit(I1, "CNY", 100 * VALUE))
    c.ok(ALICE, PayOrder(S, b"a", 100, "ALP"))  # exactly at the limit
    r = c.run(ALICE, PayOrder(S, b"b", 1, "ALP"))
    assert r.code == codes.CREDIT_LIMIT_EXCEEDED
    assert c.balance(S, "ALP") == 100  # refused as a whole
    # the issuer prefunds a reserve; only governance may lower it
    assert c.run(SHOP, SettleReserve(I1, "CNY", VALUE)).code == codes.NOT_AUTHORIZED
    c.ok(ISS, SettleReserve(I1, "CNY", VALUE))
    assert c.run(ISS, SettleReserve(I1, "CNY", 0)).code == codes.NOT_AUTHORIZED
    c.ok(ALICE, PayOrder(S, b"b", 1, "ALP"))
    assert c.run(ALICE, PayOrder(S, b"c", 1, "ALP")).code == codes.CREDIT_LIMIT_EXCEEDED
    c.ok(SHOP, PayRefund(b"a", 5))  # a refund frees room
    c.ok(ALICE, PayOrder(S, b"c", 5, "ALP"))
    # netting: BET paid at ALP's issuer lowers what it owes
    c.ok(ALICE, PayOrder(I1, b"n", 1, "BET"))
    c.ok(ALICE, PayOrder(S, b"d", 2, "ALP"))
    # other issuers are not limited; a new period starts from zero
    c.ok(ALICE, PayOrder(S, b"e", 500, "BET"))
    c.at(settlement.DEFAULT_PERIOD_BLOCKS)
    c.ok(ALICE, PayOrder(S, b"f", 101, "ALP"))
    govern(c, SettleCreditLimit(I1, "CNY", 0, unlimited=True))
    govern(c, SettleReserve(I1, "CNY", 0))
    assert settlement.limit_of(c.state, I1, "CNY") == 0
    assert c.run(ALICE, PayOrder(S, b"g", 1, "ALP")).code == codes.CREDIT_LIMIT_EXCEEDED


def test_record_directly() -> None:
    c = chain()
    govern(c, SettleCreditLimit(I1, "CNY", VALUE))
    ctx = ExecContext(c.state, BlockContext(CHAIN, 5, 0), S)
    settlement.record(ctx, "ALP", S, 1)
    settlement.record(ctx, "ALP", I1, 10**6)  # at the issuer: nothing
    try:
        settlement.record(ctx, "ALP", S, 1)
        raise AssertionError("expected a refusal")
    except ExecutionFailure as exc:
        assert exc.code == codes.CREDIT_LIMIT_EXCEEDED


def test_mark_a_past_period() -> None:
    c = chain()
    govern(c, SettleParams(100))
    c.at(150)
    assert c.run(ALICE, SettleMark(0)).code == codes.NOT_AUTHORIZED
    assert c.run(PLAT, SettleMark(1)).code == codes.PERIOD_NOT_OVER
    r = c.ok(PLAT, SettleMark(0))
    assert r.events[0].kind == "settle.marked"
    assert settlement.settled(c.state, 0) == [150, PLAT.address()]
    assert c.run(PLAT, SettleMark(0)).code == codes.PERIOD_SETTLED
    c.at(200)
    govern(c, SettleMark(1))
    assert settlement.settled(c.state, 1) is not None


MEMBERS = [S, I1, I2]
MERCHANT_KEYS = {S: SHOP, I1: ISS, I2: ISS2}


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["pay", "refund"]),
            st.sampled_from(MEMBERS),
            st.sampled_from(["ALP", "BET"]),
            st.integers(1, 40),
            st.integers(0, 30),
        ),
        max_size=30,
    )
)
def test_net_positions_sum_to_zero(steps: list[tuple[str, bytes, str, int, int]]) -> None:
    c = chain()
    govern(c, SettleParams(50))
    paid: list[tuple[bytes, bytes]] = []
    height = 1
    for i, (kind, merchant, symbol, amount, dh) in enumerate(steps):
        height += dh
        c.at(height)
        if kind == "pay":
            order = f"o{i}".encode()
            if c.run(ALICE, PayOrder(merchant, order, amount, symbol)).ok:
                paid.append((merchant, order))
        elif paid:
            m, order = paid[amount % len(paid)]
            c.run(MERCHANT_KEYS[m], PayRefund(order, amount))
    for period in range(height // 50 + 1):
        assert sum(pos(c, m, period) for m in MEMBERS) == 0
    for symbol in ("ALP", "BET"):
        holders = [A, TRANSIT, *MEMBERS]
        balances = [ledger.get_balance(c.state, h, symbol) for h in holders]
        assert all(b >= 0 for b in balances)
        assert sum(balances) == c.asset(symbol).outstanding == 1_000
