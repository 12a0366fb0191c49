"""Point-type operations: create, issue, burn."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from primitives import codec
from vm import codes, ledger
from vm.context import ExecContext
from vm.errors import ExecutionFailure
from vm.ops.registry import OpCode, symbol_to_amount


@dataclass(frozen=True, slots=True)
class AssetCreate:
    """Create a point type; the sender becomes its issuer."""

    CODE: ClassVar[OpCode] = OpCode.ASSET_CREATE
    symbol: str
    name: str
    decimals: int
    cap: int

    def to_wire(self) -> list[object]:
        return [int(self.CODE), self.symbol, self.name, self.decimals, self.cap]

    @classmethod
    def from_args(cls, args: list[object]) -> AssetCreate:
        f = codec.expect_list(args, 4, what="asset.create")
        return cls(
            symbol=codec.expect_str(f[0], max_len=12, what="symbol"),
            name=codec.expect_str(f[1], max_len=64, what="name"),
            decimals=codec.expect_int(f[2], 0, 18, what="decimals"),
            cap=codec.expect_int(f[3], 1, ledger.AMOUNT_MAX, what="cap"),
        )

    def execute(self, ctx: ExecContext) -> None:
        ledger.check_symbol(self.symbol)
        if ledger.get_asset(ctx.state, self.symbol) is not None:
            raise ExecutionFailure(f"point type {self.symbol} already exists", codes.ASSET_EXISTS)
        asset = ledger.AssetRecord(self.symbol, self.name, self.decimals, self.cap, ctx.sender, 0)
        ledger.put_asset(ctx.state, asset)
        ctx.emit("asset.created", self.symbol, ctx.sender, self.cap)


@dataclass(frozen=True, slots=True)
class AssetIssue:
    """Issue new points of a type to a holder; only its issuer, within the cap."""

    CODE: ClassVar[OpCode] = OpCode.ASSET_ISSUE
    symbol: str
    to: bytes
    amount: int

    def to_wire(self) -> list[object]:
        return [int(self.CODE), self.symbol, self.to, self.amount]

    @classmethod
    def from_args(cls, args: list[object]) -> AssetIssue:
        return cls(*symbol_to_amount(args, "asset.issue"))

    def execute(self, ctx: ExecContext) -> None:
        amount = ledger.check_amount(self.amount)
        asset = ledger.require_asset(ctx.state, self.symbol)
        if asset.issuer != ctx.sender:
            raise ExecutionFailure(
                f"only the issuer of {self.symbol} may issue it", codes.NOT_ISSUER
            )
        if asset.supply + amount > asset.cap:
            raise ExecutionFailure(
                f"issuing {amount} would exceed the cap of {asset.cap} {self.symbol}",
                codes.CAP_EXCEEDED,
            )
        ledger.put_asset(ctx.state, replace(asset, supply=asset.supply + amount))
        ledger.credit(ctx.state, self.to, self.symbol, amount)
        ctx.emit("asset.issued", self.symbol, self.to, amount)


@dataclass(frozen=True, slots=True)
class Burn:
    """Destroy points the sender holds; the supply shrinks by the same amount."""

    CODE: ClassVar[OpCode] = OpCode.BURN
    symbol: str
    amount: int

    def to_wire(self) -> list[object]:
        return [int(self.CODE), self.symbol, self.amount]

    @classmethod
    def from_args(cls, args: list[object]) -> Burn:
        f = codec.expect_list(args, 2, what="burn")
        return cls(
            symbol=codec.expect_str(f[0], max_len=12, what="symbol"),
            amount=codec.expect_int(f[1], what="amount"),
        )

    def execute(self, ctx: ExecContext) -> None:
        amount = ledger.check_amount(self.amount)
        asset = ledger.require_asset(ctx.state, self.symbol)
        ledger.debit(ctx.state, ctx.sender, self.symbol, amount)
        ledger.put_asset(ctx.state, replace(asset, supply=asset.supply - amount))
        ctx.emit("asset.burned", self.symbol, ctx.sender, amount)
