"""Keys and addresses: every single-character typo in an address is caught."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from primitives import bech32m
from primitives.errors import InvalidAddress, InvalidKey
from primitives.keys import PrivateKey, format_address, parse_address


@given(st.binary(min_size=32, max_size=32))
def test_address_round_trip(seed: bytes) -> None:
    key = PrivateKey(seed)
    text = format_address(key.address())
    assert text.startswith("scc1")
    assert parse_address(text) == key.address()
    assert parse_address(text.upper()) == key.address()


def test_every_single_substitution_is_caught() -> None:
    text = format_address(PrivateKey(b"\x07" * 32).address())
    for i in range(4, len(text)):
        for c in bech32m.CHARSET:
            if c == text[i]:
                continue
            with pytest.raises(InvalidAddress):
                parse_address(text[:i] + c + text[i + 1 :])


def test_wrong_prefix_and_length_are_clear_errors() -> None:
    with pytest.raises(InvalidAddress, match="prefix"):
        parse_address(bech32m.encode("btc", b"\x01" * 20))
    with pytest.raises(InvalidAddress, match="bytes"):
        parse_address(bech32m.encode("scc", b"\x01" * 19))
    with pytest.raises(InvalidAddress, match="mixes"):
        parse_address("Scc1" + "q" * 38)


def test_bad_key_material() -> None:
    with pytest.raises(InvalidKey):
        PrivateKey(b"short")
