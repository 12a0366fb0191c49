"""Errors of state sync: one root, `SnapshotError`, with a stable `code` and a sentence.

- `SnapshotInvalid`: the snapshot a peer served is wrong (bad encoding, a chunk that does
  not match its digest, a root that differs from the certified one, another chain). The
  peer is at fault: drop the snapshot, count it against the peer, try another peer.
- `SnapshotError` itself: our side cannot do it (nothing to snapshot at genesis, a state
  item too large for a chunk, a target store that is not empty, a chunk index out of
  range). Not a peer's fault.
"""

from __future__ import annotations

__all__ = ["Codes", "SnapshotError", "SnapshotInvalid"]


class Codes:
    """Every code this package raises, in one place."""

    ERROR = "snapshot_error"
    MALFORMED = "snapshot_malformed"  # bad encoding, order, counts, sizes
    WRONG_CHAIN = "snapshot_wrong_chain"  # manifest or block names another chain
    ROOT_MISMATCH = "snapshot_root_mismatch"  # not the certified root, or the data rebuilds another
    CHUNK_MISMATCH = "snapshot_chunk_mismatch"  # a chunk's digest differs from the manifest's
    CHUNK_MISSING = "snapshot_chunk_missing"  # fewer chunks than the manifest lists
    BLOCK_MISMATCH = "snapshot_block_mismatch"  # the block is not at the manifest's height / hash
    UNAVAILABLE = "snapshot_unavailable"  # nothing to snapshot (store at genesis)
    TOO_LARGE = "snapshot_too_large"  # the manifest or one state item exceeds the limits
    NO_SUCH_CHUNK = "snapshot_no_such_chunk"  # a chunk index outside the manifest
    STORE_NOT_EMPTY = "snapshot_store_not_empty"  # the target store already holds a chain


class SnapshotError(Exception):
    """Root of state-sync errors; `code` is stable, `message` a sentence."""

    code = Codes.ERROR

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class SnapshotInvalid(SnapshotError):
    """The peer's snapshot is wrong: refuse it (the target store is left not initialised)."""

    code = Codes.MALFORMED
