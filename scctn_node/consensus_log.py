"""The consensus write-ahead log in LevelDB (table `c`).

Records are appended under increasing 8-byte counters; `append` is one synced write, so
the records of one effect list are durable before any message that follows them leaves
(the crash-recovery contract of consensus/). A stable-checkpoint record makes every
earlier record obsolete: they are deleted in the same write.
"""

from __future__ import annotations

from collections.abc import Sequence

from consensus.records import Record, StableRecord, decode_record, encode_record
from scctn_node.storage.kv import KVStore
from scctn_node.storage.schema import Prefix


class ConsensusLog:
    def __init__(self, kv: KVStore) -> None:
        self.kv = kv
        last = next(iter(kv.iterate(Prefix.CONSENSUS_LOG, reverse=True)), None)
        self._next = 0 if last is None else int.from_bytes(last[0][1:], "big") + 1

    def load(self) -> list[Record]:
        return [decode_record(value) for _, value in self.kv.iterate(Prefix.CONSENSUS_LOG)]

    def append(self, records: Sequence[Record]) -> None:
        if not records:
            return
        batch = self.kv.batch()
        stable_at = None
        for record in records:
            if isinstance(record, StableRecord):
                stable_at = self._next
            batch.put(self._key(self._next), encode_record(record))
            self._next += 1
        if stable_at is not None:
            for key, _ in self.kv.iterate(Prefix.CONSENSUS_LOG):
                if key >= self._key(stable_at):
                    break
                batch.delete(key)
        self.kv.write(batch, sync=True)

    @staticmethod
    def _key(n: int) -> bytes:
        return Prefix.CONSENSUS_LOG + n.to_bytes(8, "big")
