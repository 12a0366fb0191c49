"""What a running contract may touch: the `Host` protocol, and `TestHost` for tests.

The interpreter's only effects go through a Host. Host methods signal a failure the
program caused (unknown symbol, insufficient balance, no delegation...) by raising
`Trap(reason)`; anything else they raise is a host bug and propagates. The ledger-backed
host is `vm/contracts/ledger_host.py`.

`TestHost` is an in-memory world for unit tests that journals like the real state: every
`invoke` (a top-level run or a CALL) snapshots the world and restores it if the run fails.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Protocol

from vm.contracts.code import Program
from vm.contracts.errors import Trap
from vm.contracts.interp import Outcome, Value, run


class Host(Protocol):
    def caller(self) -> bytes: ...
    def deployer(self) -> bytes: ...
    def address(self) -> bytes: ...
    def height(self) -> int: ...
    def time_ms(self) -> int: ...
    def balance(self, account: bytes, symbol: str) -> int: ...
    def transfer(self, symbol: str, to: bytes, amount: int) -> None: ...
    def issue(self, symbol: str, to: bytes, amount: int) -> None: ...
    def burn(self, symbol: str, amount: int) -> None: ...
    def emit(self, topic: bytes, value: Value) -> None: ...
    def call(self, address: bytes, args: list[Value], gas_limit: int, depth: int) -> Outcome: ...
    def sload(self, key: Value) -> Value: ...
    def sstore(self, key: Value, value: Value) -> None: ...
    def has_role(self, address: bytes, role: str) -> bool: ...


@dataclass
class TestWorld:
    """The shared state of every TestHost frame."""

    __test__ = False  # not a pytest class

    height: int = 1
    time_ms: int = 1_700_000_000_000
    contracts: dict[bytes, Program] = field(default_factory=dict)
    storage: dict[bytes, dict[Value, Value]] = field(default_factory=dict)
    balances: dict[tuple[bytes, str], int] = field(default_factory=dict)
    events: list[tuple[bytes, bytes, Value]] = field(default_factory=list)
    roles: set[tuple[bytes, str]] = field(default_factory=set)
    issuable: dict[tuple[bytes, str], int] = field(default_factory=dict)

    def snapshot(self) -> TestSnapshot:
        return TestSnapshot(
            copy.deepcopy(self.storage), dict(self.balances), len(self.events), dict(self.issuable)
        )

    def restore(self, snap: TestSnapshot) -> None:
        self.storage = snap.storage
        self.balances = snap.balances
        del self.events[snap.n_events :]
        self.issuable = snap.issuable


@dataclass(frozen=True, slots=True)
class TestSnapshot:
    __test__ = False

    storage: dict[bytes, dict[Value, Value]]
    balances: dict[tuple[bytes, str], int]
    n_events: int
    issuable: dict[tuple[bytes, str], int]


class TestHost:
    """One call frame over a TestWorld: `address` runs, called by `caller`."""

    __test__ = False

    def __init__(
        self,
        address: bytes = b"\xc0" * 20,
        caller: bytes = b"\xa1" * 20,
        world: TestWorld | None = None,
        deployer: bytes | None = None,
    ) -> None:
        self._address = address
        self._caller = caller
        self._deployer = caller if deployer is None else deployer
        self.world = world if world is not None else TestWorld()

    # -- running -------------------------------------------------------------------------
    def invoke(
        self, program: Program, args: list[Value], gas_limit: int, depth: int = 0
    ) -> Outcome:
        """Run `program` as this frame; on failure restore the world as it was."""
        snap = self.world.snapshot()
        out = run(program, self, args, gas_limit, depth)
        if not out.ok:
            self.world.restore(snap)
        return out

    @property
    def storage(self) -> dict[Value, Value]:
        return self.world.storage.get(self._address, {})

    # -- Host ----------------------------------------------------------------------------
    def caller(self) -> bytes:
        return self._caller

    def deployer(self) -> bytes:
        return self._deployer

    def address(self) -> bytes:
        return self._address

    def height(self) -> int:
        return self.world.height

    def time_ms(self) -> int:
        return self.world.time_ms

    def balance(self, account: bytes, symbol: str) -> int:
        return self.world.balances.get((account, symbol), 0)

    def _add(self, account: bytes, symbol: str, delta: int) -> None:
        new = self.balance(account, symbol) + delta
        if new < 0:
            raise Trap("insufficient balance")
        if new > 2**64 - 1:
            raise Trap("overflow")
        if new:
            self.world.balances[(account, symbol)] = new
        else:
            self.world.balances.pop((account, symbol), None)

    def transfer(self, symbol: str, to: bytes, amount: int) -> None:
        if amount == 0:
            raise Trap("zero amount")
        self._add(self._address, symbol, -amount)
        self._add(to, symbol, amount)

    def issue(self, symbol: str, to: bytes, amount: int) -> None:
        left = self.world.issuable.get((self._address, symbol), 0)
        if amount == 0 or amount > left:
            raise Trap("over delegation cap")
        self.world.issuable[(self._address, symbol)] = left - amount
        self._add(to, symbol, amount)

    def burn(self, symbol: str, amount: int) -> None:
        if amount == 0:
            raise Trap("zero amount")
        self._add(self._address, symbol, -amount)

    def emit(self, topic: bytes, value: Value) -> None:
        self.world.events.append((self._address, topic, value))

    def call(self, address: bytes, args: list[Value], gas_limit: int, depth: int) -> Outcome:
        program = self.world.contracts.get(address)
        if program is None:
            raise Trap("no such contract")
        return TestHost(address, self._address, self.world).invoke(program, args, gas_limit, depth)

    def sload(self, key: Value) -> Value:
        return self.world.storage.get(self._address, {}).get(key, 0)

    def sstore(self, key: Value, value: Value) -> None:
        slots = self.world.storage.setdefault(self._address, {})
        if value == 0 or value == b"":
            slots.pop(key, None)
            if not slots:
                del self.world.storage[self._address]
        else:
            slots[key] = value

    def has_role(self, address: bytes, role: str) -> bool:
        return (address, role) in self.world.roles
