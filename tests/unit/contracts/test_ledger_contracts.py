"""Contracts on the ledger: deploy, call, delegate through execute_transaction. Deploy
rejects malformed code; addresses are deterministic; a failed call reverts everything
it wrote but charges its gas and consumes the nonce; the call depth is bounded; ISSUE
needs a delegation within its cap and the type's cap; TRANSFER and BURN spend the
contract's own account; events reach the receipt."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.contracts.contract_chain import (
    ALICE,
    BOB,
    BURNER,
    CAROL,
    COUNTER,
    FORWARD,
    ISSUER,
    LOOP,
    PAYER,
    RECURSE,
    WHO,
    Chain,
)
from tests.unit.vm.helpers import block, signed
from vm import codes, ledger, tables
from vm.contracts import asm
from vm.contracts import ledger_host as lh
from vm.contracts.isa import MAX_CALL_DEPTH
from vm.executor import intrinsic_gas
from vm.ops.contract import ContractCall, ContractDelegate, ContractDeploy
from vm.ops.registry import DEFAULT_GAS, DEFAULT_TX_BASE_GAS, OpCode
from vm.ops.transfer import Transfer

CALL_BASE = DEFAULT_TX_BASE_GAS + DEFAULT_GAS[OpCode.CONTRACT_CALL][0]
CONTRACT_TABLES = (tables.CONTRACT_CODE, tables.CONTRACT, tables.CONTRACT_STORAGE)


def contract_keys(c: Chain) -> list[bytes]:
    return [k for k, _ in c.state.changes() if k[:1] in CONTRACT_TABLES]


def supply(c: Chain) -> int:
    asset = ledger.get_asset(c.state, "PTS")
    assert asset is not None
    return asset.outstanding


# --- deploy ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        b"\xff",  # unknown opcode
        b"\x10\x00\x01",  # PUSH with a truncated immediate
        b"\x20\x00\x00",  # JUMP to offset 0, which is not a JUMPDEST
        b"\x00" * (24 * 1024 + 1),  # over the size limit
    ],
)
def test_deploy_rejects_malformed_code_and_stores_nothing(code: bytes) -> None:
    c = Chain()
    before = contract_keys(c)
    r = c.run(ALICE, ContractDeploy(code, b""), gas=2_000_000)
    assert r.code == codes.INVALID_CODE
    assert "offset" in r.message
    assert contract_keys(c) == before == []
    assert c.nonce(ALICE) == 3  # the nonce is consumed all the same


def test_contract_address_is_deterministic() -> None:
    code = asm.assemble(COUNTER)
    chash = lh.code_hash(code)
    a, b = Chain(), Chain()
    addr = a.deploy(ALICE, COUNTER, b"s")
    assert addr == b.deploy(ALICE, COUNTER, b"s")
    assert addr == lh.contract_address(ALICE.address(), b"s", chash)
    assert a.deploy(ALICE, COUNTER, b"t") != addr  # another salt
    assert a.deploy(BOB, COUNTER, b"s") != addr  # another deployer
    record = lh.get_contract(a.state, addr)
    assert record is not None
    assert (record.code_hash, record.deployer, record.salt) == (chash, ALICE.address(), b"s")
    assert lh.get_code(a.state, chash) == code
    again = a.run(ALICE, ContractDeploy(code, b"s"))
    assert again.code == codes.CONTRACT_EXISTS


def test_deploy_gas_is_per_code_byte() -> None:
    code = asm.assemble(COUNTER)
    base, per_byte = DEFAULT_GAS[OpCode.CONTRACT_DEPLOY]
    r = Chain().ok(ALICE, ContractDeploy(code, b""))
    assert r.gas_used == DEFAULT_TX_BASE_GAS + base + per_byte * len(code)


# --- calls -----------------------------------------------------------------------------


def test_call_runs_stores_and_reports_events_and_returned_values() -> None:
    c = Chain()
    counter = c.deploy(ALICE, COUNTER)
    r = c.call(BOB, counter, 5)
    assert r.code == codes.OK
    assert [(e.kind, e.fields) for e in r.events] == [
        ("contract.event", (counter, b"count", 5)),
        ("contract.returned", (counter, 5)),
    ]
    assert c.storage(counter, 1) == 5
    r = c.call(BOB, counter, 7)
    assert r.events[-1].fields == (counter, 12)
    assert CALL_BASE < r.gas_used < CALL_BASE + 200_000


def test_call_of_an_unknown_contract() -> None:
    c = Chain()
    r = c.call(BOB, b"\x42" * 20)
    assert r.code == codes.UNKNOWN_CONTRACT
    assert r.gas_used == CALL_BASE


def test_failed_call_reverts_storage_transfers_and_issues_but_charges_gas() -> None:
    c = Chain()
    payer = c.deploy(ALICE, PAYER)
    c.ok(ALICE, Transfer("PTS", payer, 300))
    r = c.call(BOB, payer, CAROL.address(), 50, 0)
    assert r.code == codes.OK
    assert (c.balance(payer), c.balance(CAROL.address())) == (250, 50)
    assert c.storage(payer, 9) == 7
    assert r.events[0].kind == "transfer"

    # a fresh contract whose call reverts after storing and paying: nothing stays
    payer2 = c.deploy(ALICE, PAYER, b"2")
    c.ok(ALICE, Transfer("PTS", payer2, 100))
    nonce = c.nonce(BOB)
    r = c.call(BOB, payer2, CAROL.address(), 40, 1)
    assert r.code == codes.CONTRACT_REVERTED
    assert "refused" in r.message
    assert r.events == ()
    assert (c.balance(payer2), c.balance(CAROL.address())) == (100, 50)
    assert c.storage(payer2, 9) == 0
    assert c.nonce(BOB) == nonce + 1
    assert r.gas_used > CALL_BASE  # the machine's gas is charged

    # a host failure: paying more than the contract holds
    r = c.call(BOB, payer2, CAROL.address(), 101, 0)
    assert r.code == codes.INSUFFICIENT_BALANCE
    assert c.storage(payer2, 9) == 0


def test_failed_issue_is_reverted_too() -> None:
    c = Chain()
    contract = c.deploy(ALICE, ISSUER + "\n    PUSHB 0x00\n    REVERT\n")
    c.ok(ALICE, ContractDelegate("PTS", contract, 1_000, True))
    before = supply(c)
    r = c.call(BOB, contract, BOB.address(), 10)
    assert r.code == codes.OK  # the STOP comes before the appended REVERT
    assert supply(c) == before + 10
    reverting = c.deploy(ALICE, ISSUER.replace("STOP", "PUSHB 0x00\n    REVERT"))
    c.ok(ALICE, ContractDelegate("PTS", reverting, 1_000, True))
    r = c.call(BOB, reverting, BOB.address(), 10)
    assert r.code == codes.CONTRACT_REVERTED
    assert supply(c) == before + 10
    d = lh.get_delegation(c.state, "PTS", reverting)
    assert d is not None and d.issued == 0


def test_out_of_gas_charges_the_whole_limit() -> None:
    c = Chain()
    loop = c.deploy(ALICE, LOOP)
    # the budget binds: gas used = base + budget
    r = c.call(BOB, loop, budget=10_000)
    assert r.code == codes.OUT_OF_GAS
    assert r.gas_used == CALL_BASE + 10_000
    # the transaction's limit binds: gas used == gas limit
    op = ContractCall(loop, (), 10**6)
    r = c.run(BOB, op, gas=50_000)
    assert r.code == codes.OUT_OF_GAS
    assert r.gas_used == 50_000


def test_intrinsic_gas_counts_the_call_budget() -> None:
    op = ContractCall(b"\x01" * 20, (), 12_345)
    tx = signed(BOB, 0, op).tx
    assert intrinsic_gas(tx) == CALL_BASE + 12_345


def test_call_depth_is_bounded() -> None:
    c = Chain()
    rec = c.deploy(ALICE, RECURSE)
    r = c.call(BOB, rec, budget=1_000_000)
    assert r.code == codes.CALL_DEPTH
    assert str(MAX_CALL_DEPTH) in r.message


def test_nested_call_sees_the_calling_contract_as_caller() -> None:
    c = Chain()
    who = c.deploy(ALICE, WHO)
    fwd = c.deploy(ALICE, FORWARD)
    r = c.call(BOB, who)
    assert r.events[-1].fields == (who, BOB.address())
    r = c.call(BOB, fwd, who, 0)
    assert r.code == codes.OK
    assert r.events[-1].fields == (fwd, fwd)


def test_failed_inner_call_reverts_the_outer_call() -> None:
    c = Chain()
    counter = c.deploy(ALICE, COUNTER)
    fwd = c.deploy(ALICE, FORWARD)
    assert c.call(BOB, fwd, counter, 3).code == codes.OK
    assert c.storage(counter, 1) == 3
    r = c.call(BOB, fwd, counter, 2**64 - 1)  # the counter overflows
    assert r.code == codes.CONTRACT_REVERTED
    assert "overflow" in r.message
    assert c.storage(counter, 1) == 3


# --- delegated issuance ----------------------------------------------------------------


def test_issue_needs_a_delegation_from_the_issuer() -> None:
    c = Chain()
    contract = c.deploy(BOB, ISSUER)
    r = c.call(BOB, contract, BOB.address(), 10)
    assert r.code == codes.NO_DELEGATION
    # only the point type's issuer delegates
    r = c.run(BOB, ContractDelegate("PTS", contract, 100, True))
    assert r.code == codes.NOT_ISSUER
    r = c.run(CAROL, ContractDelegate("PTS", contract, 100, True))
    assert r.code == codes.NOT_ISSUER
    r = c.run(ALICE, ContractDelegate("PTS", b"\x07" * 20, 100, True))
    assert r.code == codes.UNKNOWN_CONTRACT


def test_issue_within_the_delegation_cap_cumulatively() -> None:
    c = Chain()
    contract = c.deploy(BOB, ISSUER)
    c.ok(ALICE, ContractDelegate("PTS", contract, 100, True))
    before = supply(c)
    r = c.call(BOB, contract, CAROL.address(), 60)
    assert r.code == codes.OK
    assert r.events[0].kind == "asset.issued"
    assert c.balance(CAROL.address()) == 60
    assert c.call(BOB, contract, CAROL.address(), 41).code == codes.DELEGATION_EXCEEDED
    assert c.call(BOB, contract, CAROL.address(), 40).code == codes.OK
    assert c.call(BOB, contract, CAROL.address(), 1).code == codes.DELEGATION_EXCEEDED
    assert supply(c) == before + 100
    # raising the cap keeps what was issued; suspending stops it
    c.ok(ALICE, ContractDelegate("PTS", contract, 150, True))
    assert c.call(BOB, contract, CAROL.address(), 51).code == codes.DELEGATION_EXCEEDED
    c.ok(ALICE, ContractDelegate("PTS", contract, 150, False))
    assert c.call(BOB, contract, CAROL.address(), 1).code == codes.NO_DELEGATION
    c.ok(ALICE, ContractDelegate("PTS", contract, 150, True))
    assert c.call(BOB, contract, CAROL.address(), 50).code == codes.OK
    assert c.balance(CAROL.address()) == 150


def test_issue_respects_the_point_types_cap() -> None:
    c = Chain(cap=1_050)  # 1_000 already issued to ALICE
    contract = c.deploy(BOB, ISSUER)
    c.ok(ALICE, ContractDelegate("PTS", contract, 10_000, True))
    assert c.call(BOB, contract, CAROL.address(), 51).code == codes.CAP_EXCEEDED
    assert c.call(BOB, contract, CAROL.address(), 50).code == codes.OK
    d = lh.get_delegation(c.state, "PTS", contract)
    assert d is not None and d.issued == 50


# --- the contract's own account -----------------------------------------------------------


def test_transfer_and_burn_spend_the_contracts_own_account() -> None:
    c = Chain()
    burner = c.deploy(ALICE, BURNER)
    c.ok(ALICE, Transfer("PTS", burner, 100))
    before = supply(c)
    r = c.call(BOB, burner, 30)
    assert r.code == codes.OK
    assert r.events[0].kind == "asset.burned"
    assert r.events[-1].fields == (burner, 70)
    assert supply(c) == before - 30
    assert c.call(BOB, burner, 71).code == codes.INSUFFICIENT_BALANCE
    assert c.balance(burner) == 70
    # supply is conserved: every holder, contracts included
    holders = [ALICE.address(), BOB.address(), CAROL.address(), burner]
    assert supply(c) == sum(c.balance(a) for a in holders)


# --- the shipped examples ----------------------------------------------------------------


def test_the_example_contracts_deploy() -> None:
    examples = sorted(
        (Path(__file__).resolve().parents[3] / "contracts" / "examples").glob("*.sasm")
    )
    assert examples
    c = Chain()
    for path in examples:
        code = asm.assemble(path.read_text())
        r = c.ok(ALICE, ContractDeploy(code, b""), gas=2_000_000)
        assert r.events[0].fields[1] == lh.code_hash(code)


def test_a_call_outside_a_transaction_is_bounded_by_the_max_tx_gas() -> None:
    """A governance proposal's action runs without a transaction's gas meter: the call's
    budget is capped at the chain's max_tx_gas, so a passed proposal cannot loop forever."""
    from vm.context import ExecContext
    from vm.errors import ExecutionFailure
    from vm.params import ChainParams, genesis_writes

    c = Chain()
    loop = c.deploy(ALICE, LOOP)
    for k, v in genesis_writes(ChainParams(max_tx_gas=50_000), {}):
        c.state.put(k, v)
    ctx = ExecContext(state=c.state, block=block(2), sender=ALICE.address())
    with pytest.raises(ExecutionFailure) as exc:
        ContractCall(loop, (), 2**64 - 1).execute(ctx)
    assert exc.value.code == codes.OUT_OF_GAS
    assert ctx.gas_used == 50_000


