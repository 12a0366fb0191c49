"""Contract operations: deploy bytecode, call a contract, delegate issuance to one.

    contract.deploy    anyone; validates the code (malformed: `invalid_code`, nothing
                       stored), stores it by hash and records the contract at
                       digest(contract-address tag, sender + salt + code hash)[:20]
    contract.call      anyone; runs the contract with the arguments on at most `gas` gas
                       (never more than the transaction has left; in a governance
                       proposal's action, never more than max_tx_gas). Success: the
                       contract's events, then `contract.returned` (contract, values...).
                       Failure: everything the call wrote is rolled back, the gas it ran
                       on stays charged, the receipt carries the host's code
                       (insufficient_balance, no_delegation, call_depth, ...) or
                       `contract_reverted` (REVERT, a trap) or `out_of_gas`
    contract.delegate  the point type's issuer; lets a contract ISSUE up to `cap` points
                       in total (cumulative over the delegation's life); `active` false
                       suspends it. The type's cap, the issuer's daily quota and the
                       recipient's checks still apply to every issue.

Gas: a deploy pays per operation and per code byte (`list_items` is the code length).
A call pays the schedule's base before it runs, then the machine's gas as it runs
(`ExecContext.gas_used`, vm/executor.py). Its budget counts in the transaction's
intrinsic gas (`extra_gas`), so a transaction's gas limit covers the budget it offers.
State keys and the system calls are in vm/contracts/ledger_host.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from primitives import codec
from primitives.errors import DecodeError
from primitives.keys import format_address
from vm import codes, ledger
from vm.context import ExecContext
from vm.contracts import code as code_mod
from vm.contracts import isa
from vm.contracts import ledger_host as lh
from vm.contracts.errors import InvalidCode
from vm.errors import ExecutionFailure
from vm.ops.fields import ADDRESS, AMOUNT, BOOL, SYMBOL, U64, Bytes, Kind, OpBase, Resolver, arg
from vm.ops.registry import OpCode
from vm.params import chain_params

MAX_ARGS = 16
OUT_OF_GAS_REASON = "out of gas"  # the interpreter's reasons (vm/contracts/interp.py)
CALL_DEPTH_REASON = "call depth"


class Values(Kind):
    """Contract arguments: a list of u64 integers and byte strings (up to 256 bytes). As
    text, items separated by commas: `5` (decimal), `0xab01` (bytes), `scc1...` or a key
    name (the 20-byte address); as JSON, numbers and "0x..." strings."""

    name = "values"

    def decode(self, wire: object, what: str) -> tuple[int | bytes, ...]:
        seq = codec.expect_seq(wire, max_len=MAX_ARGS, what=what)
        out: list[int | bytes] = []
        for i, v in enumerate(seq):
            if type(v) is int:
                out.append(codec.expect_int(v, what=f"{what}[{i}]"))
            elif type(v) is bytes:
                if len(v) > isa.MAX_VALUE_BYTES:
                    raise DecodeError(f"{what}[{i}]: longer than {isa.MAX_VALUE_BYTES} bytes")
                out.append(v)
            else:
                raise DecodeError(f"{what}[{i}]: an argument is an integer or bytes")
        return tuple(out)

    def to_wire(self, value: tuple[int | bytes, ...]) -> object:
        return list(value)

    def to_json(self, value: tuple[int | bytes, ...]) -> Any:
        return [v if type(v) is int else "0x" + v.hex() for v in value]  # type: ignore[union-attr]

    def item_from_text(self, text: str, resolve: Resolver) -> int | bytes:
        return parse_value(text, resolve)

    def from_text(self, text: str, resolve: Resolver) -> Any:
        items = [t.strip() for t in text.split(",") if t.strip()]
        return self.decode([parse_value(t, resolve) for t in items], "value")

    def from_json(self, value: Any, resolve: Resolver) -> Any:
        if isinstance(value, str):
            return self.from_text(value, resolve)
        if not isinstance(value, list):
            raise DecodeError("arguments are a list of integers and strings")
        out = [v if type(v) is int else parse_value(str(v), resolve) for v in value]
        return self.decode(out, "value")


def parse_value(text: str, resolve: Resolver) -> int | bytes:
    """One contract argument from text: decimal int, 0x-hex bytes, or an address."""
    if text.isdigit():
        return codec.expect_int(int(text, 10), what="argument")
    if text[:2].lower() == "0x":
        try:
            return bytes.fromhex(text[2:])
        except ValueError:
            raise DecodeError(f"{text!r} is not hex") from None
    return resolve(text)


VALUES = Values()


def _require_contract(ctx: ExecContext, address: bytes) -> lh.Contract:
    c = lh.get_contract(ctx.state, address)
    if c is None:
        raise ExecutionFailure(f"no contract at {format_address(address)}", codes.UNKNOWN_CONTRACT)
    return c


@dataclass(frozen=True, slots=True)
class ContractDeploy(OpBase):
    """Deploy contract bytecode (build it with `scctn contract build`); its address is
    derived from the sender, the salt and the code hash."""

    CODE: ClassVar[OpCode] = OpCode.CONTRACT_DEPLOY
    code: bytes = arg(Bytes(max_len=isa.MAX_CODE), "bytecode (hex)")
    salt: bytes = arg(Bytes(max_len=lh.MAX_SALT), "up to 32 bytes (hex) to vary the address", b"")

    def list_items(self) -> int:
        return len(self.code)  # the schedule's per-item gas is per code byte

    def execute(self, ctx: ExecContext) -> None:
        try:
            code_mod.validate(self.code)
        except InvalidCode as exc:
            raise ExecutionFailure(exc.message, codes.INVALID_CODE) from None
        chash = lh.code_hash(self.code)
        address = lh.contract_address(ctx.sender, self.salt, chash)
        if lh.get_contract(ctx.state, address) is not None:
            raise ExecutionFailure(
                f"contract {format_address(address)} is already deployed", codes.CONTRACT_EXISTS
            )
        lh.put_code(ctx.state, chash, self.code)
        lh.put_contract(
            ctx.state, lh.Contract(address, chash, ctx.sender, self.salt, ctx.block.height)
        )
        ctx.emit("contract.deployed", address, chash, ctx.sender)


@dataclass(frozen=True, slots=True)
class ContractCall(OpBase):
    """Call a contract with arguments (integers, 0x-hex bytes, addresses), running on at
    most `gas` gas."""

    CODE: ClassVar[OpCode] = OpCode.CONTRACT_CALL
    contract: bytes = arg(ADDRESS, "the contract's address")
    args: tuple[int | bytes, ...] = arg(VALUES, "arguments, comma-separated", ())
    gas: int = arg(U64, "gas the contract may run on", 100_000)

    def extra_gas(self) -> int:
        """The budget, counted in the transaction's intrinsic gas (vm/executor.py)."""
        return self.gas

    def execute(self, ctx: ExecContext) -> None:
        c = _require_contract(ctx, self.contract)
        left = ctx.gas_left()
        if left is None:  # run by a governance proposal: no transaction meters it
            left = chain_params(ctx.state).max_tx_gas
        limit = min(self.gas, left)
        outcome, frame = lh.run_call(ctx, c, list(self.args), limit)
        ctx.gas_used += min(outcome.gas_used, limit)
        if not outcome.ok:
            if frame.code:
                code, message = frame.code, frame.message
            elif outcome.reason.endswith(OUT_OF_GAS_REASON):
                code, message = codes.OUT_OF_GAS, f"ran out of its {limit} gas"
            elif outcome.reason.endswith(CALL_DEPTH_REASON):
                code, message = codes.CALL_DEPTH, f"calls nested deeper than {isa.MAX_CALL_DEPTH}"
            else:
                code, message = codes.CONTRACT_REVERTED, outcome.reason
            raise ExecutionFailure(f"contract {format_address(self.contract)}: {message}", code)
        ctx.emit("contract.returned", self.contract, *outcome.values)


@dataclass(frozen=True, slots=True)
class ContractDelegate(OpBase):
    """Let a contract issue up to `cap` points of your point type in total (cumulative;
    the type's cap and your quota still apply); `--active false` suspends it."""

    CODE: ClassVar[OpCode] = OpCode.CONTRACT_DELEGATE
    symbol: str = arg(SYMBOL)
    contract: bytes = arg(ADDRESS, "the contract's address")
    cap: int = arg(AMOUNT, "total points the contract may issue under this delegation")
    active: bool = arg(BOOL, "false suspends the delegation", True)

    def execute(self, ctx: ExecContext) -> None:
        asset = ledger.require_asset(ctx.state, self.symbol)
        ledger.require_issuer(ctx, asset)
        _require_contract(ctx, self.contract)
        old = lh.get_delegation(ctx.state, self.symbol, self.contract)
        issued = 0 if old is None or old.issuer != ctx.sender else old.issued
        lh.put_delegation(
            ctx.state,
            lh.Delegation(self.symbol, self.contract, ctx.sender, self.cap, issued, self.active),
        )
        ctx.emit("contract.delegated", self.symbol, self.contract, self.cap, issued, self.active)


OPS = (ContractDeploy, ContractCall, ContractDelegate)
