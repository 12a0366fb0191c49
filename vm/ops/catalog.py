"""Decoder table: op code -> operation class. One entry per operation."""

from __future__ import annotations

from collections.abc import Callable

from primitives import codec
from primitives.errors import DecodeError
from vm import codes
from vm.errors import InvalidTransaction
from vm.ops.asset import AssetCreate, AssetIssue, Burn
from vm.ops.registry import OpCode, Operation
from vm.ops.transfer import Transfer
from vm.ops.validator import ValidatorVote

DECODERS: dict[OpCode, Callable[[list[object]], Operation]] = {
    OpCode.ASSET_CREATE: AssetCreate.from_args,
    OpCode.ASSET_ISSUE: AssetIssue.from_args,
    OpCode.TRANSFER: Transfer.from_args,
    OpCode.BURN: Burn.from_args,
    OpCode.VALIDATOR_VOTE: ValidatorVote.from_args,
}


def decode_operation(wire: object) -> Operation:
    f = codec.expect_list(wire, what="operation")
    if not f:
        raise DecodeError("operation: empty array")
    code = codec.expect_int(f[0], 0, 2**16, what="op code")
    try:
        decoder = DECODERS[OpCode(code)]
    except (ValueError, KeyError) as exc:
        raise InvalidTransaction(f"unknown operation code {code}", codes.UNKNOWN_OPERATION) from exc
    return decoder(f[1:])
