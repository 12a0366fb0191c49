"""Bech32m (BIP-350) encoding of byte strings, as used for `scc1...` addresses.

The checksum is the BCH code of BIP-173 with BIP-350's constant; a single typo is always
caught and up to four substitutions are caught with certainty.
"""

from __future__ import annotations

from primitives.errors import InvalidAddress

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_CHARSET_REV = {c: i for i, c in enumerate(CHARSET)}
BECH32M_CONST = 0x2BC830A3
MAX_LEN = 90


def _polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= gen[i]
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _create_checksum(hrp: str, data: list[int]) -> list[int]:
    values = _hrp_expand(hrp) + data
    polymod = _polymod(values + [0] * 6) ^ BECH32M_CONST
    return [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]


def encode_words(hrp: str, data: list[int]) -> str:
    """Bech32m string of `hrp` and 5-bit `data` words."""
    if not hrp or any(ord(c) < 33 or ord(c) > 126 for c in hrp):
        raise InvalidAddress("human-readable part must be 1+ printable ASCII characters")
    hrp = hrp.lower()
    out = hrp + "1" + "".join(CHARSET[d] for d in data + _create_checksum(hrp, data))
    if len(out) > MAX_LEN:
        raise InvalidAddress("bech32m string longer than 90 characters")
    return out


def decode_words(text: str) -> tuple[str, list[int]]:
    """(hrp, 5-bit data words) of a bech32m string; raises InvalidAddress with the reason."""
    if not isinstance(text, str):
        raise InvalidAddress("address must be a string")
    if any(ord(c) < 33 or ord(c) > 126 for c in text):
        raise InvalidAddress("address contains a character outside printable ASCII")
    if text.lower() != text and text.upper() != text:
        raise InvalidAddress("address mixes upper and lower case")
    if len(text) > MAX_LEN:
        raise InvalidAddress("address longer than 90 characters")
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1:
        raise InvalidAddress("address has no human-readable part before the separator '1'")
    if pos + 7 > len(text):
        raise InvalidAddress("address too short to hold a checksum")
    hrp = text[:pos]
    try:
        data = [_CHARSET_REV[c] for c in text[pos + 1 :]]
    except KeyError as exc:
        raise InvalidAddress(f"address contains the invalid character {exc.args[0]!r}") from exc
    if _polymod(_hrp_expand(hrp) + data) != BECH32M_CONST:
        raise InvalidAddress("address checksum does not match (a typo?)")
    return hrp, data[:-6]


def convert_bits(data: bytes | list[int], frombits: int, tobits: int, pad: bool) -> list[int]:
    acc = 0
    bits = 0
    out: list[int] = []
    maxv = (1 << tobits) - 1
    for value in data:
        if value < 0 or value >> frombits:
            raise InvalidAddress("data value out of range")
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (tobits - bits)) & maxv)
    elif bits >= frombits or ((acc << (tobits - bits)) & maxv):
        raise InvalidAddress("invalid padding in address data")
    return out


def encode(hrp: str, payload: bytes) -> str:
    return encode_words(hrp, convert_bits(payload, 8, 5, True))


def decode(expected_hrp: str, text: str) -> bytes:
    hrp, words = decode_words(text)
    if hrp != expected_hrp:
        raise InvalidAddress(f"address prefix is {hrp!r}, expected {expected_hrp!r}")
    return bytes(convert_bits(words, 5, 8, False))
