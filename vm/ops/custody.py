"""Custody accounts and holder tiers.

A custodian (a key holding the "custodian" role) keeps points for its users in custody
sub-accounts `custodian + user id` (vm/accounts.py). Anyone may pay into a sub-account
with a plain `transfer` (free; the ledger refuses a sub-account whose custodian lacks the
role). Only the custodian's key moves points out, with `custody.move`: the source is
always `sender + user id`, so a key can only ever reach its own users' sub-accounts.

- to another of the custodian's own sub-accounts: free;
- to a raw account or another custodian's sub-account: the custodian's published fee
  for the point type, `max(min_fee, amount * fee_bps // 10000)`, is paid ON TOP of
  `amount` from the same sub-account to the custodian's raw account; the recipient gets
  exactly `amount`. The user's tier limits (per transaction, daily) count `amount`, the
  payment itself, not the fee.

State key (vm/tables.py):

    C + custodian(20) + symbol -> [fee_bps, min_fee] (absent: no fee)

Holder tiers: governance defines tier limits per point type (`tier.define`); `tier.assign`
puts a holder in a tier: a holder of the issuer role may assign any account, a custodian
its own sub-accounts only. The limits are enforced by vm/ledger.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from primitives import codec
from vm import accounts, codes, governance, ledger, tables
from vm.context import ExecContext
from vm.errors import ExecutionFailure
from vm.ops.fields import ACCOUNT, AMOUNT, SYMBOL, U64, Int, OpBase, Str, arg
from vm.ops.registry import OpCode
from vm.state import StateReader, StateView

BPS = 10_000


@dataclass(frozen=True, slots=True)
class CustodyFee:
    fee_bps: int = 0
    min_fee: int = 0

    def on(self, amount: int) -> int:
        """The fee for moving `amount` out (0 when no fee is published)."""
        if not self.fee_bps and not self.min_fee:
            return 0
        return max(self.min_fee, amount * self.fee_bps // BPS)


def fee_key(custodian: bytes, symbol: str) -> bytes:
    return tables.CUSTODY_FEE + custodian + symbol.encode()


def get_fee(state: StateReader, custodian: bytes, symbol: str) -> CustodyFee:
    raw = state.get(fee_key(custodian, symbol))
    if raw is None:
        return CustodyFee()
    bps, min_fee = codec.decode_trusted(raw)
    return CustodyFee(int(bps), int(min_fee))


def put_fee(state: StateView, custodian: bytes, symbol: str, fee: CustodyFee) -> None:
    free = fee == CustodyFee()
    state.put(
        fee_key(custodian, symbol), None if free else codec.encode([fee.fee_bps, fee.min_fee])
    )


def sub_account(custodian: bytes, user_id: str) -> bytes:
    account = custodian + user_id.encode()
    if not accounts.valid_account(account) or accounts.is_raw(account):
        raise ExecutionFailure(
            "a user id is 1-32 characters A-Z a-z 0-9 . _ -", codes.INVALID_ACCOUNT
        )
    return account


@dataclass(frozen=True, slots=True)
class CustodyFeeSet(OpBase):
    """Publish the fee this custodian charges for moving a point type out of custody."""

    CODE: ClassVar[OpCode] = OpCode.CUSTODY_FEE
    symbol: str = arg(SYMBOL)
    fee_bps: int = arg(Int(0, BPS), "fee in basis points of the amount (0-10000)")
    min_fee: int = arg(U64, "the least fee per move, in base units", 0)

    def execute(self, ctx: ExecContext) -> None:
        governance.require_role(ctx, "custodian")
        ledger.require_asset(ctx.state, self.symbol)
        put_fee(ctx.state, ctx.sender, self.symbol, CustodyFee(self.fee_bps, self.min_fee))
        ctx.emit("custody.fee_set", ctx.sender, self.symbol, self.fee_bps, self.min_fee)


@dataclass(frozen=True, slots=True)
class CustodyMove(OpBase):
    """Move points out of one of the sender's custody sub-accounts (`sender/user_id`)."""

    CODE: ClassVar[OpCode] = OpCode.CUSTODY_MOVE
    symbol: str = arg(SYMBOL)
    user_id: str = arg(Str(32, 1), "the user whose sub-account pays")
    to: bytes = arg(ACCOUNT, "recipient: scc1 address or address/user")
    amount: int = arg(AMOUNT, "what the recipient receives (a fee comes on top)")

    def execute(self, ctx: ExecContext) -> None:
        # No role check: the source is the sender's own sub-account by construction, and
        # a custodian whose role was revoked may still return its users' points.
        src = sub_account(ctx.sender, self.user_id)
        ledger.move(ctx, self.symbol, src, self.to, self.amount)
        if accounts.custodian_of(self.to) == ctx.sender:
            return  # between the custodian's own users: free
        fee = get_fee(ctx.state, ctx.sender, self.symbol).on(self.amount)
        if fee:
            # the sender checks (freeze, tier limits) ran on the payment above
            ledger.move(
                ctx, self.symbol, src, ctx.sender, fee, check_src=False, event="custody.fee_paid"
            )


@dataclass(frozen=True, slots=True)
class TierAssign(OpBase):
    """Put a holder in a tier ("default" returns it to the default tier)."""

    CODE: ClassVar[OpCode] = OpCode.TIER_ASSIGN
    account: bytes = arg(ACCOUNT, "holder: scc1 address or address/user")
    tier: str = arg(Str(32, 1), "tier name (as defined by tier.define)")

    def execute(self, ctx: ExecContext) -> None:
        state = ctx.state
        own_user = accounts.custodian_of(self.account) == ctx.sender
        if not governance.has_role(state, ctx.sender, "issuer") and not (
            own_user and governance.has_role(state, ctx.sender, "custodian")
        ):
            raise ExecutionFailure(
                "only an issuer, or a custodian for its own users, may assign tiers",
                codes.NOT_AUTHORIZED,
            )
        ledger.set_tier(state, self.account, self.tier)
        ctx.emit("tier.assigned", self.account, self.tier)


OPS = (CustodyFeeSet, CustodyMove, TierAssign)
