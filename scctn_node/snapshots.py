"""State snapshots served to peers that state-sync (see docs/statesync.md).

Right after a checkpoint block commits (height a multiple of the checkpoint interval),
`take(height)` grabs a consistent view of the store: instant with LevelDB, and taken
inside the commit's worker thread so no later block is in it. The manifest (chunk
boundaries and digests) is then built in the background. The last few are kept, since a
catching-up peer asks for the latest *stable* checkpoint, which may trail the latest
executed one.

Requests (canonical msgpack): `["manifest", height]` -> the manifest's bytes;
`["chunk", height, index]` -> the chunk's bytes; failures -> `["error", code]`.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from functools import partial

import trio

from primitives import codec
from primitives.errors import DecodeError
from scctn_node.chain.store import ChainStore
from scctn_node.statesync import SnapshotError, SnapshotSource, open_view
from scctn_node.storage.kv import KVSnapshot

log = logging.getLogger("scctn.snapshots")

KEEP = 3


class SnapshotServer:
    def __init__(self, store: ChainStore, keep: int = KEEP) -> None:
        self.store = store
        self.keep = keep
        self._ready: OrderedDict[int, SnapshotSource] = OrderedDict()
        self._views: list[tuple[int, KVSnapshot]] = []
        self._wake = trio.Event()

    def take(self, height: int) -> None:
        """Call right after committing `height`, before the next block (worker thread ok)."""
        self._views.append((height, open_view(self.store.kv)))

    def taken(self) -> None:
        """Wake the builder (trio thread)."""
        self._wake.set()

    async def run(self) -> None:
        try:
            while True:
                await self._wake.wait()
                self._wake = trio.Event()
                views, self._views = self._views, []
                for height, view in views:
                    source = await trio.to_thread.run_sync(
                        partial(SnapshotSource, self.store, view=view)
                    )
                    self._ready[height] = source
                    while len(self._ready) > self.keep:
                        _, old = self._ready.popitem(last=False)
                        old.close()
        finally:
            for source in self._ready.values():
                source.close()
            for _, view in self._views:
                view.close()

    def answer(self, request: list[object]) -> bytes:
        try:
            if request[0] == "manifest":
                height = codec.expect_int(request[1], what="height")
                return self._source(height).manifest.encode()
            if request[0] == "chunk" and len(request) == 3:
                height = codec.expect_int(request[1], what="height")
                index = codec.expect_int(request[2], 0, 2**32, what="chunk")
                return self._source(height).read_chunk(index)
        except (SnapshotError, DecodeError) as exc:
            return codec.encode(["error", getattr(exc, "code", "bad_request")])
        return codec.encode(["error", "bad_request"])

    def _source(self, height: int) -> SnapshotSource:
        source = self._ready.get(height)
        if source is None:
            raise SnapshotError(f"no snapshot at height {height}", "snapshot_unavailable")
        return source


def is_error(answer: bytes) -> str | None:
    """The error code of an error answer, None for a payload."""
    try:
        value = codec.decode(answer)
    except DecodeError:
        return None
    if isinstance(value, list) and len(value) == 2 and value[0] == "error":
        return str(value[1])
    return None
