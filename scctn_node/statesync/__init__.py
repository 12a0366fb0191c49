"""State sync: a new or wiped node installs a snapshot of the state at a stable
checkpoint from its peers, checked against the checkpoint certificate's state root, and
then catches up by blocks. See docs/statesync.md.

- `format`: `SnapshotManifest`, chunks, their digests and strict decoders;
- `producer`: `make_snapshot` and the streaming `SnapshotSource` (serving side);
- `installer`: `install_snapshot` and crash recovery (receiving side);
- `errors`: `SnapshotError` (root), `SnapshotInvalid` (the peer's fault), `Codes`.
"""

from __future__ import annotations

from scctn_node.statesync.errors import Codes, SnapshotError, SnapshotInvalid
from scctn_node.statesync.format import (
    CHUNK_TAG,
    DEFAULT_CHUNK_BYTES,
    MAX_CHUNK_BYTES,
    MAX_MANIFEST_BYTES,
    MIN_CHUNK_BYTES,
    SnapshotManifest,
    chunk_digest,
    decode_chunk,
    decode_manifest,
    encode_chunk,
)
from scctn_node.statesync.installer import (
    IN_PROGRESS,
    check_manifest,
    discard_interrupted_install,
    install_snapshot,
    interrupted_install,
)
from scctn_node.statesync.producer import SnapshotSource, make_snapshot, open_view

__all__ = [
    "CHUNK_TAG",
    "DEFAULT_CHUNK_BYTES",
    "IN_PROGRESS",
    "MAX_CHUNK_BYTES",
    "MAX_MANIFEST_BYTES",
    "MIN_CHUNK_BYTES",
    "Codes",
    "SnapshotError",
    "SnapshotInvalid",
    "SnapshotManifest",
    "SnapshotSource",
    "check_manifest",
    "chunk_digest",
    "decode_chunk",
    "decode_manifest",
    "discard_interrupted_install",
    "encode_chunk",
    "install_snapshot",
    "interrupted_install",
    "make_snapshot",
    "open_view",
]
