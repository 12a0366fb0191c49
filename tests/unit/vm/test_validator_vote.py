"""The validator-set vote: who may vote, the two-thirds threshold, and refusals."""

from __future__ import annotations

from tests.unit.vm.helpers import block, key, signed
from vm import codes
from vm.executor import execute_transaction
from vm.ops.validator import ValidatorVote
from vm.state import EmptyState, StateView
from vm.validators import Member, get_validators, pending_switch, put_validators

V = [key(30 + i) for i in range(4)]
NEW = key(40)


def four() -> StateView:
    state = StateView(EmptyState())
    put_validators(state, [Member(f"v{i}", k.public.raw) for i, k in enumerate(V)])
    return state


def test_three_of_four_add_and_the_change_becomes_pending() -> None:
    state = four()
    op = ValidatorVote("add", "new", NEW.public.raw)
    kinds = [
        execute_transaction(state, signed(V[i], 0, op), block()).events[0].kind for i in range(3)
    ]
    assert kinds == ["validator.voted", "validator.voted", "validator.changed"]
    assert [m.name for m in get_validators(state)] == ["v0", "v1", "v2", "v3", "new"]
    assert pending_switch(state) == 0  # the chain fills in the switch height
    r = execute_transaction(
        state, signed(V[3], 0, ValidatorVote("remove", "v0", V[0].public.raw)), block()
    )
    assert r.code == codes.VALIDATOR_CHANGE_PENDING


def test_refusals_have_stable_codes() -> None:
    state = four()
    outsider = execute_transaction(
        state, signed(NEW, 0, ValidatorVote("add", "x", NEW.public.raw)), block()
    )
    assert outsider.code == codes.NOT_VALIDATOR
    dup = execute_transaction(
        state, signed(V[0], 0, ValidatorVote("add", "v9", V[1].public.raw)), block()
    )
    assert dup.code == codes.VALIDATOR_EXISTS
    unknown = execute_transaction(
        state, signed(V[0], 1, ValidatorVote("remove", "x", NEW.public.raw)), block()
    )
    assert unknown.code == codes.UNKNOWN_VALIDATOR
    bad = execute_transaction(
        state, signed(V[0], 2, ValidatorVote("promote", "x", NEW.public.raw)), block()
    )
    assert bad.code == "bad_request"
    lone = StateView(EmptyState())
    put_validators(lone, [Member("v0", V[0].public.raw)])
    last = execute_transaction(
        lone, signed(V[0], 0, ValidatorVote("remove", "v0", V[0].public.raw)), block()
    )
    assert last.code == codes.LAST_VALIDATOR


def test_a_repeated_vote_counts_once() -> None:
    state = four()
    op = ValidatorVote("add", "new", NEW.public.raw)
    for nonce in range(3):
        r = execute_transaction(state, signed(V[0], nonce, op), block())
        assert r.events[0].kind == "validator.voted"
    assert len(get_validators(state)) == 4
