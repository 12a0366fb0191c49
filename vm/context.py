"""What an operation sees while it runs: the state, the block, the sender, the event log."""

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

    def emit(self, kind: str, *fields: object) -> None:
        self.events.append(Event(kind, tuple(fields)))
