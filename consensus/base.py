"""Scalar types and domain tags of the consensus package.

`View`, `Seq`, `Epoch` and `ReplicaId` are plain integers with names so that mypy
keeps them apart; `Digest` is the 32-byte domain-tagged SHA-256 of `primitives`.
"""

from __future__ import annotations

from typing import NewType

from primitives.hashing import Digest, digest

View = NewType("View", int)
Seq = NewType("Seq", int)
Epoch = NewType("Epoch", int)
ReplicaId = NewType("ReplicaId", int)

# Domain tags owned by consensus (primitives.hashing.Tags is not ours to edit).
TAG_MESSAGE = b"scctn/pbft/message/v1"
TAG_BATCH = b"scctn/pbft/batch/v1"
TAG_NULL_BATCH = b"scctn/pbft/null-batch/v1"
TAG_VALIDATOR_SET = b"scctn/pbft/validator-set/v1"
TAG_RECORD = b"scctn/pbft/record/v1"

NULL_DIGEST: Digest = digest(TAG_NULL_BATCH, b"")

MAX_CHAIN_ID_LEN = 64
MAX_VALIDATORS = 1024


def batch_digest(payload: bytes | None) -> Digest:
    """Digest of a batch; `None` is the null batch a new primary uses to fill gaps."""
    if payload is None:
        return NULL_DIGEST
    return digest(TAG_BATCH, payload)


__all__ = [
    "MAX_CHAIN_ID_LEN",
    "MAX_VALIDATORS",
    "NULL_DIGEST",
    "TAG_BATCH",
    "TAG_MESSAGE",
    "TAG_NULL_BATCH",
    "TAG_RECORD",
    "TAG_VALIDATOR_SET",
    "Digest",
    "Epoch",
    "ReplicaId",
    "Seq",
    "View",
    "batch_digest",
]
