"""Receipts and events: the outcome of each transaction, stored with the block.

Wire: Receipt = [tx_hash, code, message, gas_used, [[kind, [fields...]], ...]]; `code` is
"ok" or a stable error code from vm.codes.
"""

from __future__ import annotations

from dataclasses import dataclass

from primitives import codec
from vm import codes


@dataclass(frozen=True, slots=True)
class Event:
    kind: str
    fields: tuple[object, ...]

    def to_wire(self) -> list[object]:
        return [self.kind, list(self.fields)]

    @classmethod
    def from_wire(cls, wire: object) -> Event:
        f = codec.expect_list(wire, 2, what="event")
        return cls(
            codec.expect_str(f[0], max_len=64, what="event kind"), tuple(codec.expect_seq(f[1]))
        )


@dataclass(frozen=True, slots=True)
class Receipt:
    tx_hash: bytes
    code: str
    message: str
    gas_used: int
    events: tuple[Event, ...]

    @property
    def ok(self) -> bool:
        return self.code == codes.OK

    def to_wire(self) -> list[object]:
        return [
            self.tx_hash,
            self.code,
            self.message,
            self.gas_used,
            [e.to_wire() for e in self.events],
        ]

    def encode(self) -> bytes:
        return codec.encode(self.to_wire())

    @classmethod
    def from_wire(cls, wire: object) -> Receipt:
        f = codec.expect_list(wire, 5, what="receipt")
        return cls(
            tx_hash=codec.expect_bytes(f[0], 32, what="tx hash"),
            code=codec.expect_str(f[1], max_len=64, what="code"),
            message=codec.expect_str(f[2], what="message"),
            gas_used=codec.expect_int(f[3], what="gas used"),
            events=tuple(Event.from_wire(e) for e in codec.expect_seq(f[4])),
        )

    @classmethod
    def decode(cls, data: bytes) -> Receipt:
        return cls.from_wire(codec.decode(data))
