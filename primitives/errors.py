"""Error root of the primitives package. Every error carries a stable code and a sentence."""

from __future__ import annotations


class PrimitivesError(Exception):
    """Root of every error raised by `primitives`."""

    code = "primitives_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DecodeError(PrimitivesError):
    """Bytes that are not the canonical encoding of a value of the expected shape."""

    code = "decode_error"


class InvalidAddress(PrimitivesError):
    """A string that is not a valid `scc1...` bech32m address (typo, wrong prefix, bad length)."""

    code = "invalid_address"


class InvalidKey(PrimitivesError):
    """Key material of the wrong length or form."""

    code = "invalid_key"
