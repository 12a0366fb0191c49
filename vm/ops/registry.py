"""The operation table: op codes, decoders, gas, and dispatch.

Each operation is a frozen dataclass with `CODE`, `to_wire()` (the `[code, *args]` array),
`from_args(args)` and `execute(ctx)`. Gas is charged by the executor from `GAS` before the
operation runs (execution-specs style: gas before any effect). New operations (the points
ledger, commerce, contracts) get an op code and a gas entry here and a decoder entry in
`vm/ops/catalog.py`.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING, ClassVar, Protocol

from primitives import codec

if TYPE_CHECKING:
    from vm.context import ExecContext


class OpCode(IntEnum):
    ASSET_CREATE = 1
    ASSET_ISSUE = 2
    TRANSFER = 3
    BURN = 4
    VALIDATOR_VOTE = 5


class Operation(Protocol):
    CODE: ClassVar[OpCode]

    def to_wire(self) -> list[object]: ...

    def execute(self, ctx: ExecContext) -> None: ...


class OperationType(Protocol):
    CODE: ClassVar[OpCode]

    def from_args(self, args: list[object]) -> Operation: ...


OP_NAMES: dict[OpCode, str] = {
    OpCode.ASSET_CREATE: "asset.create",
    OpCode.ASSET_ISSUE: "asset.issue",
    OpCode.TRANSFER: "transfer",
    OpCode.BURN: "burn",
    OpCode.VALIDATOR_VOTE: "validator.vote",
}

# Gas per operation, charged before the operation runs. TX_BASE is charged once per
# transaction (signature check, nonce, receipt).
TX_BASE_GAS = 1_000
GAS: dict[OpCode, int] = {
    OpCode.ASSET_CREATE: 20_000,
    OpCode.ASSET_ISSUE: 2_000,
    OpCode.TRANSFER: 1_000,
    OpCode.BURN: 1_000,
    OpCode.VALIDATOR_VOTE: 5_000,
}


def symbol_to_amount(args: list[object], what: str) -> tuple[str, bytes, int]:
    """Decode the common `[symbol, recipient address, amount]` argument triple."""
    f = codec.expect_list(args, 3, what=what)
    return (
        codec.expect_str(f[0], max_len=12, what="symbol"),
        codec.expect_bytes(f[1], 20, what="recipient"),
        codec.expect_int(f[2], what="amount"),
    )


def op_gas(op: Operation) -> int:
    return GAS[op.CODE]
