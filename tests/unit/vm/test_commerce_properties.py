"""Commerce as one system: random sequences of listings' redemptions, auctions and bids,
settlements, merchant payments and refunds, and order-book orders and cancels, by random
actors over several blocks. After every block: every point type's supply equals the sum
of all holdings (escrows included) and never exceeds the cap, settlement positions of
every period and currency sum to zero; a failed transaction changes nothing but its
sender's nonce; the same sequence gives the same state twice."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from primitives.keys import ADDRESS_SIZE
from tests.unit.vm.helpers import block, founded, key, signed
from vm import ledger, settlement, tables
from vm.executor import execute_block, execute_transaction
from vm.ops.asset import AssetCreate, AssetIssue
from vm.ops.exchange import SIDES, ExCancel, ExOrder
from vm.ops.mall import (
    MallApply,
    MallApprove,
    MallAuction,
    MallBid,
    MallList,
    MallRedeem,
    MallSettle,
)
from vm.ops.payments import PayOrder, PayRefund
from vm.state import StateView

ALICE, SHOP, BOB, CAROL = key(41), key(42), key(43), key(44)
HOLDERS = (BOB, CAROL)
SYMBOLS = ("ALP", "CAF")

step = st.one_of(
    st.tuples(st.just("redeem"), st.integers(0, 1), st.integers(1, 3)),
    st.tuples(st.just("auction"), st.integers(1, 4), st.integers(50, 300)),
    st.tuples(st.just("bid"), st.integers(0, 1), st.integers(0, 3), st.integers(40, 400)),
    st.tuples(st.just("settle"), st.integers(0, 3)),
    st.tuples(
        st.just("pay"), st.integers(0, 1), st.integers(0, 1), st.integers(1, 300), st.integers(0, 1)
    ),
    st.tuples(st.just("refund"), st.integers(0, 1), st.integers(0, 5), st.integers(1, 300)),
    st.tuples(
        st.just("order"),
        st.integers(0, 1),
        st.integers(0, 1),
        st.integers(1, 30),
        st.integers(1, 9),
    ),
    st.tuples(st.just("cancel"), st.integers(0, 1), st.integers(1, 8)),
    st.tuples(
        st.just("block"),
    ),
)


def setup() -> tuple[StateView, dict[Any, int]]:
    state = founded(
        (ALICE, ("issuer", "platform", "merchant")),
        (SHOP, ("issuer", "merchant")),
        (BOB, ()),
        (CAROL, ()),
    )
    nonces: dict[Any, int] = {k: 0 for k in (ALICE, SHOP, BOB, CAROL)}
    txs = []

    def tx(k: Any, *ops: Any) -> None:
        txs.append(signed(k, nonces[k], *ops))
        nonces[k] += 1

    # ALP (alice's, no expiry) and CAF (shop's, points expire 12 blocks after issue)
    tx(ALICE, AssetCreate("ALP", "Alliance", 0, 10**9, currency="CNY", unit_value=10_000))
    tx(
        SHOP,
        AssetCreate("CAF", "Cafe", 0, 10**9, expiry_blocks=12, currency="CNY", unit_value=500_000),
    )
    for h in HOLDERS:
        tx(ALICE, AssetIssue("ALP", h.address(), 5_000))
        tx(SHOP, AssetIssue("CAF", h.address(), 500))
    tx(SHOP, MallApply("Corner Cafe"))
    tx(ALICE, MallApprove(SHOP.address()))
    tx(SHOP, MallList("mug", "Mug", "ALP", 40, 1_000))
    receipts = execute_block(state, txs, block(1))
    assert all(r.ok for r in receipts), [(r.code, r.message) for r in receipts]
    state.release()
    return state, nonces


def holdings(state: StateView, height: int) -> dict[str, int]:
    total = {s: 0 for s in SYMBOLS}
    for k, v in state.changes():
        if v is None or k[:1] != tables.BALANCE:
            continue
        n = k[1]
        account, symbol = k[2 : 2 + n], k[2 + n :].decode()
        total[symbol] += ledger.get_balance(state, account, symbol, height)
    return total


def positions(state: StateView) -> dict[tuple[int, str], int]:
    sums: dict[tuple[int, str], int] = {}
    for k, v in state.changes():
        if v is None or k[:1] != tables.SETTLE_POSITION:
            continue
        period, currency, member = settlement.parse_position_key(k)
        assert len(member) == ADDRESS_SIZE
        sums[(period, currency)] = sums.get((period, currency), 0) + settlement.position(
            state, period, currency, member
        )
    return sums


def run(seq: list[tuple[Any, ...]]) -> tuple[list[tuple[bytes, bytes | None]], list[bytes]]:
    state, nonces = setup()
    height, auctions, orders, receipts = 2, 0, 0, []

    def check(h: int) -> None:
        for symbol, held in holdings(state, h).items():
            asset = ledger.require_asset(state, symbol)
            assert asset.outstanding == held <= asset.cap, (symbol, asset, held)
        assert all(v == 0 for v in positions(state).values()), positions(state)

    for s in seq:
        kind = s[0]
        if kind == "block":
            height += 1
            execute_block(state, [], block(height))  # books any breakage due
            check(height)
            continue
        if kind == "redeem":
            k, op = HOLDERS[s[1]], MallRedeem("mug", s[2])
        elif kind == "auction":
            auctions += 1
            k, op = SHOP, MallAuction(f"a{auctions}", "Bike", "ALP", s[2], 10, height + s[1], 1)
        elif kind == "bid":
            k, op = HOLDERS[s[1]], MallBid(f"a{s[2] + 1}", s[3])
        elif kind == "settle":
            k, op = BOB, MallSettle(f"a{s[1] + 1}")
        elif kind == "pay":
            merchant = (ALICE, SHOP)[s[2]]
            orders += 1
            k, op = (
                HOLDERS[s[1]],
                PayOrder(merchant.address(), f"o{orders}".encode(), s[3], SYMBOLS[s[4]]),
            )
        elif kind == "refund":
            k, op = (ALICE, SHOP)[s[1]], PayRefund(f"o{s[2] + 1}".encode(), s[3])
        elif kind == "order":
            side = ("buy", "sell")[s[2]]
            k, op = HOLDERS[s[1]], ExOrder("CAF", "ALP", SIDES[side], s[3], s[4], 1, height + 5)
        else:
            k, op = HOLDERS[s[1]], ExCancel(s[2])
        before = dict(state.changes())
        r = execute_transaction(state, signed(k, nonces[k], op), block(height))
        nonces[k] += 1
        receipts.append(r.encode())
        after = dict(state.changes())
        if not r.ok:
            changed = {
                key for key in before.keys() | after.keys() if before.get(key) != after.get(key)
            }
            assert changed <= {ledger.nonce_key(k.address())}, (r.code, changed)
        check(height)
    return state.changes(), receipts


@given(st.lists(step, max_size=40))
@settings(max_examples=60, deadline=None, derandomize=True)
def test_commerce_invariants_and_repeatability(seq: list[tuple[Any, ...]]) -> None:
    first = run(seq)
    assert run(seq) == first
