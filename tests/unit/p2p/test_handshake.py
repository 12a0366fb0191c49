"""The identity-bound handshake as a pure state machine."""

import pytest

from p2p.errors import InvalidHandshake
from p2p.handshake import Handshake, IdentityProof, make_proof
from p2p.noise import generate_x25519, x25519_public
from primitives.keys import PrivateKey

CHAIN = "scctn-test"


def _side(initiator: bool, key: PrivateKey, chain: str = CHAIN, **kw: object) -> Handshake:
    return Handshake(
        initiator=initiator, identity=key, chain_id=chain, noise_static=generate_x25519(), **kw
    )  # type: ignore[arg-type]


def _run(a: Handshake, b: Handshake) -> None:
    m1 = a.start()
    m2 = b.receive(m1)
    assert m2 is not None
    m3 = a.receive(m2)
    assert m3 is not None
    assert b.receive(m3) is None


def test_both_sides_learn_each_others_identity_and_share_keys() -> None:
    ka, kb = PrivateKey.generate(), PrivateKey.generate()
    a, b = _side(True, ka), _side(False, kb)
    _run(a, b)
    assert a.result is not None and b.result is not None
    assert a.result.remote_identity == kb.public.raw
    assert b.result.remote_identity == ka.public.raw
    assert a.result.handshake_hash == b.result.handshake_hash
    assert b.result.recv.decrypt_with_ad(b"", a.result.send.encrypt_with_ad(b"", b"x")) == b"x"
    assert a.result.recv.decrypt_with_ad(b"", b.result.send.encrypt_with_ad(b"", b"y")) == b"y"


def test_fresh_session_keys_per_handshake() -> None:
    ka, kb = PrivateKey.generate(), PrivateKey.generate()
    hashes = set()
    for _ in range(2):
        a, b = _side(True, ka), _side(False, kb)
        _run(a, b)
        assert a.result is not None
        hashes.add(a.result.handshake_hash)
    assert len(hashes) == 2


def test_other_chain_is_refused() -> None:
    a, b = _side(True, PrivateKey.generate()), _side(False, PrivateKey.generate(), "other")
    m2 = b.receive(a.start())
    assert m2 is not None
    with pytest.raises(InvalidHandshake):
        a.receive(m2)


def test_proof_for_another_static_key_is_refused() -> None:
    # An attacker replays someone's valid proof with its own Noise static key.
    victim = PrivateKey.generate()
    stolen = make_proof(victim, CHAIN, x25519_public(generate_x25519()))
    a = _side(True, PrivateKey.generate())
    b = _side(False, PrivateKey.generate(), proof=stolen)
    m2 = b.receive(a.start())
    assert m2 is not None
    with pytest.raises(InvalidHandshake, match="bind"):
        a.receive(m2)


def test_replayed_message_three_is_refused() -> None:
    ka, kb = PrivateKey.generate(), PrivateKey.generate()
    a, b = _side(True, ka), _side(False, kb)
    m1 = a.start()
    m2 = b.receive(m1)
    assert m2 is not None
    m3 = a.receive(m2)
    assert m3 is not None
    b.receive(m3)
    # A recorder replays messages 1 and 3 to a fresh responder of the same node.
    b2 = _side(False, kb)
    b2.receive(m1)
    with pytest.raises(InvalidHandshake):
        b2.receive(m3)


def test_first_message_with_payload_is_refused() -> None:
    b = _side(False, PrivateKey.generate())
    with pytest.raises(InvalidHandshake):
        b.receive(b"\x09" * 32 + b"payload")


def test_identity_proof_round_trip_and_garbage() -> None:
    p = make_proof(PrivateKey.generate(), CHAIN, b"\x01" * 32)
    assert IdentityProof.from_wire(p.to_wire()) == p
    for junk in (b"", b"\x90", b"\x94\x01\xa1x\xc4\x01a\xc4\x01b", p.to_wire() + b"\x00"):
        with pytest.raises(InvalidHandshake):
            IdentityProof.from_wire(junk)
