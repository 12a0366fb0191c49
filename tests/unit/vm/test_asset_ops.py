"""Point-type operations (vm/ops/asset.py) and transfer.batch: effects, events, and every
unauthorised action rejected with its stable code."""

from __future__ import annotations

from primitives import codec
from primitives.keys import PrivateKey
from tests.unit.vm.helpers import block, founded, key, signed
from vm import codes, governance, ledger
from vm.context import ExecContext
from vm.errors import ExecutionFailure
from vm.executor import execute_transaction
from vm.ops.asset import (
    AssetAuthorize,
    AssetClawback,
    AssetCreate,
    AssetFreeze,
    AssetIssue,
    AssetUpdate,
    Burn,
)
from vm.ops.governance import GovPropose
from vm.ops.registry import Operation
from vm.ops.transfer import Transfer, TransferBatch
from vm.receipt import Event, Receipt
from vm.state import StateView

ISSUER, OTHER_ISSUER, BOB, CAROL, CUST = key(1), key(2), key(3), key(4), key(5)
ALL_RULES = ("require_auth", "transferable", "freezable", "clawback")


def ev(kind: str, *fields: object) -> Event:
    return Event(kind, tuple(fields))


def run(state: StateView, k: PrivateKey, *ops: Operation, h: int = 1) -> Receipt:
    """One transaction by `k` with its next nonce."""
    nonce = ledger.get_nonce(state, k.address())
    return execute_transaction(state, signed(k, nonce, *ops), block(h))


def as_governance(state: StateView, op: Operation, h: int = 1) -> list[Event]:
    """Run a governance-only operation as a passed proposal would (sender GOVERNANCE)."""
    ctx = ExecContext(state=state, block=block(h), sender=governance.GOVERNANCE)
    op.execute(ctx)
    state.release()
    return ctx.events


def code_of_governance(state: StateView, op: Operation) -> str:
    try:
        as_governance(state, op)
    except ExecutionFailure as exc:
        return exc.code
    return codes.OK


def setup(*rules: str, cap: int = 10_000, fund: int = 1_000) -> StateView:
    """ISSUER and OTHER_ISSUER hold the issuer role, CUST the custodian role; ISSUER has
    created PTS with `rules` and issued `fund` to BOB (BOB authorised if required)."""
    state = founded(
        (ISSUER, ("issuer",)), (OTHER_ISSUER, ("issuer",)), (BOB, ()), (CUST, ("custodian",))
    )
    r = run(state, ISSUER, AssetCreate("PTS", "Points", 2, cap, ledger.parse_rules(rules)))
    assert r.ok, r.message
    if "require_auth" in rules:
        assert run(state, ISSUER, AssetAuthorize("PTS", BOB.address(), True)).ok
    if fund:
        assert run(state, ISSUER, AssetIssue("PTS", BOB.address(), fund)).ok
    return state


def bal(state: StateView, k: PrivateKey | bytes, symbol: str = "PTS") -> int:
    account = k if isinstance(k, bytes) else k.address()
    return ledger.get_balance(state, account, symbol, 1)


def asset(state: StateView, symbol: str = "PTS") -> ledger.PointType:
    a = ledger.get_asset(state, symbol)
    assert a is not None
    return a


# --- asset.create -------------------------------------------------------------------


def test_create_records_fixed_rules_and_emits() -> None:
    state = founded((ISSUER, ("issuer",)))
    op = AssetCreate(
        "ALP",
        "Alliance points",
        2,
        5_000,
        ledger.parse_rules(["freezable", "clawback"]),
        expiry_blocks=30,
        spend_order=ledger.NEWEST_FIRST,
        currency="JPY",
        unit_value=10_000,
        uri="https://example.org/alp",
    )
    r = run(state, ISSUER, op)
    assert r.ok and r.events == (ev("asset.created", "ALP", ISSUER.address(), 5_000),)
    a = asset(state, "ALP")
    assert (a.name, a.decimals, a.cap, a.issuer) == ("Alliance points", 2, 5_000, ISSUER.address())
    assert a.flags == ledger.FREEZABLE | ledger.CLAWBACK
    assert (a.expiry_blocks, a.spend_order) == (30, ledger.NEWEST_FIRST)
    assert (a.currency, a.unit_value, a.uri) == ("JPY", 10_000, "https://example.org/alp")
    assert (a.issued, a.redeemed, a.expired, a.clawed_back, a.frozen_reason) == (0, 0, 0, 0, "")


