"""What an operation sees while it runs: the state, the block, the sender, the event log,
and the transaction's gas meter.

`gas_used` is the gas the transaction has used so far (the executor adds each operation's
schedule gas before it runs); an operation whose cost is only known as it runs (a
contract call) adds what it used, and never lets it pass `gas_limit`. A context made
outside a transaction (a governance proposal's action) has `gas_limit` None: a contract
call there runs on at most its budget and the chain's `max_tx_gas`."""

from __future__ import annotations

from dataclasses import dataclass, field

from vm.receipt import Event
from vm.state import StateView


@dataclass(frozen=True, slots=True)
class BlockContext:
    chain_id: str
    height: int
    time_ms: int


@dataclass(slots=True)
class ExecContext:
    state: StateView
    block: BlockContext
    sender: bytes  # the sender's 20-byte address
    events: list[Event] = field(default_factory=list)
    gas_used: int = 0
    gas_limit: int | None = None

    def gas_left(self) -> int | None:
        """Gas the transaction may still use; None when not metered by a transaction."""
        return None if self.gas_limit is None else max(0, self.gas_limit - self.gas_used)

    def emit(self, kind: str, *fields: object) -> None:
        self.events.append(Event(kind, tuple(fields)))
