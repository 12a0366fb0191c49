"""Governance: proposals by members, the more-than-two-thirds threshold, deadlines,
rejection, actions executed with the governance account as sender (each kind of action),
a failing action changing nothing but the proposal, and governance-only operations
refused when sent directly."""

from __future__ import annotations

import pytest

from primitives.keys import PrivateKey
from tests.unit.vm.gov_helpers import Chain, diff
from tests.unit.vm.helpers import key
from vm import codes, governance, ledger, validators
from vm.governance import FAILED, OPEN, PASSED, REJECTED, threshold
from vm.ops.asset import AssetClawback, AssetCreate, AssetFreeze, AssetIssue
from vm.ops.governance import (
    GovPropose,
    GovVote,
    MemberAdmit,
    MemberRemove,
    ParamSet,
    QuotaSet,
    RoleGrant,
    RoleRevoke,
    TierDefine,
    ValidatorSet,
)
from vm.ops.registry import Operation
from vm.ops.transfer import Transfer, TransferBatch
from vm.params import chain_params

M = [key(10 + i) for i in range(7)]
ISS, NEW, OUT = key(1), key(30), key(31)
DAY = ledger.DAY_MS


def members(n: int, issuer: bool = True) -> Chain:
    roles: list[tuple[PrivateKey, tuple[str, ...]]] = [(m, ()) for m in M[:n]]
    c = Chain(*roles, *([(ISS, ("issuer",))] if issuer else []))
    if issuer:  # ISS holds the role without being a member
        governance.remove_member(c.state, ISS.address())
        governance.set_roles(c.state, ISS.address(), governance.ROLES["issuer"])
    return c


def propose(c: Chain, action: Operation, by: PrivateKey = M[0], deadline: int = 100) -> int:
    pid = governance.next_proposal_id(c.state)
    c.ok(by, GovPropose(action, "test", deadline))
    return pid


def status(c: Chain, pid: int) -> str:
    p = governance.get_proposal(c.state, pid)
    assert p is not None
    return p.status_at(c.height)


def decide(c: Chain, action: Operation) -> int:
    """Propose from M[0] and vote yes from the others until it is decided."""
    pid = propose(c, action)
    i = 1
    while status(c, pid) == OPEN:
        c.ok(M[i], GovVote(pid, True))
        i += 1
    return pid


# --- threshold --------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "need"), [(1, 1), (2, 2), (3, 3), (4, 3), (5, 4), (6, 5), (7, 5)])
def test_threshold_is_more_than_two_thirds(n: int, need: int) -> None:
    assert threshold(n) == need
    assert 3 * need > 2 * n and 3 * (need - 1) <= 2 * n


@pytest.mark.parametrize("n", [1, 3, 4, 7])
def test_passes_exactly_at_the_threshold(n: int) -> None:
    c = members(n)
    pid = propose(c, MemberAdmit(NEW.address(), "new"))
    for i in range(1, threshold(n)):
        assert status(c, pid) == OPEN and not governance.is_member(c.state, NEW.address())
        r = c.ok(M[i], GovVote(pid, True))
        assert r.events[0].kind == "gov.voted"
    assert status(c, pid) == PASSED
    assert governance.member_name(c.state, NEW.address()) == "new"
    assert governance.member_count(c.state) == n + 1
    if n > 1:
        assert c.run(M[n - 1], GovVote(pid, True)).code in (
            codes.PROPOSAL_CLOSED,
            codes.ALREADY_VOTED,
        )


@pytest.mark.parametrize(("n", "noes"), [(3, 1), (4, 2), (7, 3)])
def test_rejected_once_yes_can_no_longer_pass(n: int, noes: int) -> None:
    c = members(n)
    pid = propose(c, MemberAdmit(NEW.address(), "new"))
    for i in range(1, noes):
        c.ok(M[i], GovVote(pid, False))
        assert status(c, pid) == OPEN
    r = c.ok(M[noes], GovVote(pid, False))
    assert [e.kind for e in r.events] == ["gov.voted", "gov.rejected"]
    assert status(c, pid) == REJECTED
    assert c.run(M[n - 1], GovVote(pid, True)).code == codes.PROPOSAL_CLOSED
    assert not governance.is_member(c.state, NEW.address())


