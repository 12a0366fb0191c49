"""Canonical codec: round trip, canonical form, strictness, and decoder fuzzing."""

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from primitives import codec
from primitives.errors import DecodeError

scalars = (
    st.integers(min_value=codec.I64_MIN, max_value=codec.U64_MAX)
    | st.binary(max_size=64)
    | st.text(max_size=32)
    | st.booleans()
    | st.none()
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=6), max_leaves=30)


@given(values)
def test_round_trip_and_canonical(value: object) -> None:
    data = codec.encode(value)
    assert codec.decode(data) == value
    assert codec.encode(codec.decode(data)) == data


@given(st.binary(max_size=200))
@settings(max_examples=2000)
def test_any_bytes_give_value_or_decode_error(data: bytes) -> None:
    try:
        value = codec.decode(data)
    except DecodeError:
        return
    assert codec.encode(value) == data


@given(values)
def test_every_prefix_of_a_valid_encoding_is_rejected(value: object) -> None:
    data = codec.encode(value)
    for cut in range(len(data)):
        with pytest.raises(DecodeError):
            codec.decode(data[:cut])


def test_non_minimal_integer_rejected() -> None:
    # 5 encoded as uint16 (0xcd 0x00 0x05) instead of a positive fixint
    with pytest.raises(DecodeError, match="non-canonical"):
        codec.decode(b"\xcd\x00\x05")


def test_maps_floats_ext_and_trailing_bytes_rejected() -> None:
    for bad in (
        msgpack.packb({"a": 1}),
        msgpack.packb(1.5),
        msgpack.packb(msgpack.ExtType(1, b"x")),
        codec.encode(1) + b"\x00",
        b"",
    ):
        with pytest.raises(DecodeError):
            codec.decode(bad)


def test_size_limit() -> None:
    data = codec.encode(b"x" * 100)
    with pytest.raises(DecodeError, match="exceeds"):
        codec.decode(data, max_size=50)


def test_encode_rejects_out_of_range_and_foreign_types() -> None:
    for bad in (2**64, -(2**63) - 1, 1.0, {"a": 1}, object()):
        with pytest.raises(DecodeError):
            codec.encode(bad)


def test_field_checkers() -> None:
    assert codec.expect_int(5, 0, 10) == 5
    with pytest.raises(DecodeError):
        codec.expect_int(True, 0, 10)  # a bool is not an integer field
    with pytest.raises(DecodeError):
        codec.expect_int(11, 0, 10)
    with pytest.raises(DecodeError):
        codec.expect_bytes(b"ab", 3)
    with pytest.raises(DecodeError):
        codec.expect_list([1, 2], 3)
    with pytest.raises(DecodeError):
        codec.expect_str(b"x")


@given(values)
def test_trusted_encoding_is_the_canonical_encoding(value: object) -> None:
    assert codec.encode_trusted(value) == codec.encode(value)