def test_create_needs_the_issuer_role() -> None:
    state = founded((ISSUER, ("issuer",)), (BOB, ("merchant", "custodian")))
    r = run(state, BOB, AssetCreate("BOBS", "Bob's", 0, 100))
    assert r.code == codes.NOT_AUTHORIZED
    assert ledger.get_asset(state, "BOBS") is None
    # a non-member key without roles neither
    assert run(state, CAROL, AssetCreate("CAR", "Carol's", 0, 100)).code == codes.NOT_AUTHORIZED


def test_create_rejects_bad_symbol_metadata_and_duplicates() -> None:
    state = setup()
    assert run(state, ISSUER, AssetCreate("pts", "x", 0, 5)).code == codes.INVALID_SYMBOL
    assert run(state, ISSUER, AssetCreate("P", "x", 0, 5)).code == codes.INVALID_SYMBOL
    assert run(state, ISSUER, AssetCreate("NONAME", "", 0, 5)).code == codes.BAD_REQUEST
    r = run(state, ISSUER, AssetCreate("CUR", "x", 0, 5, currency="yen"))
    assert r.code == codes.BAD_REQUEST
    # the symbol is taken, whoever asks
    assert run(state, ISSUER, AssetCreate("PTS", "again", 0, 5)).code == codes.ASSET_EXISTS
    assert run(state, OTHER_ISSUER, AssetCreate("PTS", "mine", 0, 5)).code == codes.ASSET_EXISTS
    assert asset(state).name == "Points"


# --- asset.issue --------------------------------------------------------------------


def test_issue_credits_counts_and_emits() -> None:
    state = setup(fund=0)
    r = run(state, ISSUER, AssetIssue("PTS", CAROL.address(), 250))
    assert r.ok and r.events == (ev("asset.issued", "PTS", CAROL.address(), 250),)
    assert bal(state, CAROL) == 250
    assert asset(state).issued == 250 and asset(state).outstanding == 250


def test_only_the_types_issuer_issues() -> None:
    state = setup()
    before = asset(state)
    # another issuer (holding the role) and a plain holder are both refused
    assert run(state, OTHER_ISSUER, AssetIssue("PTS", CAROL.address(), 1)).code == codes.NOT_ISSUER
    assert run(state, BOB, AssetIssue("PTS", BOB.address(), 1)).code == codes.NOT_ISSUER
    assert asset(state) == before and bal(state, CAROL) == 0
    assert run(state, ISSUER, AssetIssue("NOPE", CAROL.address(), 1)).code == codes.UNKNOWN_ASSET
    assert run(state, ISSUER, AssetIssue("PTS", CAROL.address(), 0)).code == codes.INVALID_AMOUNT


def test_cap_counts_outstanding_points_exactly() -> None:
    state = setup(cap=1_000, fund=900)
    r = run(state, ISSUER, AssetIssue("PTS", CAROL.address(), 101))
    assert r.code == codes.CAP_EXCEEDED
    assert run(state, ISSUER, AssetIssue("PTS", CAROL.address(), 100)).ok  # exactly the cap
    assert run(state, ISSUER, AssetIssue("PTS", CAROL.address(), 1)).code == codes.CAP_EXCEEDED
    # redeemed points free room under the cap (the cap bounds outstanding points)
    assert run(state, BOB, Burn("PTS", 40)).ok
    assert run(state, ISSUER, AssetIssue("PTS", CAROL.address(), 41)).code == codes.CAP_EXCEEDED
    assert run(state, ISSUER, AssetIssue("PTS", CAROL.address(), 40)).ok
    assert asset(state).outstanding == 1_000 and asset(state).issued == 1_040


