"""Execution of the foundation operations: effects, failures, gas, nonces."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from primitives import codec
from tests.unit.vm.helpers import CHAIN, block, founded, key, signed
from vm import codes, ledger
from vm.executor import execute_block, execute_transaction
from vm.ops.asset import AssetCreate, AssetIssue, Burn
from vm.ops.transfer import Transfer
from vm.state import StateView

ALICE, BOB = key(1), key(2)


def fresh_with_points(amount: int = 1_000) -> StateView:
    state = founded((ALICE, ("issuer",)))
    receipts = execute_block(
        state,
        [
            signed(ALICE, 0, AssetCreate("PTS", "Points", 2, 10**9)),
            signed(ALICE, 1, AssetIssue("PTS", ALICE.address(), amount)),
        ],
        block(),
    )
    assert [r.code for r in receipts] == [codes.OK, codes.OK]
    return state


def test_create_issue_transfer_burn() -> None:
    state = fresh_with_points()
    r = execute_transaction(state, signed(ALICE, 2, Transfer("PTS", BOB.address(), 300)), block())
    assert r.ok and r.events[0].kind == "transfer"
    r = execute_transaction(state, signed(BOB, 0, Burn("PTS", 100)), block())
    assert r.ok
    assert ledger.get_balance(state, ALICE.address(), "PTS") == 700
    assert ledger.get_balance(state, BOB.address(), "PTS") == 200
    asset = ledger.get_asset(state, "PTS")
    assert asset is not None and asset.supply == 900


def test_failed_transaction_changes_only_nonce() -> None:
    state = fresh_with_points(100)
    before = state.changes()
    # two ops: the first would succeed, the second overdraws -> all or nothing
    stx = signed(ALICE, 2, Transfer("PTS", BOB.address(), 50), Transfer("PTS", BOB.address(), 60))
    r = execute_transaction(state, stx, block())
    assert r.code == codes.INSUFFICIENT_BALANCE and r.events == ()
    after = dict(state.changes())
    assert after.pop(ledger.nonce_key(ALICE.address())) == codec.encode(3)
    before_d = dict(before)
    before_d.pop(ledger.nonce_key(ALICE.address()))
    assert after == before_d


def test_only_issuer_issues_and_cap_holds() -> None:
    state = fresh_with_points()
    r = execute_transaction(state, signed(BOB, 0, AssetIssue("PTS", BOB.address(), 1)), block())
    assert r.code == codes.NOT_ISSUER
    r = execute_transaction(
        state, signed(ALICE, 2, AssetIssue("PTS", BOB.address(), 10**9)), block()
    )
    assert r.code == codes.CAP_EXCEEDED


def test_envelope_checks_consume_nothing() -> None:
    state = fresh_with_points()
    assert (
        execute_transaction(state, signed(ALICE, 5, Burn("PTS", 1)), block()).code
        == codes.BAD_NONCE
    )
    assert (
        execute_transaction(state, signed(ALICE, 2, Burn("PTS", 1), expiry=0), block(3)).code
        == codes.EXPIRED
    )
    assert (
        execute_transaction(state, signed(ALICE, 2, Burn("PTS", 1), chain="other"), block()).code
        == codes.WRONG_CHAIN
    )
    assert ledger.get_nonce(state, ALICE.address()) == 2


def test_out_of_gas_reverts_and_charges_limit() -> None:
    state = fresh_with_points()
    r = execute_transaction(
        state, signed(ALICE, 2, Transfer("PTS", BOB.address(), 1), gas=1500), block()
    )
    assert r.code == codes.OUT_OF_GAS and r.gas_used == 1500
    assert ledger.get_balance(state, BOB.address(), "PTS") == 0
    assert ledger.get_nonce(state, ALICE.address()) == 3


def test_bad_symbol_and_duplicate_asset() -> None:
    state = fresh_with_points()
    r = execute_transaction(state, signed(BOB, 0, AssetCreate("BOBS", "x", 0, 5)), block())
    assert r.code == codes.NOT_AUTHORIZED  # bob lacks the issuer role
    r = execute_transaction(state, signed(ALICE, 2, AssetCreate("pts", "x", 0, 5)), block())
    assert r.code == codes.INVALID_SYMBOL
    r = execute_transaction(state, signed(ALICE, 3, AssetCreate("PTS", "x", 0, 5)), block())
    assert r.code == codes.ASSET_EXISTS


actions = st.lists(
    st.tuples(
        st.sampled_from(["transfer", "burn", "issue"]),
        st.integers(0, 3),
        st.integers(0, 3),
        st.integers(0, 400),
    ),
    max_size=40,
)


@given(actions)
@settings(max_examples=150, deadline=None)
def test_supply_conserved_and_deterministic(seq: list[tuple[str, int, int, int]]) -> None:
    keys = [key(10 + i) for i in range(4)]

    def run() -> list[tuple[bytes, bytes | None]]:
        state = founded((keys[0], ("issuer",)))
        nonces = [0, 0, 0, 0]
        txs = [signed(keys[0], 0, AssetCreate("PTS", "P", 0, 5_000))]
        nonces[0] = 1
        for kind, a, b, amount in seq:
            if kind == "transfer":
                op: object = Transfer("PTS", keys[b].address(), amount)
            elif kind == "burn":
                op = Burn("PTS", amount)
            else:
                op = AssetIssue("PTS", keys[b].address(), amount)
            txs.append(signed(keys[a], nonces[a], op))  # type: ignore[arg-type]
            nonces[a] += 1
        execute_block(state, txs, block())
        asset = ledger.get_asset(state, "PTS")
        assert asset is not None and asset.supply <= asset.cap
        total = sum(ledger.get_balance(state, k.address(), "PTS") for k in keys)
        assert total == asset.supply
        return state.changes()

    assert run() == run()


def test_chain_constant() -> None:
    assert CHAIN == "scctn-test"
