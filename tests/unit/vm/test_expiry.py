"""Dated lots and exact lazy expiry (vm/ledger.py): points issued at height h of a type
with `expiry_blocks` N are spendable at h + N - 1 and not at h + N; breakage is booked at
the start of block h + N whether or not anyone holding them is touched; a holder's
expired lots are dropped (asset.expired) when it is next touched, without booking twice.
"""

from __future__ import annotations

from primitives import codec
from primitives.keys import PrivateKey
from tests.unit.vm.helpers import block, founded, key, signed
from vm import codes, ledger
from vm.executor import begin_block, execute_block, execute_transaction
from vm.ops.asset import AssetClawback, AssetCreate, AssetIssue, Burn
from vm.ops.registry import Operation
from vm.ops.transfer import Transfer, TransferBatch
from vm.receipt import Event, Receipt
from vm.state import StateView

ISSUER, BOB, CAROL, DAVE = key(1), key(2), key(3), key(4)
N = 10  # expiry_blocks of EXP
RULES = ledger.TRANSFERABLE | ledger.CLAWBACK


def run(state: StateView, k: PrivateKey, *ops: Operation, h: int) -> Receipt:
    nonce = ledger.get_nonce(state, k.address())
    r = execute_transaction(state, signed(k, nonce, *ops), block(h))
    return r


def setup(order: int = ledger.OLDEST_FIRST, expiry: int = N, symbol: str = "EXP") -> StateView:
    state = founded((ISSUER, ("issuer",)))
    op = AssetCreate(symbol, "Expiring", 0, 10**9, RULES, expiry_blocks=expiry, spend_order=order)
    assert run(state, ISSUER, op, h=1).ok
    return state


def issue(state: StateView, to: PrivateKey, amount: int, h: int, symbol: str = "EXP") -> None:
    r = run(state, ISSUER, AssetIssue(symbol, to.address(), amount), h=h)
    assert r.ok, r.message


def bal(state: StateView, k: PrivateKey, h: int, symbol: str = "EXP") -> int:
    return ledger.get_balance(state, k.address(), symbol, h)


def stored(state: StateView, k: PrivateKey, symbol: str = "EXP") -> object:
    raw = state.get(ledger.balance_key(k.address(), symbol))
    return None if raw is None else codec.decode(raw)


def asset(state: StateView, symbol: str = "EXP") -> ledger.PointType:
    a = ledger.get_asset(state, symbol)
    assert a is not None
    return a


def empty_blocks(state: StateView, first: int, last: int) -> None:
    for h in range(first, last + 1):
        assert execute_block(state, [], block(h)) == []


def expired_events(r: Receipt) -> list[Event]:
    return [e for e in r.events if e.kind == "asset.expired"]


# --- the boundary --------------------------------------------------------------------


def test_spendable_until_h_plus_n_minus_1() -> None:
    state = setup()
    issue(state, BOB, 100, h=5)  # expires at 15
    assert ledger.lots_of(state, BOB.address(), "EXP", 5) == [[15, 100]]
    assert bal(state, BOB, 14) == 100 and bal(state, BOB, 15) == 0
    empty_blocks(state, 6, 14)
    assert run(state, BOB, Transfer("EXP", CAROL.address(), 40), h=14).ok
    empty_blocks(state, 15, 15)
    r = run(state, BOB, Transfer("EXP", CAROL.address(), 1), h=15)
    assert r.code == codes.INSUFFICIENT_BALANCE
    r = run(state, CAROL, Burn("EXP", 1), h=15)
    assert r.code == codes.INSUFFICIENT_BALANCE
    assert bal(state, BOB, 15) == 0 and bal(state, CAROL, 15) == 0


def test_one_block_expiry() -> None:
    state = setup(expiry=1)
    issue(state, BOB, 7, h=3)
    assert run(state, BOB, Transfer("EXP", CAROL.address(), 2), h=3).ok  # h + N - 1 = h
    empty_blocks(state, 4, 4)
    assert asset(state).expired == 7 and asset(state).outstanding == 0
    assert run(state, CAROL, Burn("EXP", 1), h=4).code == codes.INSUFFICIENT_BALANCE


def test_breakage_booked_at_the_start_of_block_h_plus_n_without_touching_holders() -> None:
    state = setup()
    issue(state, BOB, 100, h=5)
    issue(state, CAROL, 30, h=5)
    empty_blocks(state, 6, 14)
    a = asset(state)
    assert (a.expired, a.outstanding) == (0, 130)
    assert state.get(ledger.bucket_key("EXP", 15)) == codec.encode(130)
    begin_block(state, block(15))  # an empty block: nobody is touched
    a = asset(state)
    assert (a.issued, a.expired, a.outstanding) == (130, 130, 0)
    # booked and gone: the bucket and the due list are deleted
    assert state.get(ledger.bucket_key("EXP", 15)) is None
    assert state.get(ledger.due_key(15)) is None
    # the holders' lots stay stored until they are next touched (lazy)
    assert stored(state, BOB) == [[15, 100]] and stored(state, CAROL) == [[15, 30]]
    assert ledger.get_balance(state, BOB.address(), "EXP") == 100  # stored, not spendable
    assert bal(state, BOB, 15) == 0
    # later blocks book nothing more
    empty_blocks(state, 16, 30)
    assert asset(state).expired == 130


