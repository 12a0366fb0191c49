"""Transaction fees: none by default; with a fee symbol and a gas price the sender pays
gas_used * gas_price // 1000 to the fee collector, also when the transaction fails, and
a sender that cannot cover the gas limit's fee is refused with insufficient_fee."""

from __future__ import annotations

from tests.unit.vm.gov_helpers import Chain, diff, holders_total
from tests.unit.vm.helpers import key
from vm import codes, ledger
from vm.ops.asset import AssetCreate, AssetIssue, Burn
from vm.ops.governance import GovPropose, ParamSet
from vm.ops.transfer import Transfer
from vm.params import FEE_COLLECTOR, chain_params, set_param

ISS, ALICE, BOB, M2 = key(1), key(2), key(3), key(4)
PRICE = 10  # per thousand gas: a 2,000-gas transfer costs 20
LIMIT = 10_000  # gas limit used below: the most a transaction may cost is 100


def chain(fees: bool = True, alice: int = 1_000) -> Chain:
    c = Chain((ISS, ("issuer",)))
    c.ok(ISS, AssetCreate("FEE", "Fee points", 0, 10**9))
    c.ok(ISS, AssetCreate("PTS", "Points", 0, 10**9))
    c.ok(ISS, AssetIssue("FEE", ALICE.address(), alice))
    c.ok(ISS, AssetIssue("PTS", ALICE.address(), 1_000))
    if fees:
        set_param(c.state, "fee_symbol", 0, "FEE")
        set_param(c.state, "gas_price", PRICE, "")
    return c


def conserved(c: Chain) -> None:
    for symbol in ("FEE", "PTS"):
        assert holders_total(c.state, symbol) == c.asset(symbol).outstanding


def test_no_fees_by_default() -> None:
    c = chain(fees=False)
    p = chain_params(c.state)
    assert (p.fee_symbol, p.gas_price) == ("", 0)
    r = c.ok(ALICE, Transfer("PTS", BOB.address(), 10), gas=LIMIT)
    assert r.gas_used == 2_000 and "fee" not in [e.kind for e in r.events]
    assert c.balance(ALICE.address(), "FEE") == 1_000
    assert c.balance(FEE_COLLECTOR, "FEE") == 0
    # a fee symbol without a price, or a price without a symbol, costs nothing either
    set_param(c.state, "fee_symbol", 0, "FEE")
    c.ok(ALICE, Transfer("PTS", BOB.address(), 10), gas=LIMIT)
    set_param(c.state, "fee_symbol", 0, "")
    set_param(c.state, "gas_price", PRICE, "")
    c.ok(ALICE, Transfer("PTS", BOB.address(), 10), gas=LIMIT)
    assert c.balance(ALICE.address(), "FEE") == 1_000


def test_sender_pays_gas_used_times_price() -> None:
    c = chain()
    r = c.ok(ALICE, Transfer("PTS", BOB.address(), 10), gas=LIMIT)
    assert r.gas_used == 2_000
    assert r.events[-1].kind == "fee" and r.events[-1].fields == ("FEE", ALICE.address(), 20)
    assert c.balance(ALICE.address(), "FEE") == 980
    assert c.balance(FEE_COLLECTOR, "FEE") == 20
    # the fee is on gas used, not on the gas limit
    c.ok(ALICE, Transfer("PTS", BOB.address(), 10), gas=50_000)
    assert c.balance(FEE_COLLECTOR, "FEE") == 40
    conserved(c)


def test_fee_rounds_down() -> None:
    c = chain()
    set_param(c.state, "gas_price", 1, "")
    set_param(c.state, "gas.transfer", 1_999, "")  # 2,999 gas -> 2.999 -> 2
    r = c.ok(ALICE, Transfer("PTS", BOB.address(), 10), gas=LIMIT)
    assert r.gas_used == 2_999 and c.balance(FEE_COLLECTOR, "FEE") == 2