def test_only_members_propose_and_vote() -> None:
    c = members(4)
    r = c.run(ISS, GovPropose(MemberAdmit(NEW.address(), "x"), "t", 100))
    assert r.code == codes.NOT_MEMBER
    pid = propose(c, MemberAdmit(NEW.address(), "new"))
    assert c.run(ISS, GovVote(pid, True)).code == codes.NOT_MEMBER
    assert c.run(OUT, GovVote(pid, True)).code == codes.NOT_MEMBER
    assert c.run(M[0], GovVote(pid, True)).code == codes.ALREADY_VOTED
    assert c.run(M[1], GovVote(pid + 1, True)).code == codes.UNKNOWN_PROPOSAL


def test_deadline_height_counts_and_the_next_is_closed() -> None:
    c = members(4).at(10)
    pid = propose(c, MemberAdmit(NEW.address(), "new"), deadline=20)
    c.at(20)
    c.ok(M[1], GovVote(pid, True))  # at the deadline: counts
    assert status(c, pid) == OPEN
    c.at(21)
    assert status(c, pid) == "expired"
    assert c.run(M[2], GovVote(pid, True)).code == codes.PROPOSAL_CLOSED
    assert not governance.is_member(c.state, NEW.address())
    c.at(20)  # the same vote at the deadline would have passed it
    c.ok(M[2], GovVote(pid, True))
    assert status(c, pid) == PASSED


def test_deadline_bounds() -> None:
    c = members(4).at(10)
    action = MemberAdmit(NEW.address(), "new")
    assert c.run(M[0], GovPropose(action, "t", 10)).code == codes.BAD_DEADLINE
    longest = chain_params(c.state).max_voting_blocks
    assert c.run(M[0], GovPropose(action, "t", 10 + longest + 1)).code == codes.BAD_DEADLINE
    c.ok(M[0], GovPropose(action, "t", 10 + longest))
    c.ok(M[0], GovPropose(action, "t", 11))


def test_proposal_cannot_carry_a_proposal_or_vote() -> None:
    c = members(4)
    inner = GovPropose(MemberAdmit(NEW.address(), "x"), "t", 100)
    assert c.run(M[0], GovPropose(inner, "t", 100)).code == codes.BAD_REQUEST
    assert c.run(M[0], GovPropose(GovVote(1, True), "t", 100)).code == codes.BAD_REQUEST


def test_removed_members_votes_stop_counting() -> None:
    c = members(4)
    pid = propose(c, MemberAdmit(NEW.address(), "new"))
    c.ok(M[1], GovVote(pid, True))  # 2 of the 3 needed
    assert status(c, decide(c, MemberRemove(M[1].address()))) == PASSED
    # 3 members now, 3 needed; M[1]'s yes no longer counts
    assert c.run(M[1], GovVote(pid, True)).code == codes.NOT_MEMBER
    c.ok(M[2], GovVote(pid, True))
    assert status(c, pid) == OPEN
    c.ok(M[3], GovVote(pid, True))
    assert status(c, pid) == PASSED


# --- actions ----------------------------------------------------------------------------


def test_member_admit_and_remove() -> None:
    c = members(3)
    assert status(c, decide(c, MemberAdmit(NEW.address(), "new"))) == PASSED
    assert governance.member_count(c.state) == 4
    pid = decide(c, MemberAdmit(NEW.address(), "again"))
    p = governance.get_proposal(c.state, pid)
    assert p is not None and (p.status, p.result) == (FAILED, codes.MEMBER_EXISTS)
    governance.set_roles(c.state, M[2].address(), governance.ROLES["issuer"])
    assert status(c, decide(c, MemberRemove(M[2].address()))) == PASSED
    assert not governance.is_member(c.state, M[2].address())
    assert governance.roles_of(c.state, M[2].address()) == 0  # a former member keeps no role
    assert governance.member_count(c.state) == 3


def test_removing_the_last_member_fails() -> None:
    c = members(1)
    pid = decide(c, MemberRemove(M[0].address()))
    p = governance.get_proposal(c.state, pid)
    assert p is not None and (p.status, p.result) == (FAILED, codes.LAST_MEMBER)
    assert governance.is_member(c.state, M[0].address())
    assert governance.member_count(c.state) == 1
    pid = decide(c, MemberRemove(OUT.address()))
    assert governance.get_proposal(c.state, pid).result == codes.NOT_MEMBER  # type: ignore[union-attr]


