"""State layout of the ledger: which state key holds what, and typed accessors.

State keys (the tree authenticates exactly these bytes):

    b"N" + address(20)              -> nonce            (canonical u64)
    b"B" + address(20) + symbol     -> balance          (canonical u64)
    b"A" + symbol                   -> asset record     (AssetRecord wire)

Values are canonical msgpack (primitives.codec); a balance of 0 is deleted, so absence
proofs mean "zero".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from primitives import codec
from primitives.keys import ADDRESS_SIZE
from vm import codes
from vm.errors import ExecutionFailure
from vm.state import StateView

NONCE = b"N"
BALANCE = b"B"
ASSET = b"A"
AMOUNT_MAX = codec.U64_MAX
SYMBOL_RE = re.compile(r"^[A-Z][A-Z0-9]{1,11}$")


def nonce_key(address: bytes) -> bytes:
    return NONCE + address


def balance_key(address: bytes, symbol: str) -> bytes:
    return BALANCE + address + symbol.encode()


def balance_prefix(address: bytes) -> bytes:
    return BALANCE + address


def asset_key(symbol: str) -> bytes:
    return ASSET + symbol.encode()


def check_symbol(symbol: str) -> str:
    if not SYMBOL_RE.match(symbol):
        raise ExecutionFailure(
            f"symbol {symbol!r} must be 2-12 characters A-Z/0-9 starting with a letter",
            codes.INVALID_SYMBOL,
        )
    return symbol


@dataclass(frozen=True, slots=True)
class AssetRecord:
    symbol: str
    name: str
    decimals: int
    cap: int
    issuer: bytes
    supply: int

    def to_wire(self) -> list[object]:
        return [self.symbol, self.name, self.decimals, self.cap, self.issuer, self.supply]

    @classmethod
    def from_wire(cls, wire: object) -> AssetRecord:
        f = codec.expect_list(wire, 6, what="asset")
        return cls(
            symbol=codec.expect_str(f[0], max_len=12, what="symbol"),
            name=codec.expect_str(f[1], max_len=64, what="name"),
            decimals=codec.expect_int(f[2], 0, 18, what="decimals"),
            cap=codec.expect_int(f[3], what="cap"),
            issuer=codec.expect_bytes(f[4], ADDRESS_SIZE, what="issuer"),
            supply=codec.expect_int(f[5], what="supply"),
        )


def _get_int(state: StateView, key: bytes) -> int:
    raw = state.get(key)
    if raw is None:
        return 0
    value = codec.decode_trusted(raw)
    if type(value) is not int:
        raise ExecutionFailure(f"state value at {key.hex()} is not an integer", "state_corrupt")
    return value


def _put_int(state: StateView, key: bytes, value: int) -> None:
    state.put(key, codec.encode(value) if value else None)


def get_nonce(state: StateView, address: bytes) -> int:
    return _get_int(state, nonce_key(address))


def set_nonce(state: StateView, address: bytes, nonce: int) -> None:
    _put_int(state, nonce_key(address), nonce)


def get_balance(state: StateView, address: bytes, symbol: str) -> int:
    return _get_int(state, balance_key(address, symbol))


def set_balance(state: StateView, address: bytes, symbol: str, amount: int) -> None:
    _put_int(state, balance_key(address, symbol), amount)


def get_asset(state: StateView, symbol: str) -> AssetRecord | None:
    raw = state.get(asset_key(symbol))
    return None if raw is None else AssetRecord.from_wire(codec.decode(raw))


def require_asset(state: StateView, symbol: str) -> AssetRecord:
    asset = get_asset(state, symbol)
    if asset is None:
        raise ExecutionFailure(f"no point type {symbol!r}", codes.UNKNOWN_ASSET)
    return asset


def require_asset_exists(state: StateView, symbol: str) -> None:
    if state.get(asset_key(symbol)) is None:
        raise ExecutionFailure(f"no point type {symbol!r}", codes.UNKNOWN_ASSET)


def put_asset(state: StateView, asset: AssetRecord) -> None:
    state.put(asset_key(asset.symbol), codec.encode(asset.to_wire()))


def credit(state: StateView, address: bytes, symbol: str, amount: int) -> None:
    balance = get_balance(state, address, symbol)
    if balance + amount > AMOUNT_MAX:
        raise ExecutionFailure("balance would overflow", codes.INVALID_AMOUNT)
    set_balance(state, address, symbol, balance + amount)


def debit(state: StateView, address: bytes, symbol: str, amount: int) -> None:
    balance = get_balance(state, address, symbol)
    if balance < amount:
        raise ExecutionFailure(
            f"balance {balance} {symbol} is less than {amount}", codes.INSUFFICIENT_BALANCE
        )
    set_balance(state, address, symbol, balance - amount)


def check_amount(amount: int) -> int:
    if amount <= 0:
        raise ExecutionFailure("amount must be positive", codes.INVALID_AMOUNT)
    return amount
