"""Proof encoding (wire and JSON) and the verifier's own checks."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from primitives.codec import encode
from primitives.errors import DecodeError
from primitives.hashing import ZERO_DIGEST, Tags, digest
from scctn_node.storage.kv import MemoryStore
from scctn_node.storage.proof import (
    InvalidProof,
    Proof,
    ProofLeaf,
    bit_at,
    key_path,
    leaf_hash,
    node_hash,
    value_hash,
    verify_proof,
)
from scctn_node.storage.smt import StateTree

from .reference import ref_key_path, ref_value_hash, tagged

D32 = st.binary(min_size=32, max_size=32)
PROOFS = st.builds(
    Proof,
    st.none() | st.builds(ProofLeaf, D32, D32),
    st.lists(D32, max_size=40).map(tuple),
)


def sample_proofs() -> list[tuple[bytes, bytes, bytes | None, Proof]]:
    store = MemoryStore()
    tree = StateTree(store)
    batch = store.batch()
    tree.apply({b"k%d" % i: b"v%d" % i for i in range(40)}, batch)
    store.write(batch)
    tree.committed()
    root = tree.root()
    out: list[tuple[bytes, bytes, bytes | None, Proof]] = [
        (root, b"k%d" % i, b"v%d" % i, tree.prove(b"k%d" % i)) for i in range(3)
    ]
    out += [(root, b"x%d" % i, None, tree.prove(b"x%d" % i)) for i in range(6)]
    return out


def test_hash_definitions_match_the_documented_construction() -> None:
    a, b = bytes(range(32)), bytes(range(32, 64))
    assert key_path(b"k") == ref_key_path(b"k") == digest(Tags.STATE_KEY, b"k")
    assert value_hash(b"v") == ref_value_hash(b"v")
    assert leaf_hash(a, b) == tagged(b"scctn/smt-leaf/v1", a + b)
    assert node_hash(a, b) == tagged(b"scctn/smt-node/v1", a + b)
    assert node_hash(a, b) != node_hash(b, a)
    assert leaf_hash(a, b) != node_hash(a, b)


def test_bit_order_is_most_significant_first() -> None:
    path = bytes([0b1000_0001]) + bytes(30) + b"\x01"
    assert [bit_at(path, d) for d in range(8)] == [1, 0, 0, 0, 0, 0, 0, 1]
    assert bit_at(path, 255) == 1 and bit_at(path, 254) == 0


@pytest.mark.parametrize("case", range(9))
def test_real_proofs_round_trip_and_still_verify(case: int) -> None:
    root, key, value, proof = sample_proofs()[case]
    via_wire = Proof.from_bytes(proof.to_bytes())
    via_json = Proof.from_json(json.loads(json.dumps(proof.to_json())))
    assert via_wire == via_json == proof
    verify_proof(root, key, value, via_wire)
    verify_proof(root, key, value, via_json)


@given(PROOFS)
def test_wire_and_json_round_trip(proof: Proof) -> None:
    data = proof.to_bytes()
    assert Proof.from_bytes(data) == proof
    assert Proof.from_bytes(data).to_bytes() == data
    assert Proof.from_json(json.loads(json.dumps(proof.to_json()))) == proof


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_any_bytes_decode_to_a_proof_or_a_decode_error(data: bytes) -> None:
    for chunk in (data, data[: len(data) // 2]):
        try:
            Proof.from_bytes(chunk)
        except DecodeError:
            pass


@pytest.mark.parametrize(
    "wire",
    [
        [],
        [None],
        [None, [], b""],
        [None, [bytes(31)]],
        [None, [bytes(33)]],
        [[bytes(32)], []],
        [[bytes(32), bytes(31)], []],
        [b"leaf", []],
        [None, b"siblings"],
        [None, [bytes(32)] * 257],
    ],
)
def test_malformed_wire_is_a_decode_error(wire: object) -> None:
    with pytest.raises(DecodeError):
        Proof.from_bytes(encode(wire))


@pytest.mark.parametrize(
    "obj",
    [
        None,
        [],
        {"leaf": None},
        {"leaf": None, "siblings": [], "extra": 1},
        {"leaf": None, "siblings": ["00" * 31]},
        {"leaf": None, "siblings": ["AB" * 32]},  # uppercase is not canonical
        {"leaf": None, "siblings": [" " + "0" * 63]},
        {"leaf": None, "siblings": [1]},
        {"leaf": None, "siblings": "00" * 32},
        {"leaf": {"key_path": "00" * 32}, "siblings": []},
        {"leaf": {"key_path": "00" * 32, "value_hash": "zz" * 32}, "siblings": []},
        {"leaf": ["00" * 32, "00" * 32], "siblings": []},
        {"leaf": None, "siblings": ["00" * 32] * 257},
    ],
)
def test_malformed_json_is_a_decode_error(obj: object) -> None:
    with pytest.raises(DecodeError):
        Proof.from_json(obj)


def test_json_shape() -> None:
    proof = Proof(ProofLeaf(b"\x01" * 32, b"\x02" * 32), (ZERO_DIGEST,))
    assert proof.to_json() == {
        "leaf": {"key_path": "01" * 32, "value_hash": "02" * 32},
        "siblings": ["00" * 32],
    }
    assert Proof(None, ()).to_json() == {"leaf": None, "siblings": []}


def fold(path: bytes, current: bytes, siblings: tuple[bytes, ...]) -> bytes:
    for d in range(len(siblings) - 1, -1, -1):
        bit = (path[d // 8] >> (7 - d % 8)) & 1
        pair = siblings[d] + current if bit else current + siblings[d]
        current = tagged(b"scctn/smt-node/v1", pair)
    return current


def test_absence_leaf_must_share_the_walked_prefix() -> None:
    # A root built so that only the prefix check can reject: the leaf is folded along
    # the queried key's path although its own path leaves that path early.
    key = b"queried"
    path = ref_key_path(key)
    other_path = bytes([path[0] ^ 0x80]) + path[1:]  # differs at bit 0
    leaf = ProofLeaf(other_path, ref_value_hash(b"v"))
    siblings = (bytes(32), bytes(32))
    root = fold(path, tagged(b"scctn/smt-leaf/v1", other_path + leaf.value_hash), siblings)
    with pytest.raises(InvalidProof, match="not on this key's path"):
        verify_proof(root, key, None, Proof(leaf, siblings))
    # The same leaf one level up (no siblings) is a valid "root is another leaf" proof.
    single = tagged(b"scctn/smt-leaf/v1", other_path + leaf.value_hash)
    verify_proof(single, key, None, Proof(leaf, ()))


def test_malformed_leaf_sizes_are_invalid() -> None:
    leaf = ProofLeaf(bytes(31), bytes(32))
    with pytest.raises(InvalidProof):
        verify_proof(ZERO_DIGEST, b"k", None, Proof(leaf, ()))


def test_every_truncation_of_a_real_proof_is_a_decode_error() -> None:
    for _, _, _, proof in sample_proofs()[:4]:
        data = proof.to_bytes()
        for n in range(len(data)):
            with pytest.raises(DecodeError):
                Proof.from_bytes(data[:n])
        with pytest.raises(DecodeError):
            Proof.from_bytes(data + b"\x00")