def test_role_grant_and_revoke() -> None:
    c = members(3)
    decide(c, RoleGrant(OUT.address(), "custodian"))
    decide(c, RoleGrant(OUT.address(), "oracle"))
    assert governance.roles_text(governance.roles_of(c.state, OUT.address())) == [
        "custodian",
        "oracle",
    ]
    decide(c, RoleRevoke(OUT.address(), "custodian"))
    assert governance.roles_text(governance.roles_of(c.state, OUT.address())) == ["oracle"]
    pid = decide(c, RoleGrant(OUT.address(), "king"))
    assert governance.get_proposal(c.state, pid).result == codes.UNKNOWN_ROLE  # type: ignore[union-attr]


def test_param_set_changes_gas_used() -> None:
    c = members(3)
    c.ok(ISS, AssetCreate("PTS", "Points", 0, 10**6))
    c.ok(ISS, AssetIssue("PTS", ISS.address(), 1_000))
    assert c.ok(ISS, Transfer("PTS", OUT.address(), 1)).gas_used == 2_000
    decide(c, ParamSet("gas.transfer", 7_000, ""))
    assert c.ok(ISS, Transfer("PTS", OUT.address(), 1)).gas_used == 8_000
    decide(c, ParamSet("tx_base_gas", 10, ""))
    assert c.ok(ISS, Transfer("PTS", OUT.address(), 1)).gas_used == 7_010
    assert c.run(ISS, Transfer("PTS", OUT.address(), 1), gas=7_009).code == codes.OUT_OF_GAS
    decide(c, ParamSet("max_voting_blocks", 500, ""))
    assert chain_params(c.state).max_voting_blocks == 500
    pid = decide(c, ParamSet("no_such_param", 1, ""))
    assert governance.get_proposal(c.state, pid).result == codes.INVALID_PARAM  # type: ignore[union-attr]
    pid = decide(c, ParamSet("max_tx_gas", 0, ""))
    assert governance.get_proposal(c.state, pid).result == codes.INVALID_PARAM  # type: ignore[union-attr]


