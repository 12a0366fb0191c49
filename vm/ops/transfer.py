"""Moving points between holders: one recipient, or many in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from vm import ledger
from vm.context import ExecContext
from vm.ops.fields import ACCOUNT, AMOUNT, SYMBOL, ListOf, OpBase, arg
from vm.ops.registry import OpCode

MAX_BATCH = 256


@dataclass(frozen=True, slots=True)
class Transfer(OpBase):
    CODE: ClassVar[OpCode] = OpCode.TRANSFER
    symbol: str = arg(SYMBOL)
    to: bytes = arg(ACCOUNT, "recipient: scc1 address, key name, or address/user")
    amount: int = arg(AMOUNT)

    def execute(self, ctx: ExecContext) -> None:
        ledger.move(ctx, self.symbol, ctx.sender, self.to, self.amount)


@dataclass(frozen=True, slots=True)
class TransferBatch(OpBase):
    """Pay many recipients in one transaction, all or nothing."""

    CODE: ClassVar[OpCode] = OpCode.TRANSFER_BATCH
    symbol: str = arg(SYMBOL)
    items: tuple[tuple[bytes, int], ...] = arg(
        ListOf((("to", ACCOUNT), ("amount", AMOUNT)), MAX_BATCH),
        "a recipient and amount",
        flag="pay",
    )

    def execute(self, ctx: ExecContext) -> None:
        for to, amount in self.items:
            ledger.move(ctx, self.symbol, ctx.sender, to, amount)


OPS = (Transfer, TransferBatch)