def test_issue_to_custody_accounts_needs_a_custodian() -> None:
    state = setup()
    user = CUST.address() + b"user-1"
    assert run(state, ISSUER, AssetIssue("PTS", user, 70)).ok
    assert bal(state, user) == 70
    not_custodian = CAROL.address() + b"user-1"
    r = run(state, ISSUER, AssetIssue("PTS", not_custodian, 70))
    assert r.code == codes.NOT_CUSTODIAN
    assert bal(state, not_custodian) == 0


# --- burn ---------------------------------------------------------------------------


def test_burn_redeems_and_emits() -> None:
    state = setup()
    r = run(state, BOB, Burn("PTS", 300))
    assert r.ok and r.events == (ev("asset.burned", "PTS", BOB.address(), 300),)
    assert bal(state, BOB) == 700
    a = asset(state)
    assert (a.issued, a.redeemed, a.outstanding) == (1_000, 300, 700)
    assert run(state, BOB, Burn("PTS", 701)).code == codes.INSUFFICIENT_BALANCE
    assert run(state, CAROL, Burn("PTS", 1)).code == codes.INSUFFICIENT_BALANCE
    assert run(state, BOB, Burn("NOPE", 1)).code == codes.UNKNOWN_ASSET
    assert bal(state, BOB) == 700


# --- asset.update -------------------------------------------------------------------


def test_update_changes_metadata_only() -> None:
    state = setup("freezable")
    r = run(state, ISSUER, AssetUpdate("PTS", "Renamed", "EUR", 25, "ipfs://x"))
    assert r.ok and r.events == (ev("asset.updated", "PTS", "Renamed", "EUR", 25),)
    a = asset(state)
    assert (a.name, a.currency, a.unit_value, a.uri) == ("Renamed", "EUR", 25, "ipfs://x")
    assert a.flags == ledger.FREEZABLE and a.cap == 10_000 and a.issued == 1_000


def test_update_only_by_issuer_and_checked() -> None:
    state = setup()
    before = asset(state)
    assert run(state, OTHER_ISSUER, AssetUpdate("PTS", "Mine")).code == codes.NOT_ISSUER
    assert run(state, BOB, AssetUpdate("PTS", "Mine")).code == codes.NOT_ISSUER
    assert run(state, ISSUER, AssetUpdate("PTS", "")).code == codes.BAD_REQUEST
    assert run(state, ISSUER, AssetUpdate("PTS", "x", "eur")).code == codes.BAD_REQUEST
    assert run(state, ISSUER, AssetUpdate("NOPE", "x")).code == codes.UNKNOWN_ASSET
    assert code_of_governance(state, AssetUpdate("PTS", "Gov")) == codes.NOT_ISSUER
    assert asset(state) == before


# --- asset.freeze -------------------------------------------------------------------


def test_holder_freeze_blocks_sending_receiving_and_burning() -> None:
    state = setup("freezable", "transferable")
    r = run(state, ISSUER, AssetFreeze("PTS", BOB.address(), True, "court_order"))
    assert r.ok and r.events == (ev("asset.frozen", "PTS", BOB.address(), "court_order"),)
    assert ledger.frozen_reason(state, "PTS", BOB.address()) == "court_order"
    assert run(state, BOB, Transfer("PTS", CAROL.address(), 1)).code == codes.FROZEN
    assert run(state, BOB, Burn("PTS", 1)).code == codes.FROZEN
    assert run(state, ISSUER, AssetIssue("PTS", BOB.address(), 1)).code == codes.FROZEN
    assert run(state, ISSUER, AssetIssue("PTS", CAROL.address(), 5)).ok
    assert run(state, CAROL, Transfer("PTS", BOB.address(), 1)).code == codes.FROZEN
    assert bal(state, BOB) == 1_000 and bal(state, CAROL) == 5
    # unfreezing restores everything
    r = run(state, ISSUER, AssetFreeze("PTS", BOB.address(), False, "cleared"))
    assert r.ok and r.events == (ev("asset.unfrozen", "PTS", BOB.address(), "cleared"),)
    assert ledger.frozen_reason(state, "PTS", BOB.address()) is None
    assert run(state, BOB, Transfer("PTS", CAROL.address(), 1)).ok
    assert run(state, CAROL, Transfer("PTS", BOB.address(), 2)).ok