def test_waste_sorting_example_pays_through_the_ledger() -> None:
    """The shipped waste-sorting contract on the real ledger: rewards are issued under
    the issuer's delegation, capped per resident per day."""
    source = Path(__file__).resolve().parents[3] / "contracts/examples/waste_sorting.sasm"
    c = Chain()
    waste = c.deploy(ALICE, source.read_text())
    bin_key, resident = BOB, CAROL.address()
    r = c.call(BOB, waste, 0, b"PTS", 100)  # only the deployer may initialise
    assert r.code == codes.CONTRACT_REVERTED and "only the deployer" in r.message
    assert c.call(ALICE, waste, 0, b"PTS", 100).code == codes.OK  # init: ALICE owns it
    assert c.call(ALICE, waste, 1, 7, 3).code == codes.OK  # category 7: 3 points per kg
    assert c.call(ALICE, waste, 2, bin_key.address(), 1).code == codes.OK
    # no delegation yet: the report fails and pays nothing
    assert c.call(bin_key, waste, 4, resident, 7, 10).code == codes.NO_DELEGATION
    c.ok(ALICE, ContractDelegate("PTS", waste, 1_000, True))
    r = c.call(bin_key, waste, 4, resident, 7, 10)
    assert r.code == codes.OK, r.message
    assert c.balance(resident) == 30
    assert ("asset.issued", ("PTS", resident, 30)) in [(e.kind, e.fields) for e in r.events]
    r = c.call(bin_key, waste, 4, resident, 7, 40)  # 120 more, over the daily cap of 100
    assert r.code == codes.OK
    assert c.balance(resident) == 100
    # only a registered bin reports
    assert c.call(ALICE, waste, 4, resident, 7, 1).code == codes.CONTRACT_REVERTED
    d = lh.get_delegation(c.state, "PTS", waste)
    assert d is not None and d.issued == 100
