"""Noise_XX_25519_ChaChaPoly_{SHA256,BLAKE2b} against the cacophony test vectors.

The vectors live in tests/vectors/noise_xx_cacophony.json (source named inside).
Injecting the vectors' static and ephemeral keys must reproduce every handshake
ciphertext, the handshake hash, and every transport ciphertext after Split().
"""

import json
from pathlib import Path

import pytest

from p2p.errors import DecryptError, InvalidHandshake
from p2p.noise import HandshakeState, x25519_public

VECTORS = json.loads(
    (Path(__file__).parents[2] / "vectors" / "noise_xx_cacophony.json").read_text()
)["vectors"]


def _pair(v: dict[str, str]) -> tuple[HandshakeState, HandshakeState]:
    hash_name = v["protocol_name"].rsplit("_", 1)[1]
    init = HandshakeState(
        initiator=True,
        static=bytes.fromhex(v["init_static"]),
        ephemeral=bytes.fromhex(v["init_ephemeral"]),
        prologue=bytes.fromhex(v["init_prologue"]),
        hash_name=hash_name,
    )
    resp = HandshakeState(
        initiator=False,
        static=bytes.fromhex(v["resp_static"]),
        ephemeral=bytes.fromhex(v["resp_ephemeral"]),
        prologue=bytes.fromhex(v["resp_prologue"]),
        hash_name=hash_name,
    )
    return init, resp


@pytest.mark.parametrize("v", VECTORS, ids=[v["protocol_name"] for v in VECTORS])
def test_cacophony_vector(v: dict[str, object]) -> None:
    init, resp = _pair(v)  # type: ignore[arg-type]
    messages = v["messages"]
    assert isinstance(messages, list)
    for i, m in enumerate(messages[:3]):
        writer, reader = (init, resp) if i % 2 == 0 else (resp, init)
        ct = writer.write_message(bytes.fromhex(m["payload"]))
        assert ct.hex() == m["ciphertext"]
        assert reader.read_message(ct).hex() == m["payload"]
    assert init.complete and resp.complete
    assert init.handshake_hash.hex() == v["handshake_hash"]
    assert resp.handshake_hash.hex() == v["handshake_hash"]
    assert init.remote_static == x25519_public(bytes.fromhex(v["resp_static"]))  # type: ignore[arg-type]
    assert resp.remote_static == x25519_public(bytes.fromhex(v["init_static"]))  # type: ignore[arg-type]
    i_send, i_recv = init.split()
    r_send, r_recv = resp.split()
    for i, m in enumerate(messages[3:], start=3):
        send, recv = (i_send, r_recv) if i % 2 == 0 else (r_send, i_recv)
        ct = send.encrypt_with_ad(b"", bytes.fromhex(m["payload"]))
        assert ct.hex() == m["ciphertext"]
        assert recv.decrypt_with_ad(b"", ct).hex() == m["payload"]


def test_tampered_handshake_message_is_rejected() -> None:
    init, resp = _pair(VECTORS[1])
    resp.read_message(init.write_message(b""))
    msg2 = bytearray(resp.write_message(b"hello"))
    msg2[40] ^= 1
    with pytest.raises(InvalidHandshake):
        init.read_message(bytes(msg2))


def test_truncated_handshake_message_is_rejected() -> None:
    init, resp = _pair(VECTORS[1])
    with pytest.raises(InvalidHandshake):
        resp.read_message(init.write_message(b"")[:31])


def test_out_of_turn_is_rejected() -> None:
    init, resp = _pair(VECTORS[1])
    with pytest.raises(InvalidHandshake):
        init.read_message(b"\x00" * 32)
    with pytest.raises(InvalidHandshake):
        resp.write_message(b"")


def test_replayed_transport_message_fails() -> None:
    init, resp = _pair(VECTORS[0])
    resp.read_message(init.write_message(b""))
    init.read_message(resp.write_message(b""))
    resp.read_message(init.write_message(b""))
    send, _ = init.split()
    _, recv = resp.split()
    ct = send.encrypt_with_ad(b"", b"once")
    assert recv.decrypt_with_ad(b"", ct) == b"once"
    with pytest.raises(DecryptError):
        recv.decrypt_with_ad(b"", ct)


def test_low_order_ephemeral_is_rejected() -> None:
    _, resp = _pair(VECTORS[1])
    resp.read_message(b"\x00" * 32)  # message 1 carries no DH; the zero point is learnt
    with pytest.raises(InvalidHandshake):
        resp.write_message(b"")
