"""The ledger-backed host of the contract machine: contract state and the system calls.

Theory of operation. A contract is code stored once by its hash and a record at the
contract's address (`digest("scctn/contract-address/v1", deployer + salt + code hash)`,
first 20 bytes). The address is also an ordinary raw account: the contract holds points
there, and TRANSFER and BURN spend from it through vm/ledger.py like any holder (every
rule of the point type applies). ISSUE creates new points only under a delegation the
point type's issuer granted to this contract: cumulative up to the delegation's cap, and
ledger.issue still applies the type's cap, the issuer's daily quota and the recipient's
checks.

The host never commits anything itself: every write goes to the transaction's
`StateView`, and a failed call (a trap in any frame, a failed inner call, running out of
gas) makes contract.call raise ExecutionFailure, so the executor rolls back everything
the call wrote; only the gas stays charged. A host failure is a `Trap` for the
interpreter; the stable code behind it (insufficient_balance, no_delegation, ...) is kept
in the call's `Frame` so the receipt carries it.

State (vm/tables.py):

    H + code hash(32)                      -> bytecode
    O + address(20)                        -> [code hash, deployer(20), salt, height]
    S + address(20) + 0 + key(8 BE)        -> stored value (int or bytes), integer key
    S + address(20) + 1 + key bytes        -> stored value, byte-string key
    U + symbol + 0 + contract(20)          -> [issuer(20), cap, issued, active]

A stored 0 or b"" deletes the key (SLOAD of an absent key reads 0).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from primitives import codec
from primitives.hashing import Tags, digest
from primitives.keys import ADDRESS_SIZE
from vm import accounts, codes, governance, ledger, tables
from vm.context import ExecContext
from vm.contracts import code as code_mod
from vm.contracts import interp, isa
from vm.contracts.errors import Trap
from vm.errors import ExecutionFailure
from vm.state import StateReader, StateView

Value = int | bytes
T = TypeVar("T")

CODE = tables.CONTRACT_CODE
CONTRACT = tables.CONTRACT
STORAGE = tables.CONTRACT_STORAGE
DELEGATION = tables.DELEGATION
ADDRESS_TAG = Tags.CONTRACT_ADDRESS
MAX_SALT = 32


# --- contract records and code ------------------------------------------------------------


def code_hash(code: bytes) -> bytes:
    """SHA-256 of the bytecode (the key the machine caches a decoded program under)."""
    return hashlib.sha256(code).digest()


def contract_address(deployer: bytes, salt: bytes, chash: bytes) -> bytes:
    """Deterministic: the same deployer, salt and code always give the same address."""
    return bytes(digest(ADDRESS_TAG, deployer + salt + chash))[:ADDRESS_SIZE]


@dataclass(frozen=True, slots=True)
class Contract:
    address: bytes
    code_hash: bytes
    deployer: bytes
    salt: bytes
    height: int

    def to_wire(self) -> list[object]:
        return [self.code_hash, self.deployer, self.salt, self.height]

    @classmethod
    def from_wire(cls, address: bytes, wire: object) -> Contract:
        f = codec.expect_list(wire, 4, what="contract")
        return cls(
            address,
            codec.expect_bytes(f[0], 32, what="code hash"),
            codec.expect_bytes(f[1], ADDRESS_SIZE, what="deployer"),
            codec.expect_bytes(f[2], what="salt"),
            codec.expect_int(f[3], what="height"),
        )


def get_contract(state: StateReader, address: bytes) -> Contract | None:
    raw = state.get(CONTRACT + address)
    return None if raw is None else Contract.from_wire(address, codec.decode_trusted(raw))


def put_contract(state: StateView, c: Contract) -> None:
    state.put(CONTRACT + c.address, codec.encode(c.to_wire()))


def get_code(state: StateReader, chash: bytes) -> bytes | None:
    return state.get(CODE + chash)


def put_code(state: StateView, chash: bytes, code: bytes) -> None:
    if state.get(CODE + chash) is None:
        state.put(CODE + chash, code)


_programs: dict[bytes, Any] = {}


def program_of(state: StateReader, c: Contract) -> Any:
    """The validated, pre-decoded program of a deployed contract (cached by code hash;
    the code was validated at deploy, so this cannot fail for stored code)."""
    program = _programs.get(c.code_hash)
    if program is None:
        code = get_code(state, c.code_hash)
        if code is None:  # cannot happen: deploy writes the code with the record
            raise ExecutionFailure(f"code {c.code_hash.hex()} missing", codes.UNKNOWN_CONTRACT)
        if len(_programs) > 256:
            _programs.clear()
        program = _programs[c.code_hash] = code_mod.validate(code)
    return program


# --- storage ------------------------------------------------------------------------------


def storage_key(address: bytes, key: Value) -> bytes:
    if type(key) is int:
        return STORAGE + address + b"\x00" + key.to_bytes(8, "big")
    return STORAGE + address + b"\x01" + key  # type: ignore[operator]


def sload(state: StateReader, address: bytes, key: Value) -> Value:
    raw = state.get(storage_key(address, key))
    if raw is None:
        return 0
    value: Value = codec.decode_trusted(raw)
    return value


def sstore(state: StateView, address: bytes, key: Value, value: Value) -> None:
    skey = storage_key(address, key)
    if value == 0 or value == b"":
        state.put(skey, None)
    else:
        state.put(skey, codec.encode(value))


# --- delegations --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Delegation:
    symbol: str
    contract: bytes
    issuer: bytes
    cap: int
    issued: int
    active: bool

    def to_wire(self) -> list[object]:
        return [self.issuer, self.cap, self.issued, self.active]


def delegation_key(symbol: str, contract: bytes) -> bytes:
    return DELEGATION + symbol.encode() + tables.SEP + contract


def get_delegation(state: StateReader, symbol: str, contract: bytes) -> Delegation | None:
    raw = state.get(delegation_key(symbol, contract))
    if raw is None:
        return None
    f = codec.expect_list(codec.decode_trusted(raw), 4, what="delegation")
    return Delegation(
        symbol,
        contract,
        codec.expect_bytes(f[0], ADDRESS_SIZE, what="issuer"),
        codec.expect_int(f[1], what="cap"),
        codec.expect_int(f[2], what="issued"),
        codec.expect_bool(f[3], what="active"),
    )


def put_delegation(state: StateView, d: Delegation) -> None:
    state.put(delegation_key(d.symbol, d.contract), codec.encode(d.to_wire()))


# --- the host -----------------------------------------------------------------------------


@dataclass(slots=True)
class Frame:
    """What one top-level contract.call shares across its nested calls: the stable code
    and message of the host failure that stopped it (empty if the program itself failed)."""

    code: str = ""
    message: str = ""


class LedgerHost:
    """The `Host` (vm/contracts/host.py) of one running contract, over the transaction's
    execution context. `depth` is this frame's call depth (0: called by a transaction)."""

    __slots__ = ("_ctx", "_address", "_caller", "_frame", "_depth")

    def __init__(
        self, ctx: ExecContext, address: bytes, caller: bytes, frame: Frame, depth: int = 0
    ) -> None:
        self._ctx = ctx
        self._address = address
        self._caller = caller
        self._frame = frame
        self._depth = depth

    # failures
    def _fail(self, code: str, message: str) -> NoReturn:
        if not self._frame.code:
            self._frame.code, self._frame.message = code, message
        raise Trap(message)

    def _ledger(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        try:
            return fn(self._ctx, *args, **kw)
        except ExecutionFailure as exc:
            self._fail(exc.code, exc.message)

    def _bytes(self, value: object, what: str) -> bytes:
        if type(value) is not bytes:
            self._fail(codes.BAD_CONTRACT_ARGUMENT, f"{what} must be bytes")
        return value

    def _int(self, value: object, what: str) -> int:
        if type(value) is not int:
            self._fail(codes.BAD_CONTRACT_ARGUMENT, f"{what} must be an integer")
        return value

    def _symbol(self, value: object) -> str:
        if isinstance(value, bytes):
            value = value.decode("ascii", "replace")
        if not isinstance(value, str) or not ledger.SYMBOL_RE.match(value):
            self._fail(codes.INVALID_SYMBOL, f"symbol {value!r} is malformed")
        return value

    def _account(self, value: object) -> bytes:
        raw = self._bytes(value, "account")
        if not accounts.valid_account(raw):
            self._fail(codes.INVALID_ACCOUNT, "not an account (20-byte address or address/user)")
        return raw

    # reads
    def caller(self) -> bytes:
        return self._caller

    def deployer(self) -> bytes:
        c = get_contract(self._ctx.state, self._address)
        if c is None:  # pragma: no cover - a running contract always has its record
            raise Trap("no contract record")
        return c.deployer

    def address(self) -> bytes:
        return self._address

    def height(self) -> int:
        return self._ctx.block.height

    def time_ms(self) -> int:
        return self._ctx.block.time_ms

    def balance(self, account: object, symbol: object) -> int:
        acct, sym = self._account(account), self._symbol(symbol)
        return ledger.get_balance(self._ctx.state, acct, sym, self._ctx.block.height)

    def sload(self, key: object) -> Value:
        return sload(self._ctx.state, self._address, self._key(key))

    def has_role(self, address: object, role: object) -> bool:
        addr = self._bytes(address, "address")
        name = role.decode("ascii", "replace") if isinstance(role, bytes) else role
        if not isinstance(name, str) or name not in governance.ROLES:
            self._fail(codes.UNKNOWN_ROLE, f"no role {name!r}")
        return len(addr) == ADDRESS_SIZE and governance.has_role(self._ctx.state, addr, name)

    def _key(self, key: object) -> Value:
        if type(key) is int or type(key) is bytes:
            return key
        self._fail(codes.BAD_CONTRACT_ARGUMENT, "a storage key is an integer or bytes")

    # effects
    def sstore(self, key: object, value: object) -> None:
        k = self._key(key)
        if type(value) is not int and type(value) is not bytes:
            self._fail(codes.BAD_CONTRACT_ARGUMENT, "a stored value is an integer or bytes")
        sstore(self._ctx.state, self._address, k, value)

    def transfer(self, symbol: object, to: object, amount: object) -> None:
        sym, dst, n = self._symbol(symbol), self._account(to), self._int(amount, "amount")
        self._ledger(ledger.move, sym, self._address, dst, n)

    def issue(self, symbol: object, to: object, amount: object) -> None:
        sym, dst, n = self._symbol(symbol), self._account(to), self._int(amount, "amount")
        state = self._ctx.state
        asset = self._ledger(lambda ctx: ledger.require_asset(ctx.state, sym))
        d = get_delegation(state, sym, self._address)
        if d is None or not d.active or d.issuer != asset.issuer:
            self._fail(codes.NO_DELEGATION, f"the issuer of {sym} has not delegated issuance")
        if n <= 0 or d.issued + n > d.cap:
            self._fail(
                codes.DELEGATION_EXCEEDED,
                f"issuing {n} {sym} would exceed the delegated cap of {d.cap} ({d.issued} used)",
            )
        self._ledger(ledger.issue, sym, dst, n)
        put_delegation(
            state,
            Delegation(sym, self._address, d.issuer, d.cap, d.issued + n, d.active),
        )

    def burn(self, symbol: object, amount: object) -> None:
        sym, n = self._symbol(symbol), self._int(amount, "amount")
        self._ledger(ledger.remove, sym, self._address, n, "redeemed")

    def emit(self, topic: object, value: object) -> None:
        t = self._bytes(topic, "topic")
        self._ctx.emit("contract.event", self._address, t, value)

    def call(self, address: object, args: Any, gas_limit: int, depth: int) -> interp.Outcome:
        """Run another contract; `depth` is the callee's depth. A failed callee fails the
        caller too: the interpreter stops the outer program on a failed outcome, and the
        whole contract.call is rolled back."""
        addr = self._bytes(address, "contract address")
        if depth > isa.MAX_CALL_DEPTH:
            self._fail(codes.CALL_DEPTH, f"call depth over {isa.MAX_CALL_DEPTH}")
        c = get_contract(self._ctx.state, addr) if len(addr) == ADDRESS_SIZE else None
        if c is None:
            self._fail(codes.UNKNOWN_CONTRACT, f"no contract at {addr.hex()}")
        host = LedgerHost(self._ctx, addr, self._address, self._frame, depth)
        return interp.run(program_of(self._ctx.state, c), host, list(args), gas_limit, depth)


def run_call(
    ctx: ExecContext, contract: Contract, args: list[Value], gas_limit: int
) -> tuple[interp.Outcome, Frame]:
    """Run a contract called by the transaction's sender (depth 0)."""
    frame = Frame()
    host = LedgerHost(ctx, contract.address, ctx.sender, frame, 0)
    outcome = interp.run(program_of(ctx.state, contract), host, args, gas_limit, 0)
    return outcome, frame