def test_execute_block_books_before_its_transactions() -> None:
    state = setup()
    issue(state, BOB, 50, h=2)  # expires at 12
    empty_blocks(state, 3, 11)
    stx = signed(BOB, 0, Transfer("EXP", CAROL.address(), 1))
    (r,) = execute_block(state, [stx], block(12))
    assert r.code == codes.INSUFFICIENT_BALANCE
    assert asset(state).expired == 50


def test_lazy_sweep_emits_once_and_does_not_book_twice() -> None:
    state = setup()
    issue(state, BOB, 100, h=5)  # expires at 15
    issue(state, BOB, 20, h=8)  # expires at 18
    empty_blocks(state, 9, 15)
    assert asset(state).expired == 100
    # BOB's next touch (receiving) drops the expired lot with one event
    r = run(state, ISSUER, AssetIssue("EXP", BOB.address(), 5), h=16)
    assert r.ok
    assert expired_events(r) == [Event("asset.expired", ("EXP", BOB.address(), 100))]
    assert stored(state, BOB) == [[18, 20], [26, 5]]
    assert asset(state).expired == 100  # the sweep books nothing
    # the next touch has nothing left to sweep
    r = run(state, BOB, Transfer("EXP", CAROL.address(), 3), h=16)
    assert r.ok and expired_events(r) == []
    assert stored(state, CAROL) == [[18, 3]]  # the lot kept its expiry
    empty_blocks(state, 17, 18)
    a = asset(state)
    assert (a.expired, a.outstanding) == (100 + 17 + 3, 5)
    # a sending touch sweeps too
    r = run(state, BOB, Burn("EXP", 5), h=19)
    assert r.ok and expired_events(r) == [Event("asset.expired", ("EXP", BOB.address(), 17))]
    assert stored(state, BOB) is None  # 0 is deleted
    a = asset(state)
    assert (a.issued, a.redeemed, a.expired, a.outstanding) == (125, 5, 120, 0)


def test_a_failed_transaction_does_not_sweep() -> None:
    state = setup()
    issue(state, BOB, 100, h=5)
    empty_blocks(state, 6, 15)
    r = run(state, BOB, Transfer("EXP", CAROL.address(), 1), h=15)
    assert r.code == codes.INSUFFICIENT_BALANCE and r.events == ()
    assert stored(state, BOB) == [[15, 100]]  # rolled back with the transaction
    assert asset(state).expired == 100


# --- lots across holders -------------------------------------------------------------


def test_a_lot_keeps_its_expiry_across_transfers() -> None:
    state = setup()
    issue(state, BOB, 100, h=5)  # expires at 15
    assert run(state, BOB, Transfer("EXP", CAROL.address(), 60), h=10).ok
    assert run(state, CAROL, Transfer("EXP", DAVE.address(), 25), h=12).ok
    issue(state, CAROL, 10, h=12)  # expires at 22
    assert ledger.lots_of(state, CAROL.address(), "EXP", 12) == [[15, 35], [22, 10]]
    assert ledger.lots_of(state, DAVE.address(), "EXP", 12) == [[15, 25]]
    empty_blocks(state, 13, 15)
    assert (bal(state, BOB, 15), bal(state, CAROL, 15), bal(state, DAVE, 15)) == (0, 10, 0)
    a = asset(state)
    assert (a.expired, a.outstanding) == (100, 10)


def test_batch_moves_lots_with_their_expiry() -> None:
    state = setup()
    issue(state, BOB, 10, h=2)  # 12
    issue(state, BOB, 10, h=4)  # 14
    items = ((CAROL.address(), 6), (DAVE.address(), 8))
    assert run(state, BOB, TransferBatch("EXP", items), h=5).ok
    assert ledger.lots_of(state, CAROL.address(), "EXP", 5) == [[12, 6]]
    assert ledger.lots_of(state, DAVE.address(), "EXP", 5) == [[12, 4], [14, 4]]
    assert ledger.lots_of(state, BOB.address(), "EXP", 5) == [[14, 6]]


