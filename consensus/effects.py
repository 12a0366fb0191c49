"""Effects: what a replica asks its driver to do, returned as data (sans-IO).

The driver must carry them out in list order. In particular a `Persist` must be
durable before any later `Send`/`Broadcast` of the same list leaves the process:
that ordering is what stops a restarted replica from contradicting its own votes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from consensus.base import Digest, ReplicaId, Seq
from consensus.certificates import CheckpointCertificate, CommitCertificate
from consensus.config import ValidatorSet
from consensus.messages import Signed
from consensus.records import Record


class TimerKind(IntEnum):
    PROGRESS = 1  # request timer of section 4.4: no progress -> view change
    NEW_VIEW = 2  # waiting for the new view after 2f+1 view-changes (4.5.2)
    STATUS = 3  # periodic status broadcast while something is outstanding


@dataclass(frozen=True, slots=True, order=True)
class TimerId:
    """A timer instance; an expiry for an older generation is ignored."""

    kind: TimerKind
    generation: int


@dataclass(frozen=True, slots=True)
class Send:
    to: ReplicaId
    message: Signed[Any]
    data: bytes


@dataclass(frozen=True, slots=True)
class Broadcast:
    """Send to every other validator of the current epoch."""

    message: Signed[Any]
    data: bytes


@dataclass(frozen=True, slots=True)
class Persist:
    """Append `record` to the write-ahead log durably before the effects that follow."""

    record: Record


@dataclass(frozen=True, slots=True)
class Deliver:
    """Batch `seq` is committed; execute it (a None payload is a null batch: no-op)."""

    seq: Seq
    digest: Digest
    payload: bytes | None
    certificate: CommitCertificate


@dataclass(frozen=True, slots=True)
class SetTimer:
    """Start (or restart) `timer.kind`; call `on_timer(timer)` after `duration` ticks."""

    timer: TimerId
    duration: int


@dataclass(frozen=True, slots=True)
class CancelTimer:
    timer: TimerId


@dataclass(frozen=True, slots=True)
class RequestStateTransfer:
    """A stable checkpoint is ahead of execution: fetch the state it certifies, then
    call `on_state_transferred(certificate.seq, ...)`."""

    certificate: CheckpointCertificate


@dataclass(frozen=True, slots=True)
class EpochStarted:
    """The validator set changed: from `start_seq + 1` on, `validators` order batches."""

    validators: ValidatorSet
    start_seq: Seq


Effect = (
    Send
    | Broadcast
    | Persist
    | Deliver
    | SetTimer
    | CancelTimer
    | RequestStateTransfer
    | EpochStarted
)