def test_global_freeze_stops_the_type() -> None:
    state = setup("freezable", "transferable")
    r = run(state, ISSUER, AssetFreeze("PTS", b"", True, "incident"))
    assert r.ok and r.events == (ev("asset.frozen", "PTS", b"", "incident"),)
    assert asset(state).frozen_reason == "incident"
    assert run(state, BOB, Transfer("PTS", CAROL.address(), 1)).code == codes.FROZEN
    assert run(state, BOB, Burn("PTS", 1)).code == codes.FROZEN
    assert run(state, ISSUER, AssetIssue("PTS", CAROL.address(), 1)).code == codes.FROZEN
    batch = TransferBatch("PTS", ((CAROL.address(), 1),))
    assert run(state, BOB, batch).code == codes.FROZEN
    assert run(state, ISSUER, AssetFreeze("PTS", b"", False)).ok
    assert asset(state).frozen_reason == ""
    assert run(state, BOB, Transfer("PTS", CAROL.address(), 1)).ok


def test_freeze_permissions() -> None:
    state = setup("transferable")  # not freezable
    bob, carol = BOB.address(), CAROL.address()
    assert run(state, ISSUER, AssetFreeze("PTS", bob, True)).code == codes.NOT_FREEZABLE
    assert run(state, ISSUER, AssetFreeze("PTS", b"", True)).code == codes.NOT_FREEZABLE
    assert run(state, OTHER_ISSUER, AssetFreeze("PTS", bob, True)).code == codes.NOT_ISSUER
    assert run(state, BOB, AssetFreeze("PTS", carol, True)).code == codes.NOT_ISSUER
    assert run(state, ISSUER, AssetFreeze("NOPE", bob, True)).code == codes.UNKNOWN_ASSET
    assert asset(state).frozen_reason == "" and ledger.frozen_reason(state, "PTS", bob) is None
    # governance may freeze any holder or type, freezable or not
    events = as_governance(state, AssetFreeze("PTS", bob, True, "sanctions"))
    assert events == [ev("asset.frozen", "PTS", bob, "sanctions")]
    assert run(state, BOB, Transfer("PTS", carol, 1)).code == codes.FROZEN
    assert run(state, ISSUER, AssetIssue("PTS", bob, 1)).code == codes.FROZEN
    assert run(state, ISSUER, AssetFreeze("PTS", bob, False)).code == codes.NOT_FREEZABLE
    as_governance(state, AssetFreeze("PTS", bob, False))
    assert run(state, BOB, Transfer("PTS", carol, 1)).ok
    events = as_governance(state, AssetFreeze("PTS", b"", True, "regulator"))
    assert events == [ev("asset.frozen", "PTS", b"", "regulator")]
    assert run(state, BOB, Transfer("PTS", carol, 1)).code == codes.FROZEN
    # and a freezable type's issuer may not freeze someone else's type
    state = setup("freezable")
    assert run(state, OTHER_ISSUER, AssetFreeze("PTS", bob, True)).code == codes.NOT_ISSUER


def test_freeze_through_a_passed_proposal() -> None:
    state = setup("transferable")
    # setup's founders are 4 members: threshold 3, so make ISSUER the only member first
    for k in (OTHER_ISSUER, BOB, CUST):
        governance.remove_member(state, k.address())
    state.release()
    action = AssetFreeze("PTS", b"", True, "vote")
    r = run(state, ISSUER, GovPropose(action, "freeze PTS", 10))
    assert r.ok and ev("gov.passed", 1) in r.events
    assert ev("asset.frozen", "PTS", b"", "vote") in r.events
    assert asset(state).frozen_reason == "vote"


# --- asset.clawback -----------------------------------------------------------------


