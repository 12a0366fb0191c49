"""Property tests: every decoder takes any bytes, whole or byte by byte, and returns a
value or a typed error (STYLE.md, Tests)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from p2p import envelope
from p2p.channel import SecureChannel, split_records
from p2p.errors import InvalidFrame, InvalidHandshake, InvalidMessage, OversizeFrame
from p2p.framing import FrameDecoder, encode_frame
from p2p.handshake import Handshake, IdentityProof
from p2p.noise import CipherState, generate_x25519
from primitives.keys import PrivateKey

MAX = 1000
frames_st = st.lists(st.binary(max_size=300), max_size=8)


def _feed_all(dec: FrameDecoder, chunks: list[bytes]) -> list[bytes]:
    out: list[bytes] = []
    for c in chunks:
        out.extend(dec.feed(c))
    return out


@settings(deadline=None)
@given(frames_st, st.data())
def test_frames_round_trip_under_any_chunking(frames: list[bytes], data: st.DataObject) -> None:
    wire = b"".join(encode_frame(f) for f in frames)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=10)))
    chunks = [wire[i:j] for i, j in zip([0, *cuts], [*cuts, len(wire)], strict=True)]
    dec = FrameDecoder(MAX)
    assert _feed_all(dec, chunks) == frames
    assert dec.buffered == 0


@settings(deadline=None)
@given(st.binary(max_size=2000))
def test_decoder_any_bytes_whole_or_bytewise(blob: bytes) -> None:
    results = []
    for chunks in ([blob], [blob[i : i + 1] for i in range(len(blob))]):
        dec = FrameDecoder(MAX, min_frame=1)
        try:
            results.append(("ok", _feed_all(dec, chunks), dec.buffered))
        except InvalidFrame as exc:
            results.append(("err", exc.code, None))
    assert results[0][:2] == results[1][:2]


@settings(deadline=None)
@given(st.integers(MAX + 1, 2**32 - 1), st.binary(max_size=50))
def test_oversize_prefix_is_refused_before_the_body(length: int, tail: bytes) -> None:
    dec = FrameDecoder(MAX)
    try:
        dec.feed(length.to_bytes(4, "big") + tail)
    except OversizeFrame:
        pass
    else:
        raise AssertionError("oversize prefix accepted")
    assert dec.buffered == 0
    try:
        dec.feed(encode_frame(b"ok"))
    except InvalidFrame:
        pass  # poisoned: no frame boundary can be trusted after an error
    else:
        raise AssertionError("decoder kept going after an error")


@settings(deadline=None)
@given(st.binary(max_size=400))
def test_split_records_any_plaintext(plain: bytes) -> None:
    try:
        records = split_records(plain)
    except InvalidFrame:
        return
    assert b"".join(len(r).to_bytes(4, "big") + r for r in records) == plain


@settings(deadline=None)
@given(st.lists(st.binary(max_size=200), min_size=1, max_size=5), st.binary(max_size=64))
def test_channel_round_trip_and_garbage(records: list[bytes], junk: bytes) -> None:
    key = bytes(range(32))
    tx = SecureChannel(CipherState(key), CipherState(key), 4096)
    rx = SecureChannel(CipherState(key), CipherState(key), 4096)
    sealed = tx.seal(records)
    got: list[bytes] = []
    for i in range(len(sealed)):
        got.extend(rx.receive(sealed[i : i + 1]))
    assert got == records
    try:
        rx.receive(junk)
    except InvalidFrame:
        pass


envelopes_st = st.one_of(
    st.builds(envelope.encode_ping, st.integers(0, 2**64 - 1)),
    st.builds(
        envelope.encode_data,
        st.sampled_from([envelope.MsgClass.CONSENSUS, envelope.MsgClass.GOSSIP]),
        st.binary(max_size=100),
    ),
    st.builds(envelope.encode_gossip, st.binary(max_size=100)),
    st.builds(envelope.encode_request, st.integers(0, 2**32 - 1), st.binary(max_size=100)),
    st.builds(
        envelope.encode_response,
        st.integers(0, 2**32 - 1),
        st.sampled_from(list(envelope.Status)),
        st.binary(max_size=100),
    ),
)


@settings(deadline=None)
@given(envelopes_st)
def test_envelope_round_trip(record: bytes) -> None:
    env = envelope.decode(record, 1000)
    if isinstance(env, envelope.Ping):
        again = envelope.encode_ping(env.nonce)
    elif isinstance(env, envelope.Data):
        again = envelope.encode_data(env.msg_class, env.payload)
    elif isinstance(env, envelope.Gossip):
        again = envelope.encode_gossip(env.payload)
    elif isinstance(env, envelope.Request):
        again = envelope.encode_request(env.request_id, env.payload)
    else:
        again = envelope.encode_response(env.request_id, env.status, env.payload)
    assert again == record


@settings(deadline=None)
@given(st.one_of(st.binary(max_size=200), envelopes_st.map(lambda r: r[:-1])))
def test_envelope_any_bytes(record: bytes) -> None:
    try:
        envelope.decode(record, 50)
    except InvalidMessage:
        pass


@settings(deadline=None)
@given(st.binary(max_size=300))
def test_identity_proof_parser_any_bytes(blob: bytes) -> None:
    try:
        IdentityProof.from_wire(blob)
    except InvalidHandshake:
        pass


RESPONDER_KEY = PrivateKey(b"\x07" * 32)
RESPONDER_STATIC = generate_x25519()


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=200), st.binary(max_size=300))
def test_handshake_parser_any_bytes(first: bytes, third: bytes) -> None:
    hs = Handshake(
        initiator=False, identity=RESPONDER_KEY, chain_id="c", noise_static=RESPONDER_STATIC
    )
    try:
        hs.receive(first)
        hs.receive(third)
    except InvalidHandshake:
        return
    raise AssertionError("random bytes completed a handshake")


@settings(deadline=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        envelopes_st,
        envelopes_st.map(lambda r: r[:-1]),
        st.builds(lambda p: b"\x93\x01\x01\xc5\x00" + bytes([len(p)]) + p, st.binary(max_size=9)),
        st.builds(lambda p: b"\x92\x02\xc4" + bytes([len(p) + 1]) + p, st.binary(max_size=9)),
    ),
    st.integers(0, 300),
)
def test_fast_path_agrees_with_the_strict_decoder(record: bytes, max_payload: int) -> None:
    def outcome(fn: object) -> object:
        try:
            return fn(record, max_payload)  # type: ignore[operator]
        except InvalidMessage:
            return "invalid"

    assert outcome(envelope.decode) == outcome(envelope.decode_strict)


@given(st.sampled_from([1, 2]), st.binary(max_size=70_000))
@settings(max_examples=30, deadline=None)
def test_hand_built_encodings_are_canonical(cls: int, payload: bytes) -> None:
    from primitives import codec

    assert envelope.encode_data(envelope.MsgClass(cls), payload) == codec.encode([1, cls, payload])
    assert envelope.encode_gossip(payload) == codec.encode([2, payload])
