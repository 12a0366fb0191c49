"""Moving points between holders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from vm import codes, ledger
from vm.context import ExecContext
from vm.errors import ExecutionFailure
from vm.ops.registry import OpCode, symbol_to_amount


@dataclass(frozen=True, slots=True)
class Transfer:
    CODE: ClassVar[OpCode] = OpCode.TRANSFER
    symbol: str
    to: bytes
    amount: int

    def to_wire(self) -> list[object]:
        return [int(self.CODE), self.symbol, self.to, self.amount]

    @classmethod
    def from_args(cls, args: list[object]) -> Transfer:
        return cls(*symbol_to_amount(args, "transfer"))

    def execute(self, ctx: ExecContext) -> None:
        amount = ledger.check_amount(self.amount)
        if self.to == ctx.sender:
            raise ExecutionFailure("sender and recipient are the same account", codes.SELF_TRANSFER)
        ledger.require_asset_exists(ctx.state, self.symbol)
        ledger.debit(ctx.state, ctx.sender, self.symbol, amount)
        ledger.credit(ctx.state, self.to, self.symbol, amount)
        ctx.emit("transfer", self.symbol, ctx.sender, self.to, amount)
