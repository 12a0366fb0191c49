"""Governance operations: proposals and votes by members, and the actions that only a
passed proposal may perform (see vm/governance.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from vm import bridge, bridge_state, codes, governance, ledger, validators
from vm.context import ExecContext
from vm.errors import ExecutionFailure
from vm.ops.fields import (
    ADDRESS,
    AMOUNT,
    BOOL,
    HEIGHT,
    NAME,
    OPERATION,
    SYMBOL,
    U64,
    Bytes,
    OpBase,
    Str,
    arg,
)
from vm.ops.registry import OpCode, Operation
from vm.params import set_param

_NOT_ACTIONS = (OpCode.GOV_PROPOSE, OpCode.GOV_VOTE)


@dataclass(frozen=True, slots=True)
class GovPropose(OpBase):
    """Propose an action (any operation) to the members; the proposer votes yes."""

    CODE: ClassVar[OpCode] = OpCode.GOV_PROPOSE
    action: Operation = arg(OPERATION, "the operation to run when passed (JSON)")
    title: str = arg(Str(128), "what and why, for the voters")
    deadline: int = arg(HEIGHT, "last height at which votes count")

    def execute(self, ctx: ExecContext) -> None:
        if self.action.CODE in _NOT_ACTIONS:
            raise ExecutionFailure(
                "a proposal's action cannot be a proposal or a vote", codes.BAD_REQUEST
            )
        governance.propose(ctx, self.action.to_wire(), self.title, self.deadline)


@dataclass(frozen=True, slots=True)
class GovVote(OpBase):
    CODE: ClassVar[OpCode] = OpCode.GOV_VOTE
    proposal: int = arg(U64, "proposal id")
    approve: bool = arg(BOOL, "true for yes, false for no")

    def execute(self, ctx: ExecContext) -> None:
        governance.vote(ctx, self.proposal, self.approve)


@dataclass(frozen=True, slots=True)
class MemberAdmit(OpBase):
    CODE: ClassVar[OpCode] = OpCode.MEMBER_ADMIT
    address: bytes = arg(ADDRESS)
    name: str = arg(Str(64, 1))

    def execute(self, ctx: ExecContext) -> None:
        governance.require_governance(ctx)
        governance.add_member(ctx.state, self.address, self.name)
        ctx.emit("member.admitted", self.address, self.name)


@dataclass(frozen=True, slots=True)
class MemberRemove(OpBase):
    CODE: ClassVar[OpCode] = OpCode.MEMBER_REMOVE
    address: bytes = arg(ADDRESS)

    def execute(self, ctx: ExecContext) -> None:
        governance.require_governance(ctx)
        governance.remove_member(ctx.state, self.address)
        ctx.emit("member.removed", self.address)


@dataclass(frozen=True, slots=True)
class RoleGrant(OpBase):
    CODE: ClassVar[OpCode] = OpCode.ROLE_GRANT
    address: bytes = arg(ADDRESS)
    role: str = arg(Str(16), "issuer|custodian|merchant|oracle|device|validator|platform")

    def execute(self, ctx: ExecContext) -> None:
        governance.require_governance(ctx)
        bit = governance.role_bit(self.role)
        governance.set_roles(
            ctx.state, self.address, governance.roles_of(ctx.state, self.address) | bit
        )
        ctx.emit("role.granted", self.address, self.role)


@dataclass(frozen=True, slots=True)
class RoleRevoke(OpBase):
    CODE: ClassVar[OpCode] = OpCode.ROLE_REVOKE
    address: bytes = arg(ADDRESS)
    role: str = arg(Str(16))

    def execute(self, ctx: ExecContext) -> None:
        governance.require_governance(ctx)
        bit = governance.role_bit(self.role)
        governance.set_roles(
            ctx.state, self.address, governance.roles_of(ctx.state, self.address) & ~bit
        )
        ctx.emit("role.revoked", self.address, self.role)


@dataclass(frozen=True, slots=True)
class ParamSet(OpBase):
    """Set a chain parameter: integer ones take `value`, fee_symbol / fee_collector take
    `text`; gas.<op> and gas_item.<op> set the gas schedule."""

    CODE: ClassVar[OpCode] = OpCode.PARAM_SET
    name: str = arg(Str(64, 1))
    value: int = arg(U64)
    text: str = arg(Str(64))

    def execute(self, ctx: ExecContext) -> None:
        governance.require_governance(ctx)
        set_param(ctx.state, self.name, self.value, self.text)
        ctx.emit("param.set", self.name, self.value, self.text)


@dataclass(frozen=True, slots=True)
class QuotaSet(OpBase):
    """An issuer's daily issue quota for one point type (0 removes the quota)."""

    CODE: ClassVar[OpCode] = OpCode.QUOTA_SET
    issuer: bytes = arg(ADDRESS)
    symbol: str = arg(SYMBOL)
    daily: int = arg(AMOUNT, "points per day; 0 = no quota")

    def execute(self, ctx: ExecContext) -> None:
        governance.require_governance(ctx)
        ledger.set_quota(ctx.state, self.issuer, self.symbol, self.daily or None)
        ctx.emit("quota.set", self.issuer, self.symbol, self.daily)


@dataclass(frozen=True, slots=True)
class TierDefine(OpBase):
    """Limits of a holder tier for one point type (0 = no limit; all 0 removes them)."""

    CODE: ClassVar[OpCode] = OpCode.TIER_DEFINE
    tier: str = arg(Str(32, 1))
    symbol: str = arg(SYMBOL)
    max_balance: int = arg(AMOUNT)
    max_per_tx: int = arg(AMOUNT)
    max_daily: int = arg(AMOUNT)

    def execute(self, ctx: ExecContext) -> None:
        governance.require_governance(ctx)
        ledger.require_asset(ctx.state, self.symbol)
        limits = ledger.TierLimits(self.max_balance, self.max_per_tx, self.max_daily)
        ledger.define_tier(ctx.state, self.symbol, self.tier, limits)
        ctx.emit(
            "tier.defined",
            self.tier,
            self.symbol,
            self.max_balance,
            self.max_per_tx,
            self.max_daily,
        )


@dataclass(frozen=True, slots=True)
class ValidatorSet(OpBase):
    """Add or remove a validator by governance; takes effect at the next epoch switch."""

    CODE: ClassVar[OpCode] = OpCode.VALIDATOR_SET
    action: str = arg(Str(8), "add|remove")
    name: str = arg(NAME)
    public_key: bytes = arg(Bytes(32))

    def execute(self, ctx: ExecContext) -> None:
        governance.require_governance(ctx)
        valsets = bridge_state.get_status(ctx.state).valset_nonce
        validators.apply_change(ctx.state, self.action, self.name, self.public_key)
        ctx.emit("validator.changed", self.action, self.name, self.public_key)
        bridge.emit_valsets_since(ctx, valsets)


OPS = (
    GovPropose,
    GovVote,
    MemberAdmit,
    MemberRemove,
    RoleGrant,
    RoleRevoke,
    ParamSet,
    QuotaSet,
    TierDefine,
    ValidatorSet,
)
