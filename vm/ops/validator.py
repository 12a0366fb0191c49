"""Voting on the validator set by the validators themselves (see vm/validators.py);
governance can also change it with `validator.set` (vm/ops/governance.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from vm import bridge, bridge_state, validators
from vm.context import ExecContext
from vm.ops.fields import NAME, Bytes, OpBase, Str, arg
from vm.ops.registry import OpCode


@dataclass(frozen=True, slots=True)
class ValidatorVote(OpBase):
    CODE: ClassVar[OpCode] = OpCode.VALIDATOR_VOTE
    action: str = arg(Str(8), "add|remove")
    name: str = arg(NAME, "the validator's name")
    public_key: bytes = arg(Bytes(32), "its Ed25519 public key (hex)")

    def execute(self, ctx: ExecContext) -> None:
        valsets = bridge_state.get_status(ctx.state).valset_nonce
        applied, votes, needed = validators.vote(
            ctx.state, ctx.sender, self.action, self.name, self.public_key
        )
        kind = "validator.changed" if applied else "validator.voted"
        ctx.emit(kind, self.action, self.name, self.public_key, votes, needed)
        bridge.emit_valsets_since(ctx, valsets)


OPS = (ValidatorVote,)
