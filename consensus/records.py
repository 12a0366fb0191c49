"""Write-ahead-log records: what a replica persists so that a restart is safe.

- `SentRecord`: a vote or view message this replica signed (pre-prepare, prepare,
  commit, checkpoint, view-change, new-view). Replaying them restores the view and the
  (view, seq) -> digest map the replica must never contradict.
- `PreparedRecord`: a prepared certificate, written before the commit it enables, so a
  restarted replica still reports it in its view-change messages (TOCS 4.4).
- `StableRecord`: a stable checkpoint certificate; records of lower seqs may be dropped.
- `NewViewRecord`: a new-view this replica accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from consensus.certificates import CheckpointCertificate, PreparedCertificate
from consensus.errors import InvalidMessage, StateCorrupt
from consensus.messages import Signed
from consensus.wire import decode_message
from primitives.codec import Wire, decode, encode, expect_int, expect_list
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


Record = SentRecord | PreparedRecord | StableRecord | NewViewRecord


def encode_record(record: Record) -> bytes:
    body: Wire
    if isinstance(record, SentRecord):
        kind, body = 1, record.message.to_wire()
    elif isinstance(record, PreparedRecord):
        kind, body = 2, record.certificate.to_wire()
    elif isinstance(record, StableRecord):
        kind, body = 3, record.certificate.to_wire()
    else:
        kind, body = 4, record.message.to_wire()
    return encode([kind, body])


def decode_record(data: bytes) -> Record:
    """Inverse of `encode_record`; a damaged record raises StateCorrupt."""
    try:
        fields = expect_list(decode(data), 2, what="record")
        kind = expect_int(fields[0], 1, 4, what="record kind")
        if kind == 2:
            return PreparedRecord(PreparedCertificate.from_wire(fields[1]))
        if kind == 3:
            return StableRecord(CheckpointCertificate.from_wire(fields[1]))
        message = decode_message(encode(fields[1]))
    except DecodeError as exc:
        raise StateCorrupt(f"unreadable consensus log record: {exc.message}") from exc
    except InvalidMessage as exc:
        raise StateCorrupt(f"unreadable consensus log record: {exc.message}") from exc
    return SentRecord(message) if kind == 1 else NewViewRecord(message)
