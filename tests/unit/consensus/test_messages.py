"""Wire format: round trips, canonical form, and garbage never crashes the decoder."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consensus.base import Digest, Seq, View, batch_digest
from consensus.certificates import (
    CheckpointCertificate,
    CheckpointProof,
    CommitCertificate,
    CommitProof,
    Vote,
)
from consensus.errors import InvalidMessage
from consensus.messages import Checkpoint, Commit, Prepare, PrePrepare, Signed, Status
from consensus.view_change import NewView, ViewChange
from consensus.wire import decode_message
from primitives.codec import encode
from tests.unit.consensus.helpers import pre_prepare, signed

D = batch_digest(b"tx:a")
ROOT = Digest(b"\x05" * 32)


def samples() -> list[Signed[Any]]:
    votes = (Vote(0, b"\x01" * 64), Vote(2, b"\x02" * 64))
    cp = CheckpointCertificate("scctn-test", 0, Seq(4), ROOT, votes)  # type: ignore[arg-type]
    cc = CommitCertificate("scctn-test", 0, View(0), Seq(1), D, votes)  # type: ignore[arg-type]
    vc = signed(4, 1, ViewChange(View(1), cp, ()))
    return [
        pre_prepare(4, 0, 1, b"tx:a"),
        signed(4, 1, PrePrepare(View(1), Seq(2), batch_digest(None), None)),
        signed(4, 1, Prepare(View(0), Seq(1), D)),
        signed(4, 1, Commit(View(0), Seq(1), D)),
        signed(4, 1, Checkpoint(Seq(4), ROOT)),
        vc,
        signed(4, 1, NewView(View(1), (vc,), (pre_prepare(4, 1, 5, b"tx:b"),))),
        signed(4, 1, Status(View(3), False, Seq(4), Seq(6))),
        signed(4, 1, CommitProof(cc, b"tx:a")),
        signed(4, 1, CheckpointProof(cp)),
    ]


@pytest.mark.parametrize("msg", samples(), ids=lambda m: type(m.body).__name__)
def test_round_trip_is_exact_and_canonical(msg: Signed[Any]) -> None:
    data = msg.encode()
    again = decode_message(data)
    assert again == msg
    assert again.encode() == data


@pytest.mark.parametrize("msg", samples(), ids=lambda m: type(m.body).__name__)
def test_every_prefix_is_a_typed_error(msg: Signed[Any]) -> None:
    data = msg.encode()
    for cut in range(len(data)):
        with pytest.raises(InvalidMessage):
            decode_message(data[:cut])


def test_signature_covers_kind_chain_epoch_and_sender() -> None:
    base = signed(4, 1, Prepare(View(0), Seq(1), D))
    assert base.signing_bytes() != signed(4, 1, Commit(View(0), Seq(1), D)).signing_bytes()
    assert base.signing_bytes() != signed(4, 1, base.body, chain="x").signing_bytes()
    assert base.signing_bytes() != signed(4, 1, base.body, epoch=1).signing_bytes()
    assert base.signing_bytes() != signed(4, 2, base.body).signing_bytes()


@pytest.mark.parametrize(
    "value",
    [
        [99, "c", 0, 0, [], b"\x00" * 64],  # unknown kind
        [2, "", 0, 0, [0, 1, b"\x00" * 32], b"\x00" * 64],  # empty chain id
        [2, "c", 0, 0, [0, 1, b"\x00" * 31], b"\x00" * 64],  # short digest
        [2, "c", 0, 0, [0, 1, b"\x00" * 32], b"\x00" * 63],  # short signature
        [2, "c", 0, 0, [0, 1, b"\x00" * 32, 7], b"\x00" * 64],  # extra field
        [2, "c", -1, 0, [0, 1, b"\x00" * 32], b"\x00" * 64],  # negative epoch
        [3, "c", 0, 5000, [0, 1, b"\x00" * 32], b"\x00" * 64],  # absurd sender
        [
            8,
            "c",
            0,
            0,
            [["c", 0, 0, 1, b"\x00" * 32, [[2, b"\x01" * 64], [1, b"\x01" * 64]]], None],
            b"\x00" * 64,
        ],
    ],
)
def test_malformed_fields_are_rejected(value: list[Any]) -> None:
    with pytest.raises(InvalidMessage):
        decode_message(encode(value))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_decode_or_raise_invalid_message(data: bytes) -> None:
    try:
        msg = decode_message(data)
    except InvalidMessage:
        return
    assert msg.encode() == data


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(samples()), st.integers(0, 10_000), st.integers(0, 7))
def test_bit_flips_decode_or_raise_invalid_message(msg: Signed[Any], pos: int, bit: int) -> None:
    data = bytearray(msg.encode())
    data[pos % len(data)] ^= 1 << bit
    try:
        decode_message(bytes(data))
    except InvalidMessage:
        pass
