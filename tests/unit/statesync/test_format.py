"""The snapshot format: canonical round trips, strict decoders, the chunk digest."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from primitives import codec
from scctn_node.statesync import (
    CHUNK_TAG,
    Codes,
    SnapshotInvalid,
    SnapshotManifest,
    chunk_digest,
    decode_chunk,
    decode_manifest,
    encode_chunk,
)
from scctn_node.statesync.format import (
    MAX_CHUNK_BYTES,
    MIN_CHUNK_BYTES,
    array_header_size,
    pair_size,
)

digests = st.binary(min_size=32, max_size=32)


@st.composite
def manifests(draw: st.DrawFn) -> SnapshotManifest:
    chunk_digests = tuple(draw(st.lists(digests, max_size=5)))
    n = len(chunk_digests)
    return SnapshotManifest(
        chain_id=draw(st.text(max_size=64)),
        height=draw(st.integers(1, 2**64 - 1)),
        state_root=draw(digests),
        block=draw(st.binary(max_size=200)),
        chunk_bytes=draw(st.integers(MIN_CHUNK_BYTES, MAX_CHUNK_BYTES)),
        item_count=draw(st.integers(n, n * 1000)),
        chunk_digests=chunk_digests,
    )


def sample_manifest() -> SnapshotManifest:
    return SnapshotManifest("c", 5, b"\x01" * 32, b"block", 1024, 3, (b"\x02" * 32, b"\x03" * 32))


@settings(max_examples=150, deadline=None)
@given(manifests())
def test_manifest_round_trip_is_canonical(manifest: SnapshotManifest) -> None:
    data = manifest.encode()
    assert decode_manifest(data) == manifest
    assert decode_manifest(data).encode() == data
    assert manifest.chunk_count == len(manifest.chunk_digests)


def test_manifest_hash_changes_with_any_field() -> None:
    m = sample_manifest()
    variants = [
        SnapshotManifest("d", 5, m.state_root, m.block, 1024, 3, m.chunk_digests),
        SnapshotManifest("c", 6, m.state_root, m.block, 1024, 3, m.chunk_digests),
        SnapshotManifest("c", 5, b"\x09" * 32, m.block, 1024, 3, m.chunk_digests),
        SnapshotManifest("c", 5, m.state_root, b"other", 1024, 3, m.chunk_digests),
        SnapshotManifest("c", 5, m.state_root, m.block, 1025, 3, m.chunk_digests),
        SnapshotManifest("c", 5, m.state_root, m.block, 1024, 4, m.chunk_digests),
        SnapshotManifest("c", 5, m.state_root, m.block, 1024, 3, m.chunk_digests[::-1]),
    ]
    assert len({v.hash() for v in variants} | {m.hash()}) == len(variants) + 1


@pytest.mark.parametrize(
    "fields",
    [
        [2, "c", 5, b"\x01" * 32, b"b", 1024, 3, [b"\x02" * 32]],  # unknown version
        [1, "c", 0, b"\x01" * 32, b"b", 1024, 3, [b"\x02" * 32]],  # height 0
        [1, "c", 5, b"\x01" * 31, b"b", 1024, 3, [b"\x02" * 32]],  # short root
        [1, "c", 5, b"\x01" * 32, b"b", MIN_CHUNK_BYTES - 1, 3, [b"\x02" * 32]],
        [1, "c", 5, b"\x01" * 32, b"b", MAX_CHUNK_BYTES + 1, 3, [b"\x02" * 32]],
        [1, "c", 5, b"\x01" * 32, b"b", 1024, 0, [b"\x02" * 32]],  # a chunk without items
        [1, "c", 5, b"\x01" * 32, b"b", 1024, 3, []],  # items without chunks
        [1, "c", 5, b"\x01" * 32, b"b", 1024, 3, [b"\x02" * 33]],  # long digest
        [1, "c", 5, b"\x01" * 32, b"b", 1024, 3, [b"\x02" * 32], "extra"],
        [1, "x" * 65, 5, b"\x01" * 32, b"b", 1024, 3, [b"\x02" * 32]],  # chain id too long
        [1, "c", 5, b"\x01" * 32, "b", 1024, 3, [b"\x02" * 32]],  # block as str
    ],
)
def test_manifest_decoder_refuses_bad_fields(fields: list[object]) -> None:
    with pytest.raises(SnapshotInvalid) as exc:
        decode_manifest(codec.encode(fields))
    assert exc.value.code == Codes.MALFORMED


def test_manifest_decoder_refuses_every_truncation_and_trailing_bytes() -> None:
    data = sample_manifest().encode()
    for n in range(len(data)):
        with pytest.raises(SnapshotInvalid):
            decode_manifest(data[:n])
    with pytest.raises(SnapshotInvalid):
        decode_manifest(data + b"\x00")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_give_a_manifest_or_snapshot_invalid(data: bytes) -> None:
    try:
        decode_manifest(data)
    except SnapshotInvalid as exc:
        assert exc.code == Codes.MALFORMED


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_give_a_chunk_or_snapshot_invalid(data: bytes) -> None:
    try:
        items = decode_chunk(data)
    except SnapshotInvalid as exc:
        assert exc.code == Codes.MALFORMED
    else:
        assert items and encode_chunk(items) == data


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=300), st.binary(max_size=70_000)), max_size=8))
def test_chunk_size_arithmetic_matches_the_encoding(pairs: list[tuple[bytes, bytes]]) -> None:
    expected = array_header_size(len(pairs)) + sum(pair_size(k, v) for k, v in pairs)
    assert len(encode_chunk(pairs)) == expected


def test_array_header_size_at_the_boundaries() -> None:
    for n in (0, 15, 16, 65535, 65536):
        assert array_header_size(n) == len(codec.array_header(n))


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.binary(max_size=20), st.binary(max_size=40), min_size=1, max_size=20))
def test_chunk_round_trip(state: dict[bytes, bytes]) -> None:
    items = sorted(state.items())
    data = encode_chunk(items)
    assert decode_chunk(data) == items


@pytest.mark.parametrize(
    "items",
    [
        [],  # empty chunk
        [(b"b", b"1"), (b"a", b"2")],  # descending
        [(b"a", b"1"), (b"a", b"2")],  # repeated key
    ],
)
def test_chunk_decoder_refuses_empty_and_unordered(items: list[tuple[bytes, bytes]]) -> None:
    with pytest.raises(SnapshotInvalid) as exc:
        decode_chunk(encode_chunk(items))
    assert exc.value.code == Codes.MALFORMED


def test_chunk_decoder_refuses_oversize_and_bad_shapes() -> None:
    data = encode_chunk([(b"a", b"x" * 100)])
    with pytest.raises(SnapshotInvalid):
        decode_chunk(data, max_bytes=len(data) - 1)
    assert decode_chunk(data, max_bytes=len(data)) == [(b"a", b"x" * 100)]
    for wire in ([[b"a"]], [[b"a", b"b", b"c"]], [[b"a", "text"]], [b"a"], b"a"):
        with pytest.raises(SnapshotInvalid):
            decode_chunk(codec.encode(wire))
    for n in range(len(data)):
        with pytest.raises(SnapshotInvalid):
            decode_chunk(data[:n])


def test_chunk_digest_is_the_documented_tagged_sha256() -> None:
    assert CHUNK_TAG == b"scctn/snapshot-chunk/v1"
    data = encode_chunk([(b"alice", b"100")])
    expected = hashlib.sha256(bytes([len(CHUNK_TAG)]) + CHUNK_TAG + data).digest()
    assert chunk_digest(data) == expected
    assert data.hex() == "9192c405616c696365c403313030"
