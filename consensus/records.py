"""Write-ahead-log records: what a replica persists so that a restart is safe.

- `SentRecord`: a vote or view message this replica signed (pre-prepare, prepare,
  commit, checkpoint, view-change, new-view). Replaying them restores the view and the
  (view, seq) -> digest map the replica must never contradict.
- `PreparedRecord`: a prepared certificate, written before the commit it enables, so a
  restarted replica still reports it in its view-change messages (TOCS 4.4).
- `StableRecord`: a stable checkpoint certificate; records of lower seqs may be dropped.
- `NewViewRecord`: a new-view this replica accepted.
- `EpochRecord`: the validator set it left at an epoch switch and that epoch's final
  stable checkpoint (for replicas still in that epoch).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from consensus.base import Epoch, ReplicaId
from consensus.certificates import CheckpointCertificate, PreparedCertificate
from consensus.config import ValidatorSet
from consensus.errors import ConfigError, InvalidMessage, StateCorrupt
from consensus.messages import Signed
from consensus.wire import decode_message
from primitives.codec import (
    Wire,
    decode,
    encode,
    expect_bytes,
    expect_int,
    expect_list,
    expect_seq,
)
from primitives.errors import DecodeError


@dataclass(frozen=True, slots=True)
class SentRecord:
    message: Signed[Any]


@dataclass(frozen=True, slots=True)
class PreparedRecord:
    certificate: PreparedCertificate


@dataclass(frozen=True, slots=True)
class StableRecord:
    certificate: CheckpointCertificate


@dataclass(frozen=True, slots=True)
class NewViewRecord:
    message: Signed[Any]


@dataclass(frozen=True, slots=True)
class EpochRecord:
    """This replica left the epoch of `validators` (where it was `index`) at the stable
    checkpoint `final`; kept so that after a restart it can still hand `final` to
    replicas left behind in that epoch."""

    validators: ValidatorSet
    index: ReplicaId
    final: CheckpointCertificate


Record = SentRecord | PreparedRecord | StableRecord | NewViewRecord | EpochRecord


def encode_record(record: Record) -> bytes:
    body: Wire
    if isinstance(record, SentRecord):
        kind, body = 1, record.message.to_wire()
    elif isinstance(record, PreparedRecord):
        kind, body = 2, record.certificate.to_wire()
    elif isinstance(record, StableRecord):
        kind, body = 3, record.certificate.to_wire()
    elif isinstance(record, EpochRecord):
        vs = record.validators
        kind, body = 5, [vs.epoch, list(vs.keys), record.index, record.final.to_wire()]
    else:
        kind, body = 4, record.message.to_wire()
    return encode([kind, body])


def decode_record(data: bytes) -> Record:
    """Inverse of `encode_record`; a damaged record raises StateCorrupt."""
    try:
        fields = expect_list(decode(data), 2, what="record")
        kind = expect_int(fields[0], 1, 5, what="record kind")
        if kind == 5:
            return _decode_epoch_record(fields[1])
        if kind == 2:
            return PreparedRecord(PreparedCertificate.from_wire(fields[1]))
        if kind == 3:
            return StableRecord(CheckpointCertificate.from_wire(fields[1]))
        message = decode_message(encode(fields[1]))
    except DecodeError as exc:
        raise StateCorrupt(f"unreadable consensus log record: {exc.message}") from exc
    except (InvalidMessage, ConfigError) as exc:
        raise StateCorrupt(f"unreadable consensus log record: {exc.message}") from exc
    return SentRecord(message) if kind == 1 else NewViewRecord(message)


def _decode_epoch_record(value: Wire) -> EpochRecord:
    fields = expect_list(value, 4, what="epoch record")
    keys = tuple(expect_bytes(k, 32, what="key") for k in expect_seq(fields[1], what="keys"))
    validators = ValidatorSet(Epoch(expect_int(fields[0], what="epoch")), keys)
    index = ReplicaId(expect_int(fields[2], 0, len(keys) - 1, what="index"))
    return EpochRecord(validators, index, CheckpointCertificate.from_wire(fields[3]))
