"""Transaction envelope: round trip, signature domain, strict decoding."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from primitives import codec
from primitives.hashing import Tags
from tests.unit.vm.helpers import key, signed
from vm import codes
from vm.errors import InvalidTransaction
from vm.ops.transfer import Transfer
from vm.tx import SignedTransaction, Transaction


def sample() -> SignedTransaction:
    return signed(key(1), 7, Transfer("PTS", key(2).address(), 5))


def test_round_trip_and_hash_stable() -> None:
    stx = sample()
    again = SignedTransaction.decode(stx.encode())
    assert again == stx and again.hash == stx.hash and again.verify_signature()


def test_signature_bound_to_chain_and_type() -> None:
    stx = sample()
    other_chain = Transaction("other-chain", *codec.decode(stx.tx.encode())[1:6], stx.tx.ops)  # type: ignore[arg-type]
    forged = SignedTransaction.build(other_chain, stx.signature)
    assert not forged.verify_signature()
    # a signature over the bare body (no domain tag) is not a transaction signature
    bare = key(1).sign(stx.body_bytes)
    assert not SignedTransaction.build(stx.tx, bare).verify_signature()
    assert Tags.TX_SIGN != Tags.TX


def test_unknown_op_and_empty_ops() -> None:
    wire = sample().to_wire()
    wire[0][6] = [[99, 1]]  # type: ignore[index]
    with pytest.raises(InvalidTransaction) as exc:
        SignedTransaction.decode(codec.encode(wire))
    assert exc.value.code == codes.UNKNOWN_OPERATION
    wire[0][6] = []  # type: ignore[index]
    with pytest.raises(InvalidTransaction) as exc:
        SignedTransaction.decode(codec.encode(wire))
    assert exc.value.code == codes.NO_OPERATIONS


def test_oversize_rejected() -> None:
    with pytest.raises(InvalidTransaction) as exc:
        SignedTransaction.decode(b"\x00" * 70_000)
    assert exc.value.code == codes.TOO_LARGE


@given(st.binary(max_size=300))
@settings(max_examples=1000)
def test_garbage_gives_invalid_transaction(data: bytes) -> None:
    try:
        SignedTransaction.decode(data)
    except InvalidTransaction:
        pass


def test_every_truncation_and_bitflip_is_typed() -> None:
    data = sample().encode()
    for cut in range(len(data)):
        with pytest.raises(InvalidTransaction):
            SignedTransaction.decode(data[:cut])
    for i in range(len(data)):
        flipped = bytearray(data)
        flipped[i] ^= 0x40
        try:
            stx = SignedTransaction.decode(bytes(flipped))
        except InvalidTransaction:
            continue
        assert stx.encode() == bytes(flipped)
