"""Declarative operation fields: one description per field gives its wire decoding, its
JSON view and its command-line parsing, so an operation is written once.

An operation is a frozen dataclass whose fields carry a kind:

    @dataclass(frozen=True, slots=True)
    class Transfer(OpBase):
        CODE: ClassVar[OpCode] = OpCode.TRANSFER
        symbol: str = arg(SYMBOL)
        to: bytes = arg(ACCOUNT, "recipient")
        amount: int = arg(AMOUNT)

Its wire form is `[code, *fields]`; decoding is strict (wrong type, length or range is a
DecodeError). `OpBase` provides `to_wire`, `from_args`, `to_json` and `gas`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from primitives import codec
from primitives.errors import DecodeError, InvalidAddress
from primitives.keys import ADDRESS_SIZE, format_address
from vm import accounts

Resolver = Callable[[str], bytes]  # a name or text address -> 20-byte address


class Kind:
    """How one field is decoded, shown and parsed from text."""

    name = "value"
    help = ""

    def decode(self, wire: object, what: str) -> Any:
        raise NotImplementedError

    def to_wire(self, value: Any) -> object:
        return value

    def to_json(self, value: Any) -> Any:
        return value

    def from_text(self, text: str, resolve: Resolver) -> Any:
        return self.decode(text, "value")

    def from_json(self, value: Any, resolve: Resolver) -> Any:
        if isinstance(value, str):
            return self.from_text(value, resolve)
        return self.decode(value, "value")


class Int(Kind):
    name = "integer"

    def __init__(self, lo: int = 0, hi: int = codec.U64_MAX) -> None:
        self.lo, self.hi = lo, hi

    def decode(self, wire: object, what: str) -> int:
        return codec.expect_int(wire, self.lo, self.hi, what=what)

    def from_text(self, text: str, resolve: Resolver) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise DecodeError(f"{text!r} is not an integer") from None
        return self.decode(value, "value")


class Bool(Kind):
    name = "true|false"

    def decode(self, wire: object, what: str) -> bool:
        return codec.expect_bool(wire, what=what)

    def from_text(self, text: str, resolve: Resolver) -> bool:
        low = text.lower()
        if low in ("true", "yes", "1", "on"):
            return True
        if low in ("false", "no", "0", "off"):
            return False
        raise DecodeError(f"{text!r} is not true or false")


class Str(Kind):
    name = "text"

    def __init__(self, max_len: int, min_len: int = 0) -> None:
        self.max_len, self.min_len = max_len, min_len

    def decode(self, wire: object, what: str) -> str:
        s = codec.expect_str(wire, max_len=self.max_len, what=what)
        if len(s) < self.min_len:
            raise DecodeError(f"{what}: at least {self.min_len} characters")
        return s


class Bytes(Kind):
    """Raw bytes shown as hex; `size` exact, or up to `max_len`."""

    name = "hex"

    def __init__(self, size: int | None = None, max_len: int = 1024) -> None:
        self.size, self.max_len = size, max_len

    def decode(self, wire: object, what: str) -> bytes:
        if self.size is not None:
            return codec.expect_bytes(wire, self.size, what=what)
        value = codec.expect_bytes(wire, what=what)
        if len(value) > self.max_len:
            raise DecodeError(f"{what}: longer than {self.max_len} bytes")
        return value

    def to_json(self, value: bytes) -> str:
        return value.hex()

    def from_text(self, text: str, resolve: Resolver) -> bytes:
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise DecodeError(f"{text!r} is not hex") from None
        return self.decode(raw, "value")


class Address(Kind):
    name = "address"

    def decode(self, wire: object, what: str) -> bytes:
        return codec.expect_bytes(wire, ADDRESS_SIZE, what=what)

    def to_json(self, value: bytes) -> str:
        return format_address(value)

    def from_text(self, text: str, resolve: Resolver) -> bytes:
        return resolve(text)


class Account(Kind):
    """A raw address or a custody sub-account (`scc1.../user`); `optional` also allows
    the empty value (b"" on the wire, "" or "-" as text) meaning "none"."""

    name = "account"

    def __init__(self, optional: bool = False) -> None:
        self.optional = optional

    def decode(self, wire: object, what: str) -> bytes:
        raw = codec.expect_bytes(wire, what=what)
        if raw == b"" and self.optional:
            return raw
        if not accounts.valid_account(raw):
            raise DecodeError(f"{what}: not an account (address or address/user)")
        return raw

    def to_json(self, value: bytes) -> str:
        return accounts.format_account(value) if value else ""

    def from_text(self, text: str, resolve: Resolver) -> bytes:
        if self.optional and text in ("", "-"):
            return b""
        base, slash, user = text.partition("/")
        raw = resolve(base)
        if slash:
            raw = raw + user.encode()
        try:
            return accounts.check_account(raw)
        except InvalidAddress as exc:
            raise DecodeError(exc.message) from None


class ListOf(Kind):
    """A list of records, each a fixed tuple of kinds. As text, one item is its fields
    joined by ':' (the last field may itself contain ':'); as JSON, a list of lists."""

    name = "list"

    def __init__(self, item: Sequence[tuple[str, Kind]], max_len: int, min_len: int = 1) -> None:
        self.item = tuple(item)
        self.max_len, self.min_len = max_len, min_len
        self.name = ":".join(n for n, _ in self.item)

    def decode(self, wire: object, what: str) -> tuple[tuple[Any, ...], ...]:
        seq = codec.expect_seq(wire, max_len=self.max_len, what=what)
        if len(seq) < self.min_len:
            raise DecodeError(f"{what}: at least {self.min_len} item(s)")
        out = []
        for i, raw in enumerate(seq):
            f = codec.expect_list(raw, len(self.item), what=f"{what}[{i}]")
            out.append(
                tuple(
                    k.decode(v, f"{what}[{i}].{n}") for (n, k), v in zip(self.item, f, strict=True)
                )
            )
        return tuple(out)

    def to_wire(self, value: tuple[tuple[Any, ...], ...]) -> object:
        return [[k.to_wire(v) for (_, k), v in zip(self.item, row, strict=True)] for row in value]

    def to_json(self, value: tuple[tuple[Any, ...], ...]) -> Any:
        return [
            {n: k.to_json(v) for (n, k), v in zip(self.item, row, strict=True)} for row in value
        ]

    def item_from_text(self, text: str, resolve: Resolver) -> tuple[Any, ...]:
        parts = text.split(":", len(self.item) - 1)
        if len(parts) != len(self.item):
            raise DecodeError(f"{text!r}: expected {self.name}")
        return tuple(k.from_text(p, resolve) for (_, k), p in zip(self.item, parts, strict=True))

    def from_json(self, value: Any, resolve: Resolver) -> Any:
        if not isinstance(value, list):
            raise DecodeError("expected a list")
        rows = []
        for row in value:
            if isinstance(row, dict):
                row = [row.get(n) for n, _ in self.item]
            if not isinstance(row, list) or len(row) != len(self.item):
                raise DecodeError(f"each item needs {self.name}")
            rows.append(
                tuple(k.from_json(v, resolve) for (_, k), v in zip(self.item, row, strict=True))
            )
        return self.decode([list(self.to_wire_row(r)) for r in rows], "value")

    def to_wire_row(self, row: tuple[Any, ...]) -> list[object]:
        return [k.to_wire(v) for (_, k), v in zip(self.item, row, strict=True)]


class Pairs(Kind):
    """Free-form string attributes: a list of [key, value] strings, shown as an object."""

    name = "key=value"

    def __init__(self, max_len: int = 32, key_len: int = 32, value_len: int = 128) -> None:
        self.max_len, self.key_len, self.value_len = max_len, key_len, value_len

    def decode(self, wire: object, what: str) -> tuple[tuple[str, str], ...]:
        seq = codec.expect_seq(wire, max_len=self.max_len, what=what)
        out = []
        for i, raw in enumerate(seq):
            f = codec.expect_list(raw, 2, what=f"{what}[{i}]")
            out.append(
                (
                    codec.expect_str(f[0], max_len=self.key_len, what=f"{what}[{i}].key"),
                    codec.expect_str(f[1], max_len=self.value_len, what=f"{what}[{i}].value"),
                )
            )
        keys = [k for k, _ in out]
        if keys != sorted(set(keys)):
            raise DecodeError(f"{what}: keys must be unique and sorted")
        return tuple(out)

    def to_wire(self, value: tuple[tuple[str, str], ...]) -> object:
        return [list(p) for p in value]

    def to_json(self, value: tuple[tuple[str, str], ...]) -> Any:
        return dict(value)

    def item_from_text(self, text: str, resolve: Resolver) -> tuple[str, str]:
        k, eq, v = text.partition("=")
        if not eq:
            raise DecodeError(f"{text!r}: expected key=value")
        return (k, v)

    def from_json(self, value: Any, resolve: Resolver) -> Any:
        if not isinstance(value, dict):
            raise DecodeError("expected an object of strings")
        return self.decode([[k, v] for k, v in sorted(value.items())], "value")


class Nested(Kind):
    """An operation inside an operation (a governance proposal's action)."""

    name = "operation"

    def decode(self, wire: object, what: str) -> Any:
        from vm.ops.catalog import decode_operation

        return decode_operation(wire)

    def to_wire(self, value: Any) -> object:
        return value.to_wire()

    def to_json(self, value: Any) -> Any:
        return value.to_json()

    def from_text(self, text: str, resolve: Resolver) -> Any:
        try:
            obj = json.loads(text)
        except ValueError:
            raise DecodeError('an operation is given as JSON: {"op": name, ...}') from None
        return self.from_json(obj, resolve)

    def from_json(self, value: Any, resolve: Resolver) -> Any:
        from vm.ops.catalog import operation_from_json

        return operation_from_json(value, resolve)


U64 = Int()
AMOUNT = Int()
HEIGHT = Int()
SYMBOL = Str(12, 1)
NAME = Str(64)
REASON = Str(32)
ADDRESS = Address()
ACCOUNT = Account()
ACCOUNT_OR_NONE = Account(optional=True)
HASH = Bytes(32)
BOOL = Bool()
OPERATION = Nested()


_NO_DEFAULT: Any = dataclasses.MISSING


def arg(
    kind: Kind, help: str = "", default: Any = _NO_DEFAULT, flag: str = "", cli_default: Any = None
) -> Any:
    """A dataclass field of an operation, with its kind (and a default for the CLI and
    for Python callers; the wire form always carries every field). `flag` names the
    command-line option when the field's name reads badly there (`--pay` for items);
    `cli_default` is a default for clients only (for a field that cannot have a dataclass
    default because required fields follow it)."""
    return dataclasses.field(
        default=default,
        metadata={"kind": kind, "help": help, "flag": flag, "cli_default": cli_default},
    )


def field_default(f: Any) -> Any:
    """The default of an operation's field for clients (CLI, JSON): MISSING if required."""
    if f.default is not dataclasses.MISSING:
        return f.default
    cli = f.metadata.get("cli_default")
    return dataclasses.MISSING if cli is None else cli


class Flags(Kind):
    """A bitmask shown as a list of names; as text, names separated by commas."""

    name = "names"

    def __init__(self, names: dict[str, int]) -> None:
        self.names = names
        self.all = sum(names.values())
        self.name = ",".join(names)

    def decode(self, wire: object, what: str) -> int:
        return codec.expect_int(wire, 0, self.all, what=what)

    def to_json(self, value: int) -> list[str]:
        return [n for n, bit in self.names.items() if value & bit]

    def from_text(self, text: str, resolve: Resolver) -> int:
        return self.from_json([t.strip() for t in text.split(",") if t.strip()], resolve)

    def from_json(self, value: Any, resolve: Resolver) -> int:
        if isinstance(value, str):
            return self.from_text(value, resolve)
        if isinstance(value, int):
            return self.decode(value, "value")
        flags = 0
        for n in value:
            if n not in self.names:
                raise DecodeError(f"unknown name {n!r} (one of {', '.join(self.names)})")
            flags |= self.names[n]
        return flags


class Choice(Kind):
    """A small integer shown as a name."""

    def __init__(self, names: dict[str, int]) -> None:
        self.names = names
        self.by_value = {v: n for n, v in names.items()}
        self.name = "|".join(names)

    def decode(self, wire: object, what: str) -> int:
        value = codec.expect_int(wire, what=what)
        if value not in self.by_value:
            raise DecodeError(f"{what}: not one of {self.name}")
        return value

    def to_json(self, value: int) -> str:
        return self.by_value[value]

    def from_text(self, text: str, resolve: Resolver) -> int:
        if text not in self.names:
            raise DecodeError(f"{text!r} is not one of {self.name}")
        return self.names[text]


class OpBase:
    """Wire, JSON and gas for operations described by `arg` fields."""

    __slots__ = ()
    CODE: ClassVar[Any]
    # extra gas per list item for operations carrying a list (batches)
    GAS_PER_ITEM: ClassVar[int] = 0
    _SPEC: ClassVar[tuple[tuple[str, Kind], ...]]

    @classmethod
    def spec(cls) -> tuple[tuple[str, Kind], ...]:
        spec = cls.__dict__.get("_SPEC")
        if spec is None:
            spec = tuple(
                (f.name, f.metadata["kind"])
                for f in dataclasses.fields(cls)  # type: ignore[arg-type]
            )
            cls._SPEC = spec
        return spec

    def to_wire(self) -> list[object]:
        return [int(self.CODE)] + [k.to_wire(getattr(self, n)) for n, k in self.spec()]

    @classmethod
    def from_args(cls, args: list[object]) -> Any:
        spec = cls.spec()
        f = codec.expect_list(args, len(spec), what=cls.__name__)
        return cls(*(k.decode(v, n) for (n, k), v in zip(spec, f, strict=True)))

    def to_json(self) -> dict[str, Any]:
        from vm.ops.registry import OP_NAMES

        out: dict[str, Any] = {"op": OP_NAMES[self.CODE]}
        for n, k in self.spec():
            out[n] = k.to_json(getattr(self, n))
        return out

    def extra_gas(self) -> int:
        """Gas the operation may use beyond its schedule entry (a contract call's budget,
        an order's matching): counted in the transaction's intrinsic gas, so its limit
        covers the worst case; what is charged is what it used."""
        return 0

    def list_items(self) -> int:
        """Number of list items (batches pay per item)."""
        return sum(len(getattr(self, n)) for n, k in self.spec() if isinstance(k, ListOf))
