"""PBFT consensus (Castro-Liskov) as a pure, sans-IO state machine.

See docs/consensus.md for the public API. Imports only `primitives`.
"""

from __future__ import annotations

from consensus.base import NULL_DIGEST, Digest, Epoch, ReplicaId, Seq, View, batch_digest
from consensus.certificates import (
    CheckpointCertificate,
    CommitCertificate,
    PreparedCertificate,
    Vote,
    verify_checkpoint_certificate,
    verify_commit_certificate,
)
from consensus.config import ReplicaConfig, ValidatorSet
from consensus.crypto import (
    Ed25519Signer,
    Ed25519Verifier,
    Signer,
    StubSigner,
    StubVerifier,
    Verifier,
)
from consensus.effects import (
    Broadcast,
    CancelTimer,
    Deliver,
    Effect,
    EpochStarted,
    Persist,
    RequestStateTransfer,
    Send,
    SetTimer,
    TimerId,
    TimerKind,
)
from consensus.errors import (
    ConfigError,
    ConsensusError,
    InvalidCertificate,
    InvalidMessage,
    StateCorrupt,
)
from consensus.messages import Signed
from consensus.quorum import commit_quorum, max_faulty, prepare_quorum, weak_quorum
from consensus.records import Record, decode_record, encode_record
from consensus.replica import Replica
from consensus.wire import decode_message

__all__ = [
    "NULL_DIGEST",
    "Broadcast",
    "CancelTimer",
    "CheckpointCertificate",
    "CommitCertificate",
    "ConfigError",
    "ConsensusError",
    "Deliver",
    "Digest",
    "Ed25519Signer",
    "Ed25519Verifier",
    "Effect",
    "Epoch",
    "EpochStarted",
    "InvalidCertificate",
    "InvalidMessage",
    "Persist",
    "PreparedCertificate",
    "Record",
    "Replica",
    "ReplicaConfig",
    "ReplicaId",
    "RequestStateTransfer",
    "Send",
    "Seq",
    "SetTimer",
    "Signed",
    "Signer",
    "StateCorrupt",
    "StubSigner",
    "StubVerifier",
    "TimerId",
    "TimerKind",
    "ValidatorSet",
    "Verifier",
    "View",
    "Vote",
    "batch_digest",
    "commit_quorum",
    "decode_message",
    "decode_record",
    "encode_record",
    "max_faulty",
    "prepare_quorum",
    "verify_checkpoint_certificate",
    "verify_commit_certificate",
    "weak_quorum",
]
