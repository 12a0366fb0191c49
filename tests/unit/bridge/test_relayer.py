"""The relayer's pure parts: choosing a quorum of valid signatures of the vault's current
set, and gas bumps."""

from __future__ import annotations

from primitives import eth
from scctn_node.bridge.ethkeys import EthSigner
from scctn_node.bridge.relayer import bumped, quorum_signatures
from scctn_node.bridge.vault import Fees

SIGNERS = sorted(
    (EthSigner.from_secret(bytes([i]) * 32) for i in range(1, 5)), key=lambda s: s.address_bytes
)
VALSET = eth.Valset(1, tuple(s.address_bytes for s in SIGNERS), (1, 1, 1, 1))
DIGEST = b"\x42" * 32


def sig(s: EthSigner, digest: bytes = DIGEST) -> dict[str, str]:
    return {"eth_address": s.address, "signature": "0x" + s.sign_digest(digest).hex()}


def test_quorum_takes_the_fewest_valid_signatures_in_member_order() -> None:
    given = [sig(SIGNERS[3]), sig(SIGNERS[0]), sig(SIGNERS[2]), sig(SIGNERS[1])]
    chosen = quorum_signatures(DIGEST, VALSET, given)
    assert chosen is not None
    signers, sigs = chosen
    assert signers == [0, 1, 2]  # 3 of 4 > 2/3; sorted indexes
    assert sigs[0] == SIGNERS[0].sign_digest(DIGEST)


def test_no_quorum_from_too_few_duplicates_outsiders_or_bad_signatures() -> None:
    outsider = EthSigner.from_secret(b"\x09" * 32)
    assert quorum_signatures(DIGEST, VALSET, [sig(SIGNERS[0]), sig(SIGNERS[1])]) is None
    assert quorum_signatures(DIGEST, VALSET, [sig(SIGNERS[0])] * 3) is None
    assert (
        quorum_signatures(DIGEST, VALSET, [sig(SIGNERS[0]), sig(SIGNERS[1]), sig(outsider)]) is None
    )
    wrong_digest = sig(SIGNERS[2], b"\x01" * 32)
    assert (
        quorum_signatures(DIGEST, VALSET, [sig(SIGNERS[0]), sig(SIGNERS[1]), wrong_digest]) is None
    )
    mislabelled = {**sig(SIGNERS[2]), "eth_address": SIGNERS[3].address}
    assert (
        quorum_signatures(DIGEST, VALSET, [sig(SIGNERS[0]), sig(SIGNERS[1]), mislabelled]) is None
    )
    assert quorum_signatures(DIGEST, VALSET, [{"eth_address": "x", "signature": "zz"}]) is None


def test_weighted_quorum() -> None:
    weighted = eth.Valset(1, VALSET.validators, (10, 1, 1, 1))
    signers, _ = quorum_signatures(DIGEST, weighted, [sig(SIGNERS[0])]) or ([], [])
    assert signers == [0]  # 10 of 13 > 2/3


def test_bumps_raise_fees_and_stop_at_the_cap() -> None:
    assert bumped(Fees(100, 10), 25, 10**9) == Fees(125, 12)
    assert bumped(Fees(1, None), 25, 10**9) == Fees(2, None)
    assert bumped(Fees(100, 10), 25, 110) == Fees(110, 12)
    assert bumped(Fees(110, 110), 25, 110) == Fees(110, 110)
