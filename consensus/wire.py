"""Decoding of consensus messages from bytes: any input gives a message or InvalidMessage."""

from __future__ import annotations

from typing import Any

from consensus.base import TAG_MESSAGE
from consensus.certificates import CheckpointProof, CommitProof, signed_from_wire
from consensus.errors import InvalidMessage
from consensus.messages import (
    Body,
    Checkpoint,
    Commit,
    MsgKind,
    Prepare,
    PrePrepare,
    Signed,
    Status,
)
from consensus.view_change import NewView, ViewChange
from primitives.codec import MAX_MESSAGE_BYTES, decode, expect_int, expect_list
from primitives.errors import DecodeError
from primitives.hashing import digest

BODY_TYPES: dict[int, type[Body]] = {
    int(MsgKind.PRE_PREPARE): PrePrepare,
    int(MsgKind.PREPARE): Prepare,
    int(MsgKind.COMMIT): Commit,
    int(MsgKind.CHECKPOINT): Checkpoint,
    int(MsgKind.VIEW_CHANGE): ViewChange,
    int(MsgKind.NEW_VIEW): NewView,
    int(MsgKind.STATUS): Status,
    int(MsgKind.COMMIT_PROOF): CommitProof,
    int(MsgKind.CHECKPOINT_PROOF): CheckpointProof,
}


def decode_message(data: bytes, *, max_size: int = MAX_MESSAGE_BYTES) -> Signed[Any]:
    """Strictly decode one signed message; the signature is not checked here."""
    try:
        value = decode(data, max_size=max_size)
        fields = expect_list(value, 6, what="signed message")
        kind = expect_int(fields[0], 1, 255, what="kind")
        body_type = BODY_TYPES.get(kind)
        if body_type is None:
            raise DecodeError(f"unknown message kind {kind}")
        msg = signed_from_wire(value, body_type)
    except DecodeError as exc:
        raise InvalidMessage(f"undecodable message: {exc.message}") from exc
    # Canonical form is guaranteed, so the signed part is the array minus its last
    # element: 0x96 (six fields) -> 0x95, and the 64-byte signature is c4 40 + 64 bytes.
    signed_part = b"\x95" + bytes(data[1:-66])
    return Signed(
        msg.chain_id,
        msg.epoch,
        msg.sender,
        msg.body,
        msg.signature,
        digest(TAG_MESSAGE, signed_part),
    )