def test_clawback_takes_points_out_and_emits() -> None:
    state = setup("clawback")
    r = run(state, ISSUER, AssetClawback("PTS", BOB.address(), 400, "fraud"))
    assert r.ok and r.events == (ev("asset.clawed_back", "PTS", BOB.address(), 400, "fraud"),)
    assert bal(state, BOB) == 600 and bal(state, ISSUER) == 0
    a = asset(state)
    assert (a.issued, a.clawed_back, a.outstanding) == (1_000, 400, 600)
    r = run(state, ISSUER, AssetClawback("PTS", BOB.address(), 601))
    assert r.code == codes.INSUFFICIENT_BALANCE


def test_clawback_permissions() -> None:
    state = setup("transferable")  # clawback not allowed to the issuer
    bob = BOB.address()
    assert run(state, ISSUER, AssetClawback("PTS", bob, 1)).code == codes.NOT_CLAWBACKABLE
    assert run(state, OTHER_ISSUER, AssetClawback("PTS", bob, 1)).code == codes.NOT_ISSUER
    assert run(state, BOB, AssetClawback("PTS", bob, 1)).code == codes.NOT_ISSUER
    assert bal(state, BOB) == 1_000
    # governance always may
    events = as_governance(state, AssetClawback("PTS", bob, 10, "ruling"))
    assert events == [ev("asset.clawed_back", "PTS", bob, 10, "ruling")]
    assert bal(state, BOB) == 990 and asset(state).clawed_back == 10
    state = setup("clawback")
    assert run(state, OTHER_ISSUER, AssetClawback("PTS", bob, 1)).code == codes.NOT_ISSUER


def test_clawback_works_on_a_frozen_holder() -> None:
    state = setup("freezable", "clawback")
    assert run(state, ISSUER, AssetFreeze("PTS", BOB.address(), True, "fraud")).ok
    assert run(state, ISSUER, AssetClawback("PTS", BOB.address(), 1_000, "fraud")).ok
    assert bal(state, BOB) == 0 and asset(state).outstanding == 0


# --- asset.authorize ----------------------------------------------------------------


def test_require_auth_recipients_and_authorize() -> None:
    state = setup("require_auth", "transferable")
    carol = CAROL.address()
    assert run(state, ISSUER, AssetIssue("PTS", carol, 5)).code == codes.HOLDER_NOT_AUTHORIZED
    assert run(state, BOB, Transfer("PTS", carol, 5)).code == codes.HOLDER_NOT_AUTHORIZED
    r = run(state, ISSUER, AssetAuthorize("PTS", carol, True))
    assert r.ok and r.events == (ev("asset.authorized", "PTS", carol, True),)
    assert ledger.is_authorised(state, "PTS", carol)
    assert run(state, BOB, Transfer("PTS", carol, 5)).ok
    assert run(state, ISSUER, AssetIssue("PTS", carol, 5)).ok
    # the issuer needs no authorisation to receive
    assert run(state, BOB, Transfer("PTS", ISSUER.address(), 1)).ok
    # de-authorised: can no longer receive, can still send what it holds
    r = run(state, ISSUER, AssetAuthorize("PTS", carol, False))
    assert r.ok and r.events == (ev("asset.authorized", "PTS", carol, False),)
    assert not ledger.is_authorised(state, "PTS", carol)
    assert run(state, BOB, Transfer("PTS", carol, 1)).code == codes.HOLDER_NOT_AUTHORIZED
    assert run(state, CAROL, Transfer("PTS", BOB.address(), 3)).ok
    assert bal(state, CAROL) == 7


def test_authorize_only_by_issuer() -> None:
    state = setup("require_auth")
    carol = CAROL.address()
    assert run(state, OTHER_ISSUER, AssetAuthorize("PTS", carol, True)).code == codes.NOT_ISSUER
    assert run(state, BOB, AssetAuthorize("PTS", carol, True)).code == codes.NOT_ISSUER
    assert code_of_governance(state, AssetAuthorize("PTS", carol, True)) == codes.NOT_ISSUER
    assert run(state, ISSUER, AssetAuthorize("NOPE", carol, True)).code == codes.UNKNOWN_ASSET
    assert not ledger.is_authorised(state, "PTS", carol)


