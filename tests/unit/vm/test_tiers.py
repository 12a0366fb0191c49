"""Holder tiers: who may assign them, and the limits the ledger enforces (per
transaction, per day across the day boundary, balance on receive and on issue), with the
issuer exempt."""

from __future__ import annotations

from tests.unit.vm.gov_helpers import Chain, diff
from tests.unit.vm.helpers import key
from vm import accounts, codes, ledger
from vm.ops.asset import AssetCreate, AssetIssue, Burn
from vm.ops.custody import CustodyMove, TierAssign
from vm.ops.transfer import Transfer, TransferBatch

ISS, CUS, CUS2, ALICE, BOB, OUT = key(1), key(2), key(3), key(4), key(5), key(6)
DAY = ledger.DAY_MS
U1 = accounts.custody_account(CUS.address(), "u1")
U2 = accounts.custody_account(CUS.address(), "u2")
OTHER = accounts.custody_account(CUS2.address(), "u1")


def chain(**tiers: tuple[int, int, int]) -> Chain:
    c = Chain((ISS, ("issuer",)), (CUS, ("custodian",)), (CUS2, ("custodian", "issuer")), (OUT, ()))
    c.ok(ISS, AssetCreate("PTS", "Points", 0, 10**9))
    c.ok(ISS, AssetIssue("PTS", ALICE.address(), 100_000))
    for tier, limits in tiers.items():
        ledger.define_tier(c.state, "PTS", tier, ledger.TierLimits(*limits))
    return c


# --- tier.assign ----------------------------------------------------------------------


def test_issuer_role_assigns_any_account() -> None:
    c = chain()
    for account in (ALICE.address(), U1, OTHER, CUS.address()):
        r = c.ok(ISS, TierAssign(account, "gold"))
        assert r.events[0].kind == "tier.assigned"
        assert ledger.tier_of(c.state, account) == "gold"
    c.ok(ISS, TierAssign(ALICE.address(), ledger.DEFAULT_TIER))
    assert ledger.tier_of(c.state, ALICE.address()) == ledger.DEFAULT_TIER
    assert c.state.get(b"T" + ALICE.address()) is None  # default is stored as absence


def test_custodian_assigns_only_its_own_sub_accounts() -> None:
    c = chain()
    c.ok(CUS, TierAssign(U1, "gold"))
    assert ledger.tier_of(c.state, U1) == "gold"
    for account in (OTHER, ALICE.address(), CUS.address()):
        assert c.run(CUS, TierAssign(account, "gold")).code == codes.NOT_AUTHORIZED


def test_others_may_not_assign_tiers() -> None:
    c = chain()
    for k in (OUT, ALICE, BOB):
        assert c.run(k, TierAssign(ALICE.address(), "gold")).code == codes.NOT_AUTHORIZED
        assert c.run(k, TierAssign(U1, "gold")).code == codes.NOT_AUTHORIZED
    # a sub-account "of" a key without the custodian role gives that key no right
    fake = accounts.custody_account(OUT.address(), "u1")
    assert c.run(OUT, TierAssign(fake, "gold")).code == codes.NOT_AUTHORIZED
    assert ledger.tier_of(c.state, ALICE.address()) == ledger.DEFAULT_TIER


# --- limits ---------------------------------------------------------------------------


def test_per_transaction_limit() -> None:
    c = chain(retail=(0, 100, 0))
    c.ok(ISS, TierAssign(ALICE.address(), "retail"))
    c.ok(ALICE, Transfer("PTS", BOB.address(), 100))
    r = c.run(ALICE, Transfer("PTS", BOB.address(), 101))
    assert r.code == codes.TIER_TX_LIMIT
    # each move of a batch is its own transfer
    c.ok(ALICE, TransferBatch("PTS", ((BOB.address(), 100), (OUT.address(), 100))))
    # redeeming counts too
    assert c.run(ALICE, Burn("PTS", 101)).code == codes.TIER_TX_LIMIT
    # the receiver's tier does not limit what it receives per transaction
    c.ok(ISS, TierAssign(BOB.address(), "retail"))
    c.ok(ISS, TierAssign(ALICE.address(), "default"))
    c.ok(ALICE, Transfer("PTS", BOB.address(), 5_000))
    assert c.balance(BOB.address()) == 5_200