def test_spend_order_oldest_first() -> None:
    state = setup(ledger.OLDEST_FIRST)
    issue(state, BOB, 10, h=2)  # 12
    issue(state, BOB, 10, h=3)  # 13
    issue(state, BOB, 10, h=4)  # 14
    assert run(state, BOB, Transfer("EXP", CAROL.address(), 15), h=5).ok
    assert ledger.lots_of(state, CAROL.address(), "EXP", 5) == [[12, 10], [13, 5]]
    assert ledger.lots_of(state, BOB.address(), "EXP", 5) == [[13, 5], [14, 10]]
    empty_blocks(state, 6, 12)
    assert bal(state, CAROL, 12) == 5 and bal(state, BOB, 12) == 15


def test_spend_order_newest_first() -> None:
    state = setup(ledger.NEWEST_FIRST)
    issue(state, BOB, 10, h=2)  # 12
    issue(state, BOB, 10, h=3)  # 13
    issue(state, BOB, 10, h=4)  # 14
    assert run(state, BOB, Transfer("EXP", CAROL.address(), 15), h=5).ok
    assert ledger.lots_of(state, CAROL.address(), "EXP", 5) == [[13, 5], [14, 10]]
    assert ledger.lots_of(state, BOB.address(), "EXP", 5) == [[12, 10], [13, 5]]
    empty_blocks(state, 6, 12)
    assert bal(state, CAROL, 12) == 15 and bal(state, BOB, 12) == 5
    assert asset(state).expired == 10


# --- redeem and clawback before expiry -------------------------------------------------


def test_redeem_and_clawback_reduce_future_breakage_exactly() -> None:
    state = setup()
    issue(state, BOB, 100, h=5)  # 15
    assert run(state, BOB, Burn("EXP", 30), h=8).ok
    assert run(state, ISSUER, AssetClawback("EXP", BOB.address(), 20, "fraud"), h=9).ok
    assert state.get(ledger.bucket_key("EXP", 15)) == codec.encode(50)
    empty_blocks(state, 10, 15)
    a = asset(state)
    assert (a.issued, a.redeemed, a.clawed_back, a.expired, a.outstanding) == (100, 30, 20, 50, 0)


def test_redeeming_everything_leaves_no_breakage() -> None:
    state = setup()
    issue(state, BOB, 100, h=5)
    assert run(state, BOB, Burn("EXP", 100), h=6).ok
    assert state.get(ledger.bucket_key("EXP", 15)) is None
    empty_blocks(state, 7, 15)
    a = asset(state)
    assert (a.redeemed, a.expired, a.outstanding) == (100, 0, 0)
    assert state.get(ledger.due_key(15)) is None


def test_burn_takes_from_the_buckets_in_spend_order() -> None:
    for order, breakage in ((ledger.OLDEST_FIRST, (0, 50)), (ledger.NEWEST_FIRST, (50, 0))):
        state = setup(order)
        issue(state, BOB, 100, h=5)  # 15
        issue(state, BOB, 100, h=7)  # 17
        assert run(state, BOB, Burn("EXP", 150), h=8).ok
        empty_blocks(state, 9, 15)
        assert asset(state).expired == breakage[0]
        empty_blocks(state, 16, 17)
        assert asset(state).expired == breakage[0] + breakage[1]
        assert asset(state).outstanding == 0


def test_expired_points_cannot_be_clawed_back() -> None:
    state = setup()
    issue(state, BOB, 100, h=5)
    empty_blocks(state, 6, 15)
    r = run(state, ISSUER, AssetClawback("EXP", BOB.address(), 1), h=15)
    assert r.code == codes.INSUFFICIENT_BALANCE
    a = asset(state)
    assert (a.expired, a.clawed_back) == (100, 0)


# --- several types, no expiry -----------------------------------------------------------


def test_types_due_at_the_same_height_are_each_booked() -> None:
    state = setup(expiry=10, symbol="AAA")
    op = AssetCreate("BBB", "B", 0, 10**9, RULES, expiry_blocks=5)
    assert run(state, ISSUER, op, h=1).ok
    issue(state, BOB, 7, h=5, symbol="AAA")  # 15
    issue(state, CAROL, 9, h=10, symbol="BBB")  # 15
    assert state.get(ledger.due_key(15)) == codec.encode(["AAA", "BBB"])
    empty_blocks(state, 11, 15)
    assert asset(state, "AAA").expired == 7 and asset(state, "BBB").expired == 9


def test_points_without_expiry_never_expire() -> None:
    state = setup(expiry=0, symbol="KEEP")
    issue(state, BOB, 100, h=5, symbol="KEEP")
    assert stored(state, BOB, "KEEP") == 100  # a plain integer, no lots
    assert bal(state, BOB, 10**9, "KEEP") == 100
    empty_blocks(state, 6, 40)
    assert asset(state, "KEEP").expired == 0
    assert run(state, BOB, Transfer("KEEP", CAROL.address(), 100), h=10**6).ok
