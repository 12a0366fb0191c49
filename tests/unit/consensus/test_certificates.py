"""Third-party verification of commit and checkpoint certificates (real Ed25519)."""

from __future__ import annotations

import pytest

from consensus.base import Digest, Epoch, ReplicaId, Seq, View, batch_digest
from consensus.certificates import (
    CheckpointCertificate,
    CommitCertificate,
    Vote,
    verify_checkpoint_certificate,
    verify_commit_certificate,
)
from consensus.config import ReplicaConfig, ValidatorSet
from consensus.crypto import Ed25519Verifier
from consensus.effects import Deliver
from consensus.errors import ConfigError, InvalidCertificate
from consensus.messages import Checkpoint, Commit, signing_bytes
from consensus.replica import Replica
from consensus.simnet import valid_payload
from tests.unit.consensus.helpers import CHAIN, ed25519_set

D = batch_digest(b"tx:a")


def commit_cert(voters: list[int], *, chain: str = CHAIN) -> tuple[CommitCertificate, ValidatorSet]:
    vs, signers = ed25519_set(4)
    body = Commit(View(0), Seq(1), D)
    votes = tuple(
        Vote(ReplicaId(i), signers[i].sign(signing_bytes(chain, 0, i, body))) for i in voters
    )
    return CommitCertificate(chain, Epoch(0), View(0), Seq(1), D, votes), vs


def test_valid_commit_certificate_verifies() -> None:
    cert, vs = commit_cert([0, 1, 3])
    verify_commit_certificate(cert, vs, CHAIN)


@pytest.mark.parametrize(
    "change",
    ["too_few", "wrong_chain", "wrong_epoch", "bad_sig", "duplicate", "outsider", "other_digest"],
)
def test_broken_commit_certificates_are_refused(change: str) -> None:
    cert, vs = commit_cert([0, 1, 3])
    if change == "too_few":
        cert, vs = commit_cert([0, 1])
    elif change == "wrong_chain":
        cert, vs = commit_cert([0, 1, 3], chain="other")
    elif change == "wrong_epoch":
        vs = ValidatorSet(Epoch(1), vs.keys)
    elif change == "bad_sig":
        cert = CommitCertificate(
            cert.chain_id,
            cert.epoch,
            cert.view,
            cert.seq,
            cert.digest,
            cert.votes[:2] + (Vote(ReplicaId(3), b"\x00" * 64),),
        )
    elif change == "duplicate":
        cert = CommitCertificate(
            cert.chain_id,
            cert.epoch,
            cert.view,
            cert.seq,
            cert.digest,
            (cert.votes[0], cert.votes[0], cert.votes[1]),
        )
    elif change == "outsider":
        cert = CommitCertificate(
            cert.chain_id,
            cert.epoch,
            cert.view,
            cert.seq,
            cert.digest,
            cert.votes + (Vote(ReplicaId(9), b"\x00" * 64),),
        )
    else:
        cert = CommitCertificate(
            cert.chain_id, cert.epoch, cert.view, cert.seq, Digest(b"\x00" * 32), cert.votes
        )
    with pytest.raises(InvalidCertificate):
        verify_commit_certificate(cert, vs, CHAIN)


def test_checkpoint_certificate_verifies_and_binds_the_root() -> None:
    vs, signers = ed25519_set(4)
    root = Digest(b"\x03" * 32)
    body = Checkpoint(Seq(8), root)
    votes = tuple(
        Vote(ReplicaId(i), signers[i].sign(signing_bytes(CHAIN, 0, i, body))) for i in (1, 2, 3)
    )
    cert = CheckpointCertificate(CHAIN, Epoch(0), Seq(8), root, votes)
    verify_checkpoint_certificate(cert, vs, CHAIN)
    with pytest.raises(InvalidCertificate):
        verify_checkpoint_certificate(
            CheckpointCertificate(CHAIN, Epoch(0), Seq(8), Digest(b"\x04" * 32), votes), vs, CHAIN
        )
    with pytest.raises(InvalidCertificate):
        verify_checkpoint_certificate(cert, vs, "other")


def test_single_validator_with_real_keys_produces_a_verifiable_certificate() -> None:
    vs, signers = ed25519_set(1)
    cfg = ReplicaConfig(CHAIN, vs, ReplicaId(0))
    r = Replica(cfg, signers[0], Ed25519Verifier(), valid_payload)
    (d,) = [e for e in r.propose(b"tx:a") if isinstance(e, Deliver)]
    verify_commit_certificate(d.certificate, vs, CHAIN)
    assert CommitCertificate.from_wire(d.certificate.to_wire()) == d.certificate


def test_validator_set_rules() -> None:
    with pytest.raises(ConfigError):
        ValidatorSet(Epoch(0), ())
    with pytest.raises(ConfigError):
        ValidatorSet(Epoch(0), (b"\x01" * 32, b"\x01" * 32))
    with pytest.raises(ConfigError):
        ValidatorSet(Epoch(0), (b"\x01" * 31,))
    vs = ValidatorSet(Epoch(2), (b"\x01" * 32, b"\x02" * 32, b"\x03" * 32, b"\x04" * 32))
    assert [vs.primary(View(v)) for v in range(6)] == [0, 1, 2, 3, 0, 1]
    assert (vs.n, vs.f, vs.quorum) == (4, 1, 3)
    assert vs.digest() != ValidatorSet(Epoch(3), vs.keys).digest()


@pytest.mark.parametrize(
    "kw",
    [
        {"index": 4},
        {"checkpoint_interval": 0},
        {"window": 6},
        {"base_timeout": 0},
        {"start_seq": 3},
        {"status_interval": 0},
    ],
)
def test_bad_configs_are_refused(kw: dict[str, int]) -> None:
    vs, _ = ed25519_set(4)
    args: dict[str, int] = {"index": 0, "checkpoint_interval": 4, "window": 8}
    args.update(kw)
    with pytest.raises(ConfigError):
        ReplicaConfig(CHAIN, vs, **args)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        ReplicaConfig("", vs, ReplicaId(0))