def test_quota_set_limits_issue_per_day() -> None:
    c = members(3)
    c.ok(ISS, AssetCreate("PTS", "Points", 0, 10**9))
    decide(c, QuotaSet(ISS.address(), "PTS", 1_000))
    next_day = (c.time_ms // DAY + 1) * DAY
    c.at(5, next_day - 1)
    c.ok(ISS, AssetIssue("PTS", OUT.address(), 600))
    assert c.run(ISS, AssetIssue("PTS", OUT.address(), 401)).code == codes.QUOTA_EXCEEDED
    c.ok(ISS, AssetIssue("PTS", OUT.address(), 400))
    c.at(6, next_day)
    c.ok(ISS, AssetIssue("PTS", OUT.address(), 1_000))
    assert c.run(ISS, AssetIssue("PTS", OUT.address(), 1)).code == codes.QUOTA_EXCEEDED
    decide(c, QuotaSet(ISS.address(), "PTS", 0))  # 0 removes the quota
    c.ok(ISS, AssetIssue("PTS", OUT.address(), 5_000))
    assert c.asset().issued == 7_000


def test_tier_define() -> None:
    c = members(3)
    c.ok(ISS, AssetCreate("PTS", "Points", 0, 10**9))
    decide(c, TierDefine("retail", "PTS", 100, 10, 50))
    assert ledger.tier_table(c.state, "PTS") == {"retail": ledger.TierLimits(100, 10, 50)}
    decide(c, TierDefine("retail", "PTS", 0, 0, 0))
    assert ledger.tier_table(c.state, "PTS") == {}
    pid = decide(c, TierDefine("retail", "NOPE", 1, 1, 1))
    assert governance.get_proposal(c.state, pid).result == codes.UNKNOWN_ASSET  # type: ignore[union-attr]


def test_validator_set() -> None:
    c = members(3)
    v0, v1 = key(50), key(51)
    validators.put_validators(c.state, [validators.Member("v0", v0.public.raw)])
    r = c.ok(M[1], GovVote(propose(c, ValidatorSet("add", "v1", v1.public.raw)), True))
    assert "validator.changed" not in [e.kind for e in r.events]
    r = c.ok(M[2], GovVote(governance.next_proposal_id(c.state) - 1, True))
    assert [e.kind for e in r.events] == ["gov.voted", "validator.changed", "gov.passed"]
    assert [m.name for m in validators.get_validators(c.state)] == ["v0", "v1"]
    assert validators.pending_switch(c.state) == 0
    pid = decide(c, ValidatorSet("remove", "v0", v0.public.raw))
    p = governance.get_proposal(c.state, pid)
    assert p is not None and p.result == codes.VALIDATOR_CHANGE_PENDING
    assert len(validators.get_validators(c.state)) == 2


def test_governance_freezes_and_claws_back_whatever_the_rules() -> None:
    c = members(3)
    c.ok(ISS, AssetCreate("PTS", "Points", 0, 10**9))  # neither freezable nor clawback
    c.ok(ISS, AssetIssue("PTS", OUT.address(), 1_000))
    assert c.run(ISS, AssetFreeze("PTS", OUT.address(), True, "x")).code == codes.NOT_FREEZABLE
    assert c.run(ISS, AssetClawback("PTS", OUT.address(), 1, "x")).code == codes.NOT_CLAWBACKABLE
    decide(c, AssetFreeze("PTS", OUT.address(), True, "court"))
    assert c.run(OUT, Transfer("PTS", NEW.address(), 1)).code == codes.FROZEN
    assert c.run(ISS, AssetIssue("PTS", OUT.address(), 1)).code == codes.FROZEN
    decide(c, AssetClawback("PTS", OUT.address(), 400, "court"))
    a = c.asset()
    assert (c.balance(OUT.address()), a.clawed_back, a.outstanding) == (600, 400, 600)
    decide(c, AssetFreeze("PTS", OUT.address(), False, "court"))
    c.ok(OUT, Transfer("PTS", NEW.address(), 1))
    decide(c, AssetFreeze("PTS", b"", True, "halt"))  # the whole type
    assert c.run(OUT, Transfer("PTS", NEW.address(), 1)).code == codes.FROZEN


def test_failing_action_marks_the_proposal_failed_and_changes_nothing_else() -> None:
    c = members(4)
    c.ok(ISS, AssetCreate("PTS", "Points", 0, 10**9))
    c.ok(ISS, AssetIssue("PTS", governance.GOVERNANCE, 10))
    # the first payment succeeds inside the action, the second cannot: all undone
    action = TransferBatch("PTS", ((OUT.address(), 5), (NEW.address(), 10)))
    pid = propose(c, action)
    c.ok(M[1], GovVote(pid, True))
    before = c.snapshot()
    r = c.ok(M[2], GovVote(pid, True))  # the deciding vote itself succeeds
    assert [e.kind for e in r.events] == ["gov.voted", "gov.failed"]
    assert r.events[1].fields[:2] == (pid, codes.INSUFFICIENT_BALANCE)
    p = governance.get_proposal(c.state, pid)
    assert p is not None and (p.status, p.result) == (FAILED, codes.INSUFFICIENT_BALANCE)
    assert diff(before, c.snapshot()) == {
        ledger.nonce_key(M[2].address()),
        governance.proposal_key(pid),
    }
    assert c.balance(governance.GOVERNANCE) == 10 and c.balance(OUT.address()) == 0
    assert c.run(M[3], GovVote(pid, True)).code == codes.PROPOSAL_CLOSED


GOVERNANCE_ONLY = [
    MemberAdmit(NEW.address(), "new"),
    MemberRemove(M[1].address()),
    RoleGrant(OUT.address(), "issuer"),
    RoleRevoke(ISS.address(), "issuer"),
    ParamSet("gas_price", 1, ""),
    QuotaSet(ISS.address(), "PTS", 1),
    TierDefine("retail", "PTS", 1, 1, 1),
    ValidatorSet("add", "v9", b"\x09" * 32),
]


@pytest.mark.parametrize("op", GOVERNANCE_ONLY, ids=lambda op: type(op).__name__)
def test_governance_only_operations_refuse_direct_senders(op: Operation) -> None:
    c = members(3)
    c.ok(ISS, AssetCreate("PTS", "Points", 0, 10**9))
    governance.set_roles(c.state, M[0].address(), governance.ALL_ROLES)
    before = c.snapshot()
    for k in (M[0], ISS, OUT):
        r = c.run(k, op)
        assert r.code == codes.NOT_AUTHORIZED, (k, r.code)
    assert diff(before, c.snapshot()) == {ledger.nonce_key(k.address()) for k in (M[0], ISS, OUT)}