def test_daily_limit_resets_exactly_at_the_day_boundary() -> None:
    c = chain(retail=(0, 0, 1_000))
    c.ok(ISS, TierAssign(ALICE.address(), "retail"))
    next_day = (c.time_ms // DAY + 1) * DAY
    c.at(2, next_day - 10)
    c.ok(ALICE, Transfer("PTS", BOB.address(), 600))
    c.at(3, next_day - 1)
    assert c.run(ALICE, Transfer("PTS", BOB.address(), 401)).code == codes.TIER_DAILY_LIMIT
    c.ok(ALICE, Transfer("PTS", BOB.address(), 400))  # exactly the limit
    assert c.run(ALICE, Transfer("PTS", BOB.address(), 1)).code == codes.TIER_DAILY_LIMIT
    c.at(4, next_day)  # the first millisecond of the next day
    c.ok(ALICE, Transfer("PTS", BOB.address(), 1_000))
    assert c.run(ALICE, Transfer("PTS", BOB.address(), 1)).code == codes.TIER_DAILY_LIMIT
    c.at(5, next_day + DAY)
    c.ok(ALICE, Transfer("PTS", BOB.address(), 1))
    assert c.balance(BOB.address()) == 2_001


def test_failed_transaction_does_not_count_toward_the_daily_limit() -> None:
    c = chain(retail=(0, 0, 1_000))
    c.ok(ISS, TierAssign(ALICE.address(), "retail"))
    before = c.snapshot()
    # the first move passes the daily check, the second fails: all or nothing
    r = c.run(ALICE, Transfer("PTS", BOB.address(), 900), Transfer("NOPE", BOB.address(), 1))
    assert r.code == codes.UNKNOWN_ASSET
    assert diff(before, c.snapshot()) == {ledger.nonce_key(ALICE.address())}
    c.ok(ALICE, Transfer("PTS", BOB.address(), 1_000))


def test_balance_limit_on_receive_and_on_issue() -> None:
    c = chain(retail=(1_000, 0, 0))
    c.ok(ISS, TierAssign(BOB.address(), "retail"))
    c.ok(ALICE, Transfer("PTS", BOB.address(), 999))
    assert c.run(ALICE, Transfer("PTS", BOB.address(), 2)).code == codes.TIER_BALANCE_LIMIT
    c.ok(ALICE, Transfer("PTS", BOB.address(), 1))  # exactly the limit
    assert c.run(ISS, AssetIssue("PTS", BOB.address(), 1)).code == codes.TIER_BALANCE_LIMIT
    issued = c.asset().issued
    c.ok(BOB, Burn("PTS", 10))
    c.ok(ISS, AssetIssue("PTS", BOB.address(), 10))
    assert c.balance(BOB.address()) == 1_000 and c.asset().issued == issued + 10
    # the limit is on the holder: the sender's tier does not matter
    assert c.run(ALICE, Transfer("PTS", BOB.address(), 1)).code == codes.TIER_BALANCE_LIMIT


def test_default_tier_limits_apply_to_unassigned_holders() -> None:
    c = chain(default=(0, 50, 0), vip=(0, 0, 0))
    assert ledger.tier_table(c.state, "PTS").keys() == {"default"}  # all-zero removed
    assert c.run(ALICE, Transfer("PTS", BOB.address(), 51)).code == codes.TIER_TX_LIMIT
    c.ok(ISS, TierAssign(ALICE.address(), "vip"))  # a tier without limits for PTS
    c.ok(ALICE, Transfer("PTS", BOB.address(), 51))


def test_issuer_is_exempt_even_in_a_limited_tier() -> None:
    c = chain(retail=(10, 10, 10))
    c.ok(ISS, TierAssign(ISS.address(), "retail"))
    c.ok(ISS, AssetIssue("PTS", ISS.address(), 5_000))  # balance limit: exempt
    c.ok(ISS, Transfer("PTS", ALICE.address(), 1_000))  # per-tx and daily: exempt
    c.ok(ALICE, Transfer("PTS", ISS.address(), 50_000))  # receiving: exempt
    # another issuer's role does not exempt it from PTS limits
    c.ok(ISS, TierAssign(CUS2.address(), "retail"))
    c.ok(ISS, Transfer("PTS", CUS2.address(), 10))
    assert c.run(CUS2, Transfer("PTS", BOB.address(), 11)).code == codes.TIER_TX_LIMIT
    assert c.run(ISS, AssetIssue("PTS", CUS2.address(), 1)).code == codes.TIER_BALANCE_LIMIT


def test_limits_are_per_point_type() -> None:
    c = chain(retail=(0, 100, 0))
    c.ok(ISS, AssetCreate("OTH", "Other", 0, 10**9))
    c.ok(ISS, AssetIssue("OTH", ALICE.address(), 1_000))
    c.ok(ISS, TierAssign(ALICE.address(), "retail"))
    c.ok(ALICE, Transfer("OTH", BOB.address(), 1_000))
    assert c.run(ALICE, Transfer("PTS", BOB.address(), 101)).code == codes.TIER_TX_LIMIT


def test_custody_users_have_their_own_tiers() -> None:
    c = chain(retail=(500, 100, 150))
    c.ok(ALICE, Transfer("PTS", U1, 400))
    c.ok(CUS, TierAssign(U1, "retail"))
    c.ok(CUS, TierAssign(U2, "retail"))
    assert c.run(CUS, CustodyMove("PTS", "u1", BOB.address(), 101)).code == codes.TIER_TX_LIMIT
    c.ok(CUS, CustodyMove("PTS", "u1", U2, 100))
    assert c.run(CUS, CustodyMove("PTS", "u1", U2, 51)).code == codes.TIER_DAILY_LIMIT
    assert c.run(ALICE, Transfer("PTS", U2, 401)).code == codes.TIER_BALANCE_LIMIT
    c.ok(ALICE, Transfer("PTS", U2, 400))
    assert c.balance(U2) == 500
    # the custodian's own raw account is in the default tier: no limit
    assert ledger.tier_of(c.state, CUS.address()) == ledger.DEFAULT_TIER
