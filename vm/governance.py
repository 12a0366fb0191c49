"""Members, roles and proposals: how the alliance governs who may do what.

State keys (vm/tables.py):

    M + address(20) -> member name
    L               -> number of members
    R + address(20) -> role bitmask (roles may be held by members and by other accounts,
                       such as an oracle's or a device's key)
    g + id(8)       -> proposal record
    G + b"next_proposal" -> the next proposal id

A proposal carries one operation (the action). Members vote; when more than two thirds of
the current members have voted yes (yes >= floor(2n/3) + 1) before the deadline height,
the action runs at once, in the transaction of the deciding vote, with the governance
account (`GOVERNANCE`) as its sender. Operations that only governance may perform
(admitting members, granting roles, parameters, quotas, tiers, the validator set) check
for that sender; freeze and clawback accept it always. If the action fails, the proposal
is marked failed with the action's error code and its writes are undone; the vote stands.
Once yes can no longer reach the threshold the proposal is rejected. A proposal past its
deadline takes no more votes and reads as expired.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from primitives import codec
from primitives.keys import ADDRESS_SIZE
from vm import codes, tables
from vm.accounts import module_account
from vm.context import ExecContext
from vm.errors import ExecutionFailure
from vm.state import StateReader, StateView

GOVERNANCE = module_account("governance")
NEXT_PROPOSAL = tables.PARAMS + b"next_proposal"

ROLES = {
    "issuer": 1,
    "custodian": 2,
    "merchant": 4,
    "oracle": 8,
    "device": 16,
    "validator": 32,
    "platform": 64,
}
ALL_ROLES = sum(ROLES.values())


def role_bit(name: str) -> int:
    bit = ROLES.get(name)
    if bit is None:
        raise ExecutionFailure(f"no role {name!r} (roles: {', '.join(ROLES)})", codes.UNKNOWN_ROLE)
    return bit


def roles_text(mask: int) -> list[str]:
    return [name for name, bit in ROLES.items() if mask & bit]


# --- members and roles ----------------------------------------------------------------


def member_name(state: StateReader, address: bytes) -> str | None:
    raw = state.get(tables.MEMBER + address)
    return None if raw is None else str(codec.decode_trusted(raw))


def is_member(state: StateReader, address: bytes) -> bool:
    return state.get(tables.MEMBER + address) is not None


def member_count(state: StateReader) -> int:
    raw = state.get(tables.MEMBER_COUNT)
    return 0 if raw is None else int(codec.decode_trusted(raw))


def add_member(state: StateView, address: bytes, name: str) -> None:
    if is_member(state, address):
        raise ExecutionFailure("already a member", codes.MEMBER_EXISTS)
    state.put(tables.MEMBER + address, codec.encode(name))
    state.put(tables.MEMBER_COUNT, codec.encode(member_count(state) + 1))


def remove_member(state: StateView, address: bytes) -> None:
    if not is_member(state, address):
        raise ExecutionFailure("not a member", codes.NOT_MEMBER)
    n = member_count(state)
    if n <= 1:
        raise ExecutionFailure("the last member cannot be removed", codes.LAST_MEMBER)
    state.delete(tables.MEMBER + address)
    state.put(tables.MEMBER_COUNT, codec.encode(n - 1))
    state.delete(tables.ROLES + address)  # a former member keeps no role


def roles_of(state: StateReader, address: bytes) -> int:
    raw = state.get(tables.ROLES + address)
    return 0 if raw is None else int(codec.decode_trusted(raw))


def has_role(state: StateReader, address: bytes, role: str) -> bool:
    return bool(roles_of(state, address) & ROLES[role])


def set_roles(state: StateView, address: bytes, mask: int) -> None:
    state.put(tables.ROLES + address, codec.encode(mask) if mask else None)


def require_role(ctx: ExecContext, role: str) -> None:
    """The sender must hold `role`; raises not_authorized naming it."""
    if not has_role(ctx.state, ctx.sender, role):
        raise ExecutionFailure(f"this needs the {role} role", codes.NOT_AUTHORIZED)


def require_governance(ctx: ExecContext) -> None:
    if ctx.sender != GOVERNANCE:
        raise ExecutionFailure(
            "only governance may do this (propose it with gov.propose)", codes.NOT_AUTHORIZED
        )


def threshold(members: int) -> int:
    """Yes votes needed to pass: more than two thirds of the members."""
    return members * 2 // 3 + 1


# --- proposals ------------------------------------------------------------------------

OPEN, PASSED, FAILED, REJECTED = "open", "passed", "failed", "rejected"


@dataclass(frozen=True, slots=True)
class Proposal:
    id: int
    proposer: bytes
    action: object  # the operation's wire form
    title: str
    created: int
    deadline: int
    yes: tuple[bytes, ...] = ()
    no: tuple[bytes, ...] = ()
    status: str = OPEN
    result: str = ""  # the action's error code when it failed

    def to_wire(self) -> list[object]:
        return [
            self.id,
            self.proposer,
            self.action,
            self.title,
            self.created,
            self.deadline,
            list(self.yes),
            list(self.no),
            self.status,
            self.result,
        ]

    @classmethod
    def from_wire(cls, w: object) -> Proposal:
        f = codec.expect_list(w, 10, what="proposal")
        return cls(
            int(f[0]),
            bytes(f[1]),
            f[2],
            str(f[3]),
            int(f[4]),
            int(f[5]),
            tuple(bytes(x) for x in f[6]),
            tuple(bytes(x) for x in f[7]),
            str(f[8]),
            str(f[9]),
        )

    def status_at(self, height: int) -> str:
        if self.status == OPEN and height > self.deadline:
            return "expired"
        return self.status


def proposal_key(pid: int) -> bytes:
    return tables.PROPOSAL + tables.height_bytes(pid)


def get_proposal(state: StateReader, pid: int) -> Proposal | None:
    raw = state.get(proposal_key(pid))
    return None if raw is None else Proposal.from_wire(codec.decode_trusted(raw))


def put_proposal(state: StateView, p: Proposal) -> None:
    state.put(proposal_key(p.id), codec.encode(p.to_wire()))


def next_proposal_id(state: StateReader) -> int:
    raw = state.get(NEXT_PROPOSAL)
    return 1 if raw is None else int(codec.decode_trusted(raw))


def propose(ctx: ExecContext, action: object, title: str, deadline: int) -> Proposal:
    from vm.params import chain_params

    state = ctx.state
    if not is_member(state, ctx.sender):
        raise ExecutionFailure("only members may propose", codes.NOT_MEMBER)
    h = ctx.block.height
    longest = chain_params(state).max_voting_blocks
    if not h < deadline <= h + longest:
        raise ExecutionFailure(
            f"the deadline must be after this block and at most {longest} blocks ahead",
            codes.BAD_DEADLINE,
        )
    pid = next_proposal_id(state)
    state.put(NEXT_PROPOSAL, codec.encode(pid + 1))
    p = Proposal(pid, ctx.sender, action, title, h, deadline)
    put_proposal(state, p)
    ctx.emit("gov.proposed", pid, ctx.sender, title, deadline)
    return vote(ctx, pid, True)


def vote(ctx: ExecContext, pid: int, approve: bool) -> Proposal:
    state = ctx.state
    p = get_proposal(state, pid)
    if p is None:
        raise ExecutionFailure(f"no proposal {pid}", codes.UNKNOWN_PROPOSAL)
    if not is_member(state, ctx.sender):
        raise ExecutionFailure("only members may vote", codes.NOT_MEMBER)
    status = p.status_at(ctx.block.height)
    if status != OPEN:
        raise ExecutionFailure(f"proposal {pid} is {status}", codes.PROPOSAL_CLOSED)
    if ctx.sender in p.yes or ctx.sender in p.no:
        raise ExecutionFailure("this member already voted", codes.ALREADY_VOTED)
    if approve:
        p = replace(p, yes=tuple(sorted((*p.yes, ctx.sender))))
    else:
        p = replace(p, no=tuple(sorted((*p.no, ctx.sender))))
    ctx.emit("gov.voted", pid, ctx.sender, approve)
    n = member_count(state)
    need = threshold(n)
    yes = sum(1 for a in p.yes if is_member(state, a))
    no = sum(1 for a in p.no if is_member(state, a))
    if yes >= need:
        p = _execute(ctx, p)
    elif n - no < need:
        p = replace(p, status=REJECTED)
        ctx.emit("gov.rejected", pid)
    put_proposal(state, p)
    return p


def _execute(ctx: ExecContext, p: Proposal) -> Proposal:
    from vm.ops.catalog import decode_operation

    state = ctx.state
    op = decode_operation(p.action)
    inner = ExecContext(state=state, block=ctx.block, sender=GOVERNANCE, events=ctx.events)
    mark = state.snapshot()
    n_events = len(ctx.events)
    try:
        op.execute(inner)
    except ExecutionFailure as exc:
        state.rollback(mark)
        del ctx.events[n_events:]
        ctx.emit("gov.failed", p.id, exc.code, exc.message)
        return replace(p, status=FAILED, result=exc.code)
    ctx.emit("gov.passed", p.id)
    return replace(p, status=PASSED)


def address_ok(address: bytes) -> bool:
    return len(address) == ADDRESS_SIZE
