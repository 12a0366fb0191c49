"""Point-type operations: create (with its fixed rules), issue, redeem, update, freeze,
clawback, authorise holders."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import ClassVar

from vm import codes, governance, ledger
from vm.context import ExecContext
from vm.errors import ExecutionFailure
from vm.ops.fields import (
    ACCOUNT,
    ACCOUNT_OR_NONE,
    AMOUNT,
    BOOL,
    REASON,
    SYMBOL,
    U64,
    Choice,
    Flags,
    Int,
    OpBase,
    Str,
    arg,
)
from vm.ops.registry import OpCode

CURRENCY_RE = re.compile(r"^([A-Z]{3,8})?$")


def _check_metadata(name: str, currency: str) -> None:
    if not name:
        raise ExecutionFailure("a point type needs a name", codes.BAD_REQUEST)
    if not CURRENCY_RE.match(currency):
        raise ExecutionFailure(
            "currency must be an ISO 4217 style code (3-8 capital letters) or empty",
            codes.BAD_REQUEST,
        )


@dataclass(frozen=True, slots=True)
class AssetCreate(OpBase):
    """Create a point type; the sender (holding the issuer role) becomes its issuer. The
    rules, expiry and spend order are fixed for its lifetime."""

    CODE: ClassVar[OpCode] = OpCode.ASSET_CREATE
    symbol: str = arg(SYMBOL)
    name: str = arg(Str(64))
    decimals: int = arg(Int(0, 18), "digits after the point", cli_default=0)
    cap: int = arg(Int(1), "the most points that may be outstanding, in base units")
    rules: int = arg(Flags(ledger.RULES), "rules fixed at creation", ledger.DEFAULT_RULES)
    expiry_blocks: int = arg(
        Int(0, ledger.MAX_EXPIRY_BLOCKS), "points expire this many blocks after issue; 0 never", 0
    )
    spend_order: int = arg(Choice(ledger.SPEND_ORDERS), "which lots are spent first", 0)
    currency: str = arg(Str(8), "reporting currency of the liability", "")
    unit_value: int = arg(U64, "value of one base unit in millionths of the currency", 0)
    uri: str = arg(Str(256), "link to terms or metadata", "")

    def execute(self, ctx: ExecContext) -> None:
        governance.require_role(ctx, "issuer")
        ledger.check_symbol(self.symbol)
        _check_metadata(self.name, self.currency)
        if ledger.get_asset(ctx.state, self.symbol) is not None:
            raise ExecutionFailure(f"point type {self.symbol} already exists", codes.ASSET_EXISTS)
        asset = ledger.PointType(
            self.symbol,
            self.name,
            self.decimals,
            self.cap,
            ctx.sender,
            flags=self.rules,
            expiry_blocks=self.expiry_blocks,
            spend_order=self.spend_order,
            currency=self.currency,
            unit_value=self.unit_value,
            uri=self.uri,
        )
        ledger.put_asset(ctx.state, asset)
        ctx.emit("asset.created", self.symbol, ctx.sender, self.cap)


@dataclass(frozen=True, slots=True)
class AssetIssue(OpBase):
    """Issue new points to a holder: its issuer only, within the cap and the quota."""

    CODE: ClassVar[OpCode] = OpCode.ASSET_ISSUE
    symbol: str = arg(SYMBOL)
    to: bytes = arg(ACCOUNT, "recipient")
    amount: int = arg(AMOUNT)

    def execute(self, ctx: ExecContext) -> None:
        asset = ledger.require_asset(ctx.state, self.symbol)
        ledger.require_issuer(ctx, asset)
        ledger.issue(ctx, self.symbol, self.to, self.amount)


@dataclass(frozen=True, slots=True)
class Burn(OpBase):
    """Redeem (destroy) points the sender holds; booked as redeemed in the liability."""

    CODE: ClassVar[OpCode] = OpCode.BURN
    symbol: str = arg(SYMBOL)
    amount: int = arg(AMOUNT)

    def execute(self, ctx: ExecContext) -> None:
        ledger.remove(ctx, self.symbol, ctx.sender, self.amount, "redeemed")


@dataclass(frozen=True, slots=True)
class AssetUpdate(OpBase):
    """Update a point type's metadata and value per point (issuer only)."""

    CODE: ClassVar[OpCode] = OpCode.ASSET_UPDATE
    symbol: str = arg(SYMBOL)
    name: str = arg(Str(64))
    currency: str = arg(Str(8), "", "")
    unit_value: int = arg(U64, "", 0)
    uri: str = arg(Str(256), "", "")

    def execute(self, ctx: ExecContext) -> None:
        asset = ledger.require_asset(ctx.state, self.symbol)
        ledger.require_issuer(ctx, asset)
        _check_metadata(self.name, self.currency)
        asset = replace(
            asset, name=self.name, currency=self.currency, unit_value=self.unit_value, uri=self.uri
        )
        ledger.put_asset(ctx.state, asset)
        ctx.emit("asset.updated", self.symbol, self.name, self.currency, self.unit_value)


