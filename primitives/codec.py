"""Canonical MessagePack codec.

The rules, which every encoder and decoder of the project follows:

1. Values are built from: int (-2**63 .. 2**64-1), bytes, str (UTF-8), bool, None and
   arrays (Python list or tuple) of values. Maps, floats and ext types are not allowed:
   records are fixed-order arrays, so there is no key order to agree on.
2. Encoding is msgpack's shortest form for every value (what `msgpack.packb` with
   `use_bin_type=True` produces). Hence one value has exactly one encoding.
3. `decode` accepts bytes only if they are exactly one value, within the size limits,
   and re-encoding that value gives back the same bytes. Anything else raises
   `DecodeError` (never another exception).

Records turn themselves into arrays with `to_wire()` and back with `from_wire()`; the
helpers at the bottom (`expect_*`) check one field each and raise `DecodeError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgpack

from primitives.errors import DecodeError

MAX_MESSAGE_BYTES = 4 * 1024 * 1024
MAX_ARRAY_LEN = 100_000
MAX_BYTES_LEN = 8 * 1024 * 1024  # the largest byte string (p2p carries consensus messages)
MAX_STR_LEN = 64 * 1024
U64_MAX = 2**64 - 1
I64_MIN = -(2**63)

Wire = Any  # a tree of int, bytes, str, bool, None, list


def _no_ext(code: int, data: bytes) -> object:
    raise DecodeError(f"ext type {code} is not allowed")


def _no_map(pairs: object) -> object:
    raise DecodeError("maps are not allowed; records are arrays")


def encode(value: Wire) -> bytes:
    """Canonical bytes of `value`. Raises DecodeError for values outside the rules."""
    t = type(value)
    if t is not int or not I64_MIN <= value <= U64_MAX:  # ints (balances, nonces): fast path
        _check_encodable(value, 0)
    # packb, not a shared Packer: encoding happens on several threads
    return msgpack.packb(value, use_bin_type=True)  # type: ignore[no-any-return]


_SCALARS = frozenset({bytes, str, bool, type(None)})


def _check_encodable(value: Wire, depth: int) -> None:
    # iterative: this runs on every record the node writes, so it is kept cheap
    stack = [(value, depth)]
    pop, push = stack.pop, stack.append
    while stack:
        v, d = pop()
        t = type(v)
        if t is int:
            if not I64_MIN <= v <= U64_MAX:
                raise DecodeError("integer out of the 64-bit range")
        elif t in _SCALARS:
            continue
        elif t is list or t is tuple:
            if d >= 64:
                raise DecodeError("value nested too deeply")
            for item in v:
                push((item, d + 1))
        else:
            raise DecodeError(f"type {t.__name__} cannot be encoded canonically")


def array_header(length: int) -> bytes:
    """The canonical header of an array of `length` items (to splice pre-encoded items)."""
    if length < 16:
        return bytes((0x90 | length,))
    if length < 2**16:
        return b"\xdc" + length.to_bytes(2, "big")
    return b"\xdd" + length.to_bytes(4, "big")


def encode_trusted(value: Wire) -> bytes:
    """Canonical bytes of a value the caller built itself from checked integers (a
    holding's lots, a counter): the same bytes as `encode`, without walking the value to
    check it (the VM writes these on every transfer)."""
    return msgpack.packb(value, use_bin_type=True)  # type: ignore[no-any-return]


def decode_trusted(data: bytes) -> Wire:
    """Decode bytes this node wrote itself (its own state values): no canonical check."""
    try:
        return msgpack.unpackb(data, raw=False)
    except Exception as exc:  # a corrupt database: the caller halts
        raise DecodeError(f"stored value is corrupt: {type(exc).__name__}") from exc


def decode(data: bytes, *, max_size: int = MAX_MESSAGE_BYTES) -> Wire:
    """Decode exactly one canonical value from `data` or raise DecodeError."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DecodeError("input must be bytes")
    data = bytes(data)
    if len(data) > max_size:
        raise DecodeError(f"message of {len(data)} bytes exceeds the limit of {max_size}")
    if not data:
        raise DecodeError("empty input")
    try:
        value = msgpack.unpackb(
            data,
            raw=False,
            use_list=True,
            strict_map_key=True,
            ext_hook=_no_ext,
            object_pairs_hook=_no_map,
            max_bin_len=MAX_BYTES_LEN,
            max_str_len=MAX_STR_LEN,
            max_array_len=MAX_ARRAY_LEN,
            max_map_len=0,
            max_ext_len=0,
        )
    except DecodeError:
        raise
    except msgpack.ExtraData as exc:
        raise DecodeError("trailing bytes after the value") from exc
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise DecodeError(f"malformed encoding: {type(exc).__name__}") from exc
    except Exception as exc:  # msgpack raises a few private exception types
        raise DecodeError(f"malformed encoding: {type(exc).__name__}") from exc
    _check_encodable(value, 0)  # floats decode fine and re-encode identically: refuse them here
    try:
        again = msgpack.packb(value, use_bin_type=True)
    except (ValueError, TypeError, OverflowError) as exc:  # pragma: no cover - defensive
        raise DecodeError("value cannot be re-encoded") from exc
    if again != data:
        raise DecodeError("non-canonical encoding")
    return value


# ---------------------------------------------------------------- field checkers


def expect_list(value: Wire, length: int | None = None, *, what: str = "record") -> list[Wire]:
    if type(value) is not list:
        raise DecodeError(f"{what}: expected an array")
    if length is not None and len(value) != length:
        raise DecodeError(f"{what}: expected {length} fields, got {len(value)}")
    return value


def expect_int(value: Wire, lo: int = 0, hi: int = U64_MAX, *, what: str = "integer") -> int:
    if type(value) is not int:
        raise DecodeError(f"{what}: expected an integer")
    if not lo <= value <= hi:
        raise DecodeError(f"{what}: {value} outside [{lo}, {hi}]")
    return value


def expect_bool(value: Wire, *, what: str = "flag") -> bool:
    if type(value) is not bool:
        raise DecodeError(f"{what}: expected a boolean")
    return value


def expect_bytes(
    value: Wire, length: int | None = None, *, max_len: int = MAX_BYTES_LEN, what: str = "bytes"
) -> bytes:
    if type(value) is not bytes:
        raise DecodeError(f"{what}: expected bytes")
    if length is not None and len(value) != length:
        raise DecodeError(f"{what}: expected {length} bytes, got {len(value)}")
    if len(value) > max_len:
        raise DecodeError(f"{what}: longer than {max_len} bytes")
    return value


def expect_str(value: Wire, *, max_len: int = MAX_STR_LEN, what: str = "string") -> str:
    if type(value) is not str:
        raise DecodeError(f"{what}: expected a string")
    if len(value) > max_len:
        raise DecodeError(f"{what}: longer than {max_len} characters")
    return value


def expect_optional_bytes(value: Wire, length: int, *, what: str = "bytes") -> bytes | None:
    if value is None:
        return None
    return expect_bytes(value, length, what=what)


def expect_seq(value: Wire, *, max_len: int = MAX_ARRAY_LEN, what: str = "list") -> Sequence[Wire]:
    items = expect_list(value, what=what)
    if len(items) > max_len:
        raise DecodeError(f"{what}: more than {max_len} items")
    return items
