"""Voting on the validator set (see vm/validators.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from primitives import codec
from vm import validators
from vm.context import ExecContext
from vm.errors import ExecutionFailure
from vm.ops.registry import OpCode

ACTIONS = ("add", "remove")


@dataclass(frozen=True, slots=True)
class ValidatorVote:
    CODE: ClassVar[OpCode] = OpCode.VALIDATOR_VOTE
    action: str
    name: str
    public_key: bytes

    def to_wire(self) -> list[object]:
        return [int(self.CODE), self.action, self.name, self.public_key]

    @classmethod
    def from_args(cls, args: list[object]) -> ValidatorVote:
        f = codec.expect_list(args, 3, what="validator.vote")
        return cls(
            action=codec.expect_str(f[0], max_len=8, what="action"),
            name=codec.expect_str(f[1], max_len=64, what="name"),
            public_key=codec.expect_bytes(f[2], 32, what="public key"),
        )

    def execute(self, ctx: ExecContext) -> None:
        if self.action not in ACTIONS or not self.name:
            raise ExecutionFailure(
                "action must be 'add' or 'remove' and the name non-empty", "bad_request"
            )
        applied, votes, needed = validators.vote(
            ctx.state, ctx.sender, self.action, self.name, self.public_key
        )
        kind = "validator.changed" if applied else "validator.voted"
        ctx.emit(kind, self.action, self.name, self.public_key, votes, needed)
