"""The relayer's LevelDB store: pending submissions survive reopening, done items move
the cursor, and a directory refuses another bridge."""

from __future__ import annotations

from pathlib import Path

import pytest

from scctn_node.bridge.store import (
    KIND_VALSET,
    KIND_WITHDRAWAL,
    Pending,
    RelayerStore,
    RelayerStoreError,
)


def test_pending_survives_reopen_and_done_moves_the_cursor(tmp_path: Path) -> None:
    store = RelayerStore.open(tmp_path)
    p = Pending(KIND_WITHDRAWAL, 1, eth_nonce=3, gas_price=10, raw_tx="0x01", tx_hashes=["0xaa"])
    store.put_pending(p)
    store.put_pending(Pending(KIND_VALSET, 2, 4, 10, "0x02", ["0xbb"]))
    store.close()
    store = RelayerStore.open(tmp_path)
    assert store.get_pending(KIND_WITHDRAWAL, 1) == p
    assert {(x.kind, x.id) for x in store.all_pending()} == {(1, 1), (2, 2)}
    assert store.cursor(KIND_WITHDRAWAL) == 1
    store.mark_done(KIND_WITHDRAWAL, 2, {"tx": "0xcc"})
    assert store.advance_cursor(KIND_WITHDRAWAL) == 1
    store.mark_done(KIND_WITHDRAWAL, 1, {"tx": "0xaa"})
    assert store.get_pending(KIND_WITHDRAWAL, 1) is None
    assert store.advance_cursor(KIND_WITHDRAWAL) == 3
    assert store.done_info(KIND_WITHDRAWAL, 2) == {"tx": "0xcc"}
    store.close()
    store = RelayerStore.open(tmp_path)
    assert store.cursor(KIND_WITHDRAWAL) == 3
    assert store.cursor(KIND_VALSET) == 1
    store.close()


def test_identity_is_bound_once(tmp_path: Path) -> None:
    store = RelayerStore.open(tmp_path)
    ident = {"vault": "0x" + "11" * 20, "eth_chain_id": 31337, "chain_id": "c"}
    store.check_identity(ident)
    store.check_identity(dict(ident))
    with pytest.raises(RelayerStoreError) as caught:
        store.check_identity({**ident, "vault": "0x" + "22" * 20})
    assert "vault" in caught.value.message
    store.close()
