"""The snapshot format: a manifest and the chunks it lists, in canonical MessagePack.

    Manifest = [version: 1, chain_id: str, height: uint, state_root: bin32,
                block: bin (the encoded block at `height`), chunk_bytes: uint,
                item_count: uint, chunk_digests: [bin32, ...]]
    Chunk    = [[key: bin, value: bin], ...]     (state keys, without the table prefix)
    chunk_digest(chunk) = digest("scctn/snapshot-chunk/v1", chunk bytes)
    manifest.hash()     = digest("scctn/snapshot-manifest/v1", manifest bytes)

Invariants (checked by the decoders, so any bytes give a value or `SnapshotInvalid`):

- The snapshot is the state AFTER executing block `height` (>= 1); `state_root` is the
  root of that state, the one a checkpoint certificate for `height` certifies.
- Every chunk holds at least one item; keys are strictly increasing within a chunk and
  across chunks (chunk i's last key < chunk i+1's first key), so the state has one
  chunking per `chunk_bytes`: the producer fills each chunk greedily.
- A chunk encodes to at most `chunk_bytes` bytes and at most `MAX_CHUNK_ITEMS` items;
  `MIN_CHUNK_BYTES <= chunk_bytes <= MAX_CHUNK_BYTES`; a manifest encodes to at most
  `MAX_MANIFEST_BYTES` (both fit one p2p message of 1 MiB with room for the envelope).
- `item_count == 0` exactly when there are no chunks (the empty state).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from primitives import codec
from primitives.errors import DecodeError
from primitives.hashing import DIGEST_SIZE, Digest, digest
from scctn_node.statesync.errors import Codes, SnapshotInvalid

__all__ = [
    "CHUNK_TAG",
    "DEFAULT_CHUNK_BYTES",
    "FORMAT_VERSION",
    "MANIFEST_TAG",
    "MAX_CHUNK_BYTES",
    "MAX_CHUNK_ITEMS",
    "MAX_MANIFEST_BYTES",
    "MIN_CHUNK_BYTES",
    "SnapshotManifest",
    "array_header_size",
    "chunk_digest",
    "decode_chunk",
    "decode_manifest",
    "encode_chunk",
    "pair_size",
]

CHUNK_TAG = b"scctn/snapshot-chunk/v1"
MANIFEST_TAG = b"scctn/snapshot-manifest/v1"
FORMAT_VERSION = 1
DEFAULT_CHUNK_BYTES = 256 * 1024
MIN_CHUNK_BYTES = 64
# One p2p payload is at most 1 MiB (p2p.config); these leave ~48 KiB for the envelope
# and the driver's own request/response framing.
MAX_CHUNK_BYTES = 1_000_000
MAX_MANIFEST_BYTES = 1_000_000
MAX_CHUNK_ITEMS = codec.MAX_ARRAY_LEN  # the codec refuses longer arrays
MAX_CHAIN_ID = 64  # as Header.chain_id


def chunk_digest(data: bytes) -> Digest:
    return digest(CHUNK_TAG, data)


def _bin_size(n: int) -> int:
    """Encoded size of a msgpack bin of n bytes."""
    return n + (2 if n < 0x100 else 3 if n < 0x10000 else 5)


def array_header_size(n: int) -> int:
    return 1 if n < 16 else 3 if n < 0x10000 else 5


def pair_size(key: bytes, value: bytes) -> int:
    """Encoded size of one `[key, value]` item of a chunk."""
    return 1 + _bin_size(len(key)) + _bin_size(len(value))


def encode_chunk(items: Sequence[tuple[bytes, bytes]]) -> bytes:
    return codec.encode([[k, v] for k, v in items])


def decode_chunk(data: bytes, *, max_bytes: int = MAX_CHUNK_BYTES) -> list[tuple[bytes, bytes]]:
    """The items of one chunk; `SnapshotInvalid` (malformed) unless canonical, non-empty,
    at most `max_bytes` long and in strictly increasing key order."""
    if type(data) is not bytes:
        raise SnapshotInvalid("a chunk must be bytes")
    if len(data) > max_bytes:
        raise SnapshotInvalid(f"chunk of {len(data)} bytes exceeds the limit of {max_bytes}")
    try:
        wire = codec.decode(data, max_size=max_bytes)
        raw = codec.expect_seq(wire, max_len=MAX_CHUNK_ITEMS, what="chunk")
        items: list[tuple[bytes, bytes]] = []
        for entry in raw:
            pair = codec.expect_list(entry, 2, what="chunk item")
            items.append(
                (
                    codec.expect_bytes(pair[0], what="state key"),
                    codec.expect_bytes(pair[1], what="state value"),
                )
            )
    except DecodeError as exc:
        raise SnapshotInvalid(f"malformed chunk: {exc}") from exc
    if not items:
        raise SnapshotInvalid("empty chunk")
    for (a, _), (b, _) in zip(items, items[1:], strict=False):
        if not a < b:
            raise SnapshotInvalid("chunk keys are not strictly increasing")
    return items


@dataclass(frozen=True, slots=True)
class SnapshotManifest:
    """What a snapshot holds and how to check it; see the module docstring."""

    chain_id: str
    height: int
    state_root: bytes
    block: bytes  # Block.encode() of the block at `height`
    chunk_bytes: int
    item_count: int
    chunk_digests: tuple[bytes, ...]

    @property
    def chunk_count(self) -> int:
        return len(self.chunk_digests)

    def to_wire(self) -> list[codec.Wire]:
        return [
            FORMAT_VERSION,
            self.chain_id,
            self.height,
            self.state_root,
            self.block,
            self.chunk_bytes,
            self.item_count,
            list(self.chunk_digests),
        ]

    def encode(self) -> bytes:
        return codec.encode(self.to_wire())

    def hash(self) -> Digest:
        return digest(MANIFEST_TAG, self.encode())

    @classmethod
    def from_wire(cls, wire: codec.Wire) -> SnapshotManifest:
        """Check every field and the invariants between them; DecodeError otherwise."""
        f = codec.expect_list(wire, 8, what="snapshot manifest")
        codec.expect_int(f[0], FORMAT_VERSION, FORMAT_VERSION, what="snapshot format version")
        digests = codec.expect_seq(f[7], what="chunk digests")
        manifest = cls(
            chain_id=codec.expect_str(f[1], max_len=MAX_CHAIN_ID, what="chain id"),
            height=codec.expect_int(f[2], 1, what="height"),
            state_root=codec.expect_bytes(f[3], DIGEST_SIZE, what="state root"),
            block=codec.expect_bytes(f[4], max_len=MAX_MANIFEST_BYTES, what="block"),
            chunk_bytes=codec.expect_int(f[5], MIN_CHUNK_BYTES, MAX_CHUNK_BYTES, what="chunk size"),
            item_count=codec.expect_int(f[6], what="item count"),
            chunk_digests=tuple(codec.expect_bytes(d, DIGEST_SIZE, what="digest") for d in digests),
        )
        n = manifest.chunk_count
        if not n <= manifest.item_count <= n * MAX_CHUNK_ITEMS:
            raise DecodeError(f"{manifest.item_count} items cannot fill {n} non-empty chunks")
        return manifest


def decode_manifest(data: bytes) -> SnapshotManifest:
    """A manifest from a peer, checked strictly; `SnapshotInvalid` (malformed) otherwise."""
    if type(data) is not bytes:
        raise SnapshotInvalid("a manifest must be bytes")
    try:
        return SnapshotManifest.from_wire(codec.decode(data, max_size=MAX_MANIFEST_BYTES))
    except DecodeError as exc:
        raise SnapshotInvalid(f"malformed manifest: {exc}", Codes.MALFORMED) from exc
