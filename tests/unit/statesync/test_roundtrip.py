"""Snapshot a chain state, install it into a fresh store, and find the same chain there."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scctn_node.chain.block import decode_block
from scctn_node.chain.store import ChainStore
from scctn_node.statesync import (
    Codes,
    SnapshotError,
    SnapshotSource,
    decode_chunk,
    decode_manifest,
    install_snapshot,
    make_snapshot,
    open_view,
)
from scctn_node.statesync.format import encode_chunk
from scctn_node.storage import schema
from scctn_node.storage.kv import KVStore, LevelDBStore, MemoryStore, StorageError
from scctn_node.storage.proof import InvalidProof, verify_proof
from tests.unit.statesync.helpers import (
    all_items,
    build_chain,
    commit,
    genesis,
    open_kv,
    state_items,
)

KINDS = ["memory", "leveldb"]


def check_same_chain(source: ChainStore, target_kv: KVStore) -> None:
    """`target_kv` opens as the same chain, at the same height, as `source`."""
    target = ChainStore(target_kv)
    assert target.initialized
    assert target.genesis_hash == genesis().hash() == source.genesis_hash
    assert target.chain_id() == source.chain_id()
    assert target.height == source.height
    assert target.last_block_hash == source.last_block_hash
    assert target.state_root == source.state_root
    assert target.state_root_at(target.height) == source.state_root
    assert target.block(target.height) == source.block(source.height)
    assert target.last_commit() is None
    assert state_items(target_kv) == state_items(source.kv)
    root = target.state_root
    for key, value in list(source.state_items(b""))[::17]:
        verify_proof(root, key, value, target.prove(key))
        with pytest.raises(InvalidProof):
            verify_proof(root, key, value + b"!", target.prove(key))
    verify_proof(root, b"no such key", None, target.prove(b"no such key"))


@pytest.mark.parametrize("kind", KINDS)
def test_round_trip_into_a_fresh_store(kind: str, tmp_path: Path) -> None:
    with open_kv(kind, tmp_path / "src") as src_kv:
        source = build_chain(src_kv)
        manifest, chunks = make_snapshot(source, chunk_bytes=512)
        assert manifest.height == 3 and manifest.state_root == source.state_root
        assert manifest.chain_id == source.chain_id()
        assert decode_block(manifest.block).hash == source.last_block_hash
        assert manifest.chunk_count == len(chunks) > 5
        assert manifest.item_count == len(state_items(src_kv))
        assert decode_manifest(manifest.encode()) == manifest
        with open_kv(kind, tmp_path / "dst") as dst_kv:
            install_snapshot(
                dst_kv,
                genesis(),
                manifest,
                chunks,
                expected_root=source.state_root,
                expected_block_hash=source.last_block_hash,
                batch_items=50,
            )
            check_same_chain(source, dst_kv)
            assert all(not key.startswith(b"mstatesync") for key, _ in all_items(dst_kv))
            # the installed store goes on committing blocks exactly as the source does
            target = ChainStore(dst_kv)
            for changes in ({b"acct/new": b"1", b"acct/0/0005": None}, {b"acct/new": b"2"}):
                a, b = commit(source, changes, 9999), commit(target, changes, 9999)
                assert a.hash == b.hash and target.state_root == source.state_root
            assert state_items(dst_kv) == state_items(src_kv)


def test_leveldb_install_survives_reopen(tmp_path: Path) -> None:
    source = build_chain(MemoryStore())
    manifest, chunks = make_snapshot(source, chunk_bytes=1024)
    with LevelDBStore(tmp_path / "dst") as kv:
        install_snapshot(kv, genesis(), manifest, chunks, expected_root=manifest.state_root)
    with LevelDBStore(tmp_path / "dst", create=False) as kv:
        check_same_chain(source, kv)


@pytest.mark.parametrize("kind", KINDS)
def test_streaming_source_serves_a_consistent_snapshot_while_blocks_commit(
    kind: str, tmp_path: Path
) -> None:
    with open_kv(kind, tmp_path / "src") as src_kv:
        source = build_chain(src_kv)
        expected_items = state_items(src_kv)
        manifest, chunks = make_snapshot(source, chunk_bytes=700)
        with SnapshotSource(source, chunk_bytes=700) as served:
            assert served.manifest == manifest
            # the chain moves on while the snapshot is being served
            commit(source, {b"acct/0/0003": b"changed", b"acct/late": b"x", b"\x00\x00": None})
            commit(source, {f"acct/9/{i}".encode(): b"y" for i in range(100)})
            assert source.height == 5 and source.state_root != manifest.state_root
            read = [served.read_chunk(i) for i in range(served.manifest.chunk_count)]
            assert read == chunks
            with pytest.raises(SnapshotError) as exc:
                served.read_chunk(manifest.chunk_count)
            assert exc.value.code == Codes.NO_SUCH_CHUNK
            with pytest.raises(SnapshotError):
                served.read_chunk(-1)
        with open_kv(kind, tmp_path / "dst") as dst_kv:
            install_snapshot(
                dst_kv, genesis(), manifest, iter(read), expected_root=manifest.state_root
            )
            target = ChainStore(dst_kv)
            assert target.height == 3 and target.state_root == manifest.state_root
            assert state_items(dst_kv) == expected_items


def test_snapshot_at_genesis_is_unavailable() -> None:
    store = ChainStore(MemoryStore())
    store.init_genesis(genesis())
    with pytest.raises(SnapshotError) as exc:
        make_snapshot(store)
    assert exc.value.code == Codes.UNAVAILABLE
    with pytest.raises(SnapshotError):
        SnapshotSource(store)


def test_item_larger_than_a_chunk_is_refused_at_the_source() -> None:
    store = build_chain(MemoryStore(), blocks=1)
    # sizes above the largest genesis item (the gas schedule, which grows with the ops)
    commit(store, {b"big": b"x" * 700})
    assert make_snapshot(store, chunk_bytes=800)[0].item_count > 1
    with pytest.raises(SnapshotError) as exc:
        make_snapshot(store, chunk_bytes=700)
    assert exc.value.code == Codes.TOO_LARGE
    with pytest.raises(ValueError):
        make_snapshot(store, chunk_bytes=10)


def test_empty_state_snapshots_to_zero_chunks() -> None:
    store = ChainStore(MemoryStore())
    store.init_genesis(genesis())
    commit(store, {key: None for key, _ in store.state_items(b"")})
    assert store.state_root == b"\x00" * 32
    manifest, chunks = make_snapshot(store)
    assert manifest.chunk_count == 0 == manifest.item_count and chunks == []
    kv = MemoryStore()
    install_snapshot(kv, genesis(), manifest, [], expected_root=b"\x00" * 32)
    assert ChainStore(kv).height == 1 and ChainStore(kv).state_root == b"\x00" * 32


state_dicts = st.dictionaries(
    st.binary(max_size=24), st.binary(max_size=120), min_size=1, max_size=60
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(extra=state_dicts, chunk_bytes=st.integers(800, 2000), batch_items=st.integers(1, 80))
def test_any_state_chunks_within_bounds_and_round_trips(
    extra: dict[bytes, bytes], chunk_bytes: int, batch_items: int
) -> None:
    source = ChainStore(MemoryStore())
    source.init_genesis(genesis())
    commit(source, dict(extra))
    manifest, chunks = make_snapshot(source, chunk_bytes=chunk_bytes)
    decoded = [decode_chunk(c, max_bytes=chunk_bytes) for c in chunks]
    flat = [item for chunk in decoded for item in chunk]
    assert [(b"s" + k, v) for k, v in flat] == state_items(source.kv)
    assert all(len(c) <= chunk_bytes for c in chunks)
    # greedy: no chunk could have taken the next chunk's first item
    for chunk, nxt in zip(decoded, decoded[1:], strict=False):
        assert len(encode_chunk([*chunk, nxt[0]])) > chunk_bytes
    kv = MemoryStore()
    install_snapshot(
        kv, genesis(), manifest, chunks, expected_root=source.state_root, batch_items=batch_items
    )
    target = ChainStore(kv)
    assert target.state_root == source.state_root
    assert state_items(kv) == state_items(source.kv)


def test_manifest_over_one_message_is_refused_at_the_source() -> None:
    store = build_chain(MemoryStore(), blocks=1)
    batch = store.kv.batch()  # a tip block that fills a p2p message by itself
    batch.put(schema.block_key(store.height), b"\x00" * 1_000_000)
    store.kv.write(batch)
    with pytest.raises(SnapshotError) as exc:
        make_snapshot(store)
    assert exc.value.code == Codes.TOO_LARGE
    with pytest.raises(SnapshotError):
        SnapshotSource(store)


@pytest.mark.parametrize("kind", KINDS)
def test_source_over_a_view_taken_earlier_serves_that_moment(kind: str, tmp_path: Path) -> None:
    with open_kv(kind, tmp_path / "src") as src_kv:
        source = build_chain(src_kv)
        expected, chunks = make_snapshot(source, chunk_bytes=600)
        view = open_view(src_kv)  # taken right after the checkpoint block, as the node does
        commit(source, {b"acct/after": b"1"})  # the walk runs later, after more commits
        with SnapshotSource(source, chunk_bytes=600, view=view) as served:
            assert served.manifest == expected
            assert [served.read_chunk(i) for i in range(expected.chunk_count)] == chunks
        with pytest.raises(StorageError):  # the source owned the view and closed it
            view.get(b"m")
