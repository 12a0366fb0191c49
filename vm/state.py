"""A journaled view of the state for execution.

`StateView` sits over a read-only backing (`StateReader`: the committed state in the
store). Writes go to an overlay; `snapshot()` / `rollback(s)` undo a failed transaction's
writes; `changes()` returns the block's net writes sorted by key (deterministic order for
the state tree and the write batch).
"""

from __future__ import annotations

from typing import Protocol

_MISSING = object()


class StateReader(Protocol):
    def get(self, key: bytes) -> bytes | None: ...


class EmptyState:
    def get(self, key: bytes) -> bytes | None:
        return None


class StateView:
    __slots__ = ("_base", "_writes", "_journal")

    def __init__(self, base: StateReader) -> None:
        self._base = base
        self._writes: dict[bytes, bytes | None] = {}
        self._journal: list[tuple[bytes, object]] = []

    def get(self, key: bytes) -> bytes | None:
        value = self._writes.get(key, _MISSING)
        if value is _MISSING:
            return self._base.get(key)
        return value  # type: ignore[return-value]

    def put(self, key: bytes, value: bytes | None) -> None:
        self._journal.append((key, self._writes.get(key, _MISSING)))
        self._writes[key] = value

    def delete(self, key: bytes) -> None:
        self.put(key, None)

    def snapshot(self) -> int:
        return len(self._journal)

    def rollback(self, snapshot: int) -> None:
        while len(self._journal) > snapshot:
            key, old = self._journal.pop()
            if old is _MISSING:
                del self._writes[key]
            else:
                self._writes[key] = old  # type: ignore[assignment]

    def release(self) -> None:
        """Forget the undo journal (after a transaction is final)."""
        self._journal.clear()

    def changes(self) -> list[tuple[bytes, bytes | None]]:
        return sorted(self._writes.items())
