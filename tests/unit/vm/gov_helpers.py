"""A tiny chain driver for the custody, tier, governance and fee tests: tracks nonces,
runs one transaction per call at a chosen height and block time."""

from __future__ import annotations

from typing import Any

from primitives import codec
from primitives.keys import PrivateKey
from tests.unit.vm.helpers import CHAIN, founded, signed
from vm import ledger
from vm.context import BlockContext
from vm.executor import execute_transaction
from vm.ops.registry import Operation
from vm.receipt import Receipt
from vm.state import StateView

T0 = 1_700_000_000_000  # a block time; day_of(T0) = 19675


class Chain:
    def __init__(self, *members: tuple[PrivateKey, tuple[str, ...]]) -> None:
        self.state: StateView = founded(*members)
        self.nonces: dict[bytes, int] = {}
        self.height = 1
        self.time_ms = T0

    def at(self, height: int, time_ms: int | None = None) -> Chain:
        self.height = height
        if time_ms is not None:
            self.time_ms = time_ms
        return self

    def run(self, k: PrivateKey, *ops: Operation, gas: int = 1_000_000) -> Receipt:
        nonce = self.nonces.get(k.address(), 0)
        stx = signed(k, nonce, *ops, gas=gas)
        block = BlockContext(CHAIN, self.height, self.time_ms)
        r = execute_transaction(self.state, stx, block)
        self.nonces[k.address()] = nonce + 1
        return r

    def ok(self, k: PrivateKey, *ops: Operation, gas: int = 1_000_000) -> Receipt:
        r = self.run(k, *ops, gas=gas)
        assert r.ok, (r.code, r.message)
        return r

    def balance(self, account: bytes, symbol: str = "PTS") -> int:
        return ledger.get_balance(self.state, account, symbol, self.height)

    def asset(self, symbol: str = "PTS") -> ledger.PointType:
        a = ledger.get_asset(self.state, symbol)
        assert a is not None
        return a

    def snapshot(self) -> dict[bytes, bytes | None]:
        return dict(self.state.changes())


def diff(before: dict[bytes, Any], after: dict[bytes, Any]) -> set[bytes]:
    """Keys whose values differ between two `Chain.snapshot()`s."""
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def holders_total(state: StateView, symbol: str) -> int:
    """Sum of every stored holding of `symbol` (no expiry in these tests)."""
    total = 0
    suffix = symbol.encode()
    for key, raw in state.changes():
        if key[:1] == ledger.BALANCE and raw is not None:
            n = key[1]
            if key[2 + n :] == suffix:
                value = codec.decode_trusted(raw)
                total += value if type(value) is int else sum(a for _, a in value)
    return total