# --- transfer and transfer.batch ----------------------------------------------------


def test_non_transferable_moves_only_through_the_issuer() -> None:
    state = setup()  # no rules: not transferable
    assert run(state, BOB, Transfer("PTS", CAROL.address(), 1)).code == codes.NOT_TRANSFERABLE
    batch = TransferBatch("PTS", ((CAROL.address(), 1),))
    assert run(state, BOB, batch).code == codes.NOT_TRANSFERABLE
    r = run(state, BOB, Transfer("PTS", ISSUER.address(), 100))  # holder -> issuer
    assert r.ok and r.events == (ev("transfer", "PTS", BOB.address(), ISSUER.address(), 100),)
    assert run(state, ISSUER, Transfer("PTS", CAROL.address(), 60)).ok  # issuer -> holder
    assert (bal(state, BOB), bal(state, CAROL), bal(state, ISSUER)) == (900, 60, 40)
    assert asset(state).outstanding == 1_000


def test_transfer_rejections() -> None:
    state = setup("transferable")
    bob, carol = BOB.address(), CAROL.address()
    assert run(state, BOB, Transfer("PTS", bob, 1)).code == codes.SELF_TRANSFER
    assert run(state, BOB, Transfer("PTS", carol, 0)).code == codes.INVALID_AMOUNT
    assert run(state, BOB, Transfer("PTS", carol, 1_001)).code == codes.INSUFFICIENT_BALANCE
    assert run(state, BOB, Transfer("NOPE", carol, 1)).code == codes.UNKNOWN_ASSET
    r = run(state, BOB, Transfer("PTS", CAROL.address() + b"u", 1))
    assert r.code == codes.NOT_CUSTODIAN
    assert bal(state, BOB) == 1_000


def test_batch_pays_each_recipient_and_charges_per_item() -> None:
    state = setup("transferable")
    user = CUST.address() + b"alice"
    items = ((CAROL.address(), 10), (user, 20), (CAROL.address(), 5), (ISSUER.address(), 1))
    r = run(state, BOB, TransferBatch("PTS", items))
    assert r.ok, r.message
    assert r.events == tuple(ev("transfer", "PTS", BOB.address(), to, n) for to, n in items)
    assert r.gas_used == 1_000 + 1_000 + 800 * len(items)  # base + op + per item
    assert (bal(state, BOB), bal(state, CAROL), bal(state, user), bal(state, ISSUER)) == (
        964,
        15,
        20,
        1,
    )


def test_batch_is_all_or_nothing() -> None:
    for bad, code in (
        ((CAROL.address(), 2_000), codes.INSUFFICIENT_BALANCE),
        ((BOB.address(), 1), codes.SELF_TRANSFER),
        ((CAROL.address() + b"x", 1), codes.NOT_CUSTODIAN),
    ):
        state = setup("transferable")
        before = dict(state.changes())
        items = ((CAROL.address(), 10), (ISSUER.address(), 10), bad)
        r = run(state, BOB, TransferBatch("PTS", items))
        assert r.code == code and r.events == ()
        after = dict(state.changes())
        assert after.pop(ledger.nonce_key(BOB.address())) == codec.encode(1)
        assert after == before  # BOB had no nonce before: only the nonce changed


def test_batch_respects_require_auth_per_item() -> None:
    state = setup("require_auth", "transferable")
    assert run(state, ISSUER, AssetAuthorize("PTS", CAROL.address(), True)).ok
    items = ((CAROL.address(), 1), (CUST.address(), 1))
    assert run(state, BOB, TransferBatch("PTS", items)).code == codes.HOLDER_NOT_AUTHORIZED
    assert bal(state, CAROL) == 0
    assert run(state, BOB, TransferBatch("PTS", items[:1])).ok
    assert bal(state, CAROL) == 1