def _issuer_or_governance(ctx: ExecContext, asset: ledger.PointType, rule: int, code: str) -> None:
    ledger.require_issuer(ctx, asset, governance_too=True)
    if ctx.sender != governance.GOVERNANCE and not asset.has(rule):
        raise ExecutionFailure(
            f"the rules of {asset.symbol} do not allow its issuer this (governance can)", code
        )


@dataclass(frozen=True, slots=True)
class AssetFreeze(OpBase):
    """Freeze or unfreeze one holder (`account`) or the whole type (no account), with a
    reason code: the issuer if the type is freezable, governance always."""

    CODE: ClassVar[OpCode] = OpCode.ASSET_FREEZE
    symbol: str = arg(SYMBOL)
    account: bytes = arg(ACCOUNT_OR_NONE, "holder; '-' for the whole point type")
    frozen: bool = arg(BOOL, "true freezes, false unfreezes")
    reason: str = arg(REASON, "reason code", "unspecified")

    def execute(self, ctx: ExecContext) -> None:
        asset = ledger.require_asset(ctx.state, self.symbol)
        _issuer_or_governance(ctx, asset, ledger.FREEZABLE, codes.NOT_FREEZABLE)
        reason = self.reason or "unspecified"
        if self.account:
            ledger.set_frozen(ctx.state, self.symbol, self.account, reason if self.frozen else None)
        else:
            ledger.put_asset(ctx.state, replace(asset, frozen_reason=reason if self.frozen else ""))
        kind = "asset.frozen" if self.frozen else "asset.unfrozen"
        ctx.emit(kind, self.symbol, self.account, reason)


@dataclass(frozen=True, slots=True)
class AssetClawback(OpBase):
    """Take points back from a holder (they leave circulation, booked as clawed back):
    the issuer if the type allows clawback, governance always."""

    CODE: ClassVar[OpCode] = OpCode.ASSET_CLAWBACK
    symbol: str = arg(SYMBOL)
    account: bytes = arg(ACCOUNT, "holder")
    amount: int = arg(AMOUNT)
    reason: str = arg(REASON, "reason code", "unspecified")

    def execute(self, ctx: ExecContext) -> None:
        asset = ledger.require_asset(ctx.state, self.symbol)
        _issuer_or_governance(ctx, asset, ledger.CLAWBACK, codes.NOT_CLAWBACKABLE)
        ledger.remove(ctx, self.symbol, self.account, self.amount, "clawed_back", self.reason)


@dataclass(frozen=True, slots=True)
class AssetAuthorize(OpBase):
    """Authorise (or de-authorise) a holder of a type that requires it (issuer only)."""

    CODE: ClassVar[OpCode] = OpCode.ASSET_AUTHORIZE
    symbol: str = arg(SYMBOL)
    account: bytes = arg(ACCOUNT, "holder")
    authorized: bool = arg(BOOL, "", True)

    def execute(self, ctx: ExecContext) -> None:
        asset = ledger.require_asset(ctx.state, self.symbol)
        ledger.require_issuer(ctx, asset)
        ledger.set_authorised(ctx.state, self.symbol, self.account, self.authorized)
        ctx.emit("asset.authorized", self.symbol, self.account, self.authorized)


OPS = (AssetCreate, AssetIssue, Burn, AssetUpdate, AssetFreeze, AssetClawback, AssetAuthorize)