def test_failed_transaction_still_pays() -> None:
    c = chain()
    before = c.snapshot()
    r = c.run(ALICE, Burn("PTS", 5_000), gas=LIMIT)
    assert r.code == codes.INSUFFICIENT_BALANCE
    assert [e.kind for e in r.events] == ["fee"]
    assert c.balance(ALICE.address(), "FEE") == 980 and c.balance(ALICE.address(), "PTS") == 1_000
    assert diff(before, c.snapshot()) == {
        ledger.nonce_key(ALICE.address()),
        ledger.balance_key(ALICE.address(), "FEE"),
        ledger.balance_key(FEE_COLLECTOR, "FEE"),
    }
    # out of gas pays for the whole gas limit
    r = c.run(ALICE, Transfer("PTS", BOB.address(), 1), gas=1_500)
    assert r.code == codes.OUT_OF_GAS and r.gas_used == 1_500
    assert c.balance(ALICE.address(), "FEE") == 980 - 15
    conserved(c)


def test_insufficient_fee_when_the_gas_limit_is_not_covered() -> None:
    c = chain(alice=99)
    before = c.snapshot()
    r = c.run(ALICE, Transfer("PTS", BOB.address(), 10), gas=LIMIT)  # may cost 100
    assert (r.code, r.gas_used, r.events) == (codes.INSUFFICIENT_FEE, 0, ())
    assert diff(before, c.snapshot()) == {ledger.nonce_key(ALICE.address())}
    r = c.ok(ALICE, Transfer("PTS", BOB.address(), 10), gas=9_900)  # may cost 99
    assert c.balance(ALICE.address(), "FEE") == 79
    # someone holding no fee points at all
    assert c.run(BOB, Transfer("PTS", ALICE.address(), 1), gas=LIMIT).code == codes.INSUFFICIENT_FEE


def test_operations_that_spend_the_fee_are_undone_and_the_fee_paid() -> None:
    c = chain()
    r = c.run(ALICE, Transfer("FEE", BOB.address(), 1_000), gas=LIMIT)
    assert r.code == codes.INSUFFICIENT_FEE and [e.kind for e in r.events] == ["fee"]
    assert c.balance(BOB.address(), "FEE") == 0
    assert c.balance(ALICE.address(), "FEE") == 980 and c.balance(FEE_COLLECTOR, "FEE") == 20
    c.ok(ALICE, Transfer("FEE", BOB.address(), 960), gas=LIMIT)  # 960 + 20 = 980
    assert c.balance(ALICE.address(), "FEE") == 0
    conserved(c)


def test_fees_switched_on_by_governance_apply_from_the_next_transaction() -> None:
    c = chain(fees=False)
    c.ok(ISS, AssetIssue("FEE", ISS.address(), 1_000))
    c.ok(ISS, GovPropose(ParamSet("fee_symbol", 0, "FEE"), "fees", 100))
    r = c.ok(ISS, GovPropose(ParamSet("gas_price", PRICE, ""), "price", 100))
    assert "fee" not in [e.kind for e in r.events]  # params are read as the tx starts
    assert chain_params(c.state).gas_price == PRICE
    r = c.ok(ALICE, Transfer("PTS", BOB.address(), 1), gas=LIMIT)
    assert r.events[-1].kind == "fee"
    # and the proposers pay for proposing and voting like anyone else
    r = c.ok(ISS, GovPropose(ParamSet("gas_price", 0, ""), "free again", 100), gas=20_000)
    assert r.events[-1].kind == "fee" and r.events[-1].fields[2] == (1_000 + 10_000) * PRICE // 1000
    assert chain_params(c.state).gas_price == 0
    r = c.ok(ALICE, Transfer("PTS", BOB.address(), 1), gas=LIMIT)
    assert "fee" not in [e.kind for e in r.events]
    conserved(c)


def test_fee_symbol_must_be_an_existing_point_type() -> None:
    c = chain(fees=False)
    # a fee in a point type nobody holds would stop every transaction, the votes to undo
    # it included: governance's action fails and nothing changes
    r = c.ok(ISS, GovPropose(ParamSet("fee_symbol", 0, "NOPE"), "fees", 100))
    failed = [e for e in r.events if e.kind == "gov.failed"]
    assert failed and failed[0].fields[1] == codes.UNKNOWN_ASSET
    assert chain_params(c.state).fee_symbol == ""
