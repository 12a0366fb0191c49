"""The validator set in the state, and votes to change it (a minimal governance).

State keys:

    b"V"                 -> the validator set: [[name, public key], ...] in index order
    b"W" + change id(32) -> votes for a change: sorted list of voters' public keys
    b"P"                 -> a change is pending: [switch height] (written by the chain:
                            from that height on the new set orders blocks)

A change is `[action, name, public key]` with action "add" or "remove"; its id is the
domain-tagged hash of its encoding. Each current validator votes by sending the same
change; when more than two thirds of the current set have voted, the set in `V` is
replaced at once and `P` marks the change pending until the consensus layer switches
(see scctn_node/chain/chain.py). No other change is accepted while one is pending.
"""

from __future__ import annotations

from dataclasses import dataclass

from primitives import codec
from primitives.hashing import Tags, digest
from primitives.keys import address_of
from vm import codes
from vm.errors import ExecutionFailure
from vm.state import StateView

VALIDATORS = b"V"
VOTES = b"W"
PENDING = b"P"
CHANGE_TAG = Tags.VALIDATOR_CHANGE


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    public_key: bytes


def get_validators(state: StateView) -> list[Member]:
    raw = state.get(VALIDATORS)
    if raw is None:
        return []
    return [Member(name, key) for name, key in codec.decode_trusted(raw)]


def put_validators(state: StateView, members: list[Member]) -> None:
    state.put(VALIDATORS, codec.encode([[m.name, m.public_key] for m in members]))


def pending_switch(state: StateView) -> int | None:
    raw = state.get(PENDING)
    return None if raw is None else int(codec.decode_trusted(raw)[0])


def change_id(action: str, name: str, public_key: bytes) -> bytes:
    return digest(CHANGE_TAG, codec.encode([action, name, public_key]))


def vote(
    state: StateView, voter_address: bytes, action: str, name: str, key: bytes
) -> tuple[bool, int, int]:
    """Record a vote; returns (applied, votes, needed)."""
    members = get_validators(state)
    voter = next((m for m in members if address_of(m.public_key) == voter_address), None)
    if voter is None:
        raise ExecutionFailure(
            "only a current validator may vote on the validator set", codes.NOT_VALIDATOR
        )
    if state.get(PENDING) is not None:
        raise ExecutionFailure(
            "a validator-set change is still waiting to take effect", codes.VALIDATOR_CHANGE_PENDING
        )
    _check_change(members, action, name, key)
    cid = change_id(action, name, key)
    raw = state.get(VOTES + cid)
    voters = set() if raw is None else set(codec.decode_trusted(raw))
    voters.add(voter.public_key)
    needed = len(members) * 2 // 3 + 1
    if len(voters) < needed:
        state.put(VOTES + cid, codec.encode(sorted(voters)))
        return False, len(voters), needed
    state.delete(VOTES + cid)
    _apply(state, members, action, name, key)
    return True, len(voters), needed


def _check_change(members: list[Member], action: str, name: str, key: bytes) -> None:
    if action not in ("add", "remove") or not name:
        raise ExecutionFailure(
            "action must be 'add' or 'remove' and the name non-empty", codes.BAD_REQUEST
        )
    keys = [m.public_key for m in members]
    if action == "add":
        if key in keys or any(m.name == name for m in members):
            raise ExecutionFailure(
                "that validator (key or name) is already in the set", codes.VALIDATOR_EXISTS
            )
    elif key not in keys:
        raise ExecutionFailure("no validator with that key", codes.UNKNOWN_VALIDATOR)
    elif len(members) == 1:
        raise ExecutionFailure("the last validator cannot be removed", codes.LAST_VALIDATOR)


def _apply(state: StateView, members: list[Member], action: str, name: str, key: bytes) -> None:
    if action == "add":
        members.append(Member(name, key))
    else:
        members = [m for m in members if m.public_key != key]
    put_validators(state, members)
    state.put(PENDING, codec.encode([0]))  # the chain fills in the switch height
    from vm import bridge  # the bridge's valset follows the validator set

    bridge.validators_changed(state)


def apply_change(state: StateView, action: str, name: str, key: bytes) -> None:
    """A change decided by governance (vm/governance.py): applied at once, switched in at
    the next epoch boundary like a validators' vote."""
    if state.get(PENDING) is not None:
        raise ExecutionFailure(
            "a validator-set change is still waiting to take effect", codes.VALIDATOR_CHANGE_PENDING
        )
    members = get_validators(state)
    _check_change(members, action, name, key)
    _apply(state, members, action, name, key)
