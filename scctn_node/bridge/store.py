"""The relayer's LevelDB: what it has sent to Ethereum and what is finished.

Keys (all values JSON):
- `m` : the identity of the data directory {eth_chain_id, vault, chain_id, sender};
  a directory made for one vault refuses to serve another.
- `p` + kind(1) + id(8): a pending submission (`Pending`): every transaction hash ever
  sent for it (a gas bump replaces the transaction, and either may be mined), the
  Ethereum nonce, the signed raw transaction of the latest attempt.
- `d` + kind(1) + id(8): done (the effect is on the vault at the confirmation depth).
- `c` + kind(1): the lowest id of that kind not yet done (the outbox cursor).
- `w` + kind(1) + id(8): an item waiting for a time: a queued large withdrawal to
  `release`, a scheduled vault change to `applyChange`.

A pending record is written (synced) *before* its transaction is broadcast, so after a
kill -9 the relayer knows every transaction it may have sent and checks them before
sending anything new for the same item.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from scctn_node.errors import NodeError
from scctn_node.storage.kv import KVStore, LevelDBStore

KIND_WITHDRAWAL = 1
KIND_VALSET = 2
KIND_CHANGE = 3
KIND_RELEASE = 4  # release(id) of a queued large withdrawal
KIND_APPLY = 5  # applyChange(c) after its eta
KIND_NAMES = {
    KIND_WITHDRAWAL: "withdrawal",
    KIND_VALSET: "valset",
    KIND_CHANGE: "change",
    KIND_RELEASE: "release",
    KIND_APPLY: "apply",
}


class RelayerStoreError(NodeError):
    code = "relayer_store"


@dataclass(slots=True)
class Pending:
    kind: int
    id: int
    eth_nonce: int
    gas_price: int  # max fee per gas (legacy: the gas price)
    raw_tx: str  # 0x hex of the latest signed transaction
    tx_hashes: list[str] = field(default_factory=list)  # every attempt, oldest first
    sent_at: float = 0.0  # unix time of the latest broadcast or bump
    mined_block: int | None = None
    attempts: int = 1
    to: str = ""  # what was sent, so a gas bump can sign the same call again
    data: str = ""
    gas: int = 0
    priority_fee: int | None = None

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Pending:
        doc: dict[str, Any] = json.loads(raw)
        return cls(**doc)


def _item_key(prefix: bytes, kind: int, item_id: int) -> bytes:
    return prefix + bytes((kind,)) + item_id.to_bytes(8, "big")


class RelayerStore:
    def __init__(self, kv: KVStore) -> None:
        self.kv = kv

    @classmethod
    def open(cls, path: Path) -> RelayerStore:
        path.mkdir(parents=True, exist_ok=True)
        return cls(LevelDBStore(path / "relayer.db"))

    def close(self) -> None:
        self.kv.close()

    # --- identity ---

    def check_identity(self, identity: dict[str, Any]) -> None:
        """Bind this directory to one vault and chain; refuse a different one later."""
        raw = self.kv.get(b"m")
        if raw is None:
            batch = self.kv.batch()
            batch.put(b"m", json.dumps(identity, sort_keys=True).encode())
            self.kv.write(batch)
            return
        known = json.loads(raw)
        if known != identity:
            diff = sorted(k for k in set(known) | set(identity) if known.get(k) != identity.get(k))
            raise RelayerStoreError(
                f"this relayer data directory belongs to another bridge ({', '.join(diff)} differ)"
            )

    # --- pending submissions ---

    def put_pending(self, p: Pending) -> None:
        batch = self.kv.batch()
        batch.put(_item_key(b"p", p.kind, p.id), p.to_json())
        self.kv.write(batch, sync=True)

    def get_pending(self, kind: int, item_id: int) -> Pending | None:
        raw = self.kv.get(_item_key(b"p", kind, item_id))
        return None if raw is None else Pending.from_json(raw)

    def all_pending(self) -> list[Pending]:
        return [Pending.from_json(v) for _, v in self.kv.iterate(b"p")]

    def drop_pending(self, kind: int, item_id: int) -> None:
        batch = self.kv.batch()
        batch.delete(_item_key(b"p", kind, item_id))
        self.kv.write(batch, sync=True)

    # --- done and cursors ---

    def mark_done(self, kind: int, item_id: int, info: dict[str, Any]) -> None:
        batch = self.kv.batch()
        batch.put(_item_key(b"d", kind, item_id), json.dumps(info, sort_keys=True).encode())
        batch.delete(_item_key(b"p", kind, item_id))
        self.kv.write(batch, sync=True)

    def is_done(self, kind: int, item_id: int) -> bool:
        return self.kv.get(_item_key(b"d", kind, item_id)) is not None

    def done_info(self, kind: int, item_id: int) -> dict[str, Any] | None:
        raw = self.kv.get(_item_key(b"d", kind, item_id))
        return None if raw is None else dict(json.loads(raw))

    # --- waiting for a time (queued withdrawals to release, changes to apply) ---

    def add_waiting(self, kind: int, item_id: int, info: dict[str, Any]) -> None:
        batch = self.kv.batch()
        batch.put(_item_key(b"w", kind, item_id), json.dumps(info, sort_keys=True).encode())
        self.kv.write(batch, sync=True)

    def waiting(self, kind: int) -> list[tuple[int, dict[str, Any]]]:
        prefix = b"w" + bytes((kind,))
        return [
            (int.from_bytes(k[len(prefix) :], "big"), dict(json.loads(v)))
            for k, v in self.kv.iterate(prefix)
        ]

    def drop_waiting(self, kind: int, item_id: int) -> None:
        batch = self.kv.batch()
        batch.delete(_item_key(b"w", kind, item_id))
        self.kv.write(batch, sync=True)

    def cursor(self, kind: int) -> int:
        raw = self.kv.get(b"c" + bytes((kind,)))
        return 1 if raw is None else int(raw)

    def set_cursor(self, kind: int, value: int) -> None:
        batch = self.kv.batch()
        batch.put(b"c" + bytes((kind,)), str(value).encode())
        self.kv.write(batch, sync=True)

    def advance_cursor(self, kind: int) -> int:
        """Move the cursor over every done id; returns the new cursor."""
        cur = self.cursor(kind)
        start = cur
        while self.is_done(kind, cur):
            cur += 1
        if cur != start:
            self.set_cursor(kind, cur)
        return cur
