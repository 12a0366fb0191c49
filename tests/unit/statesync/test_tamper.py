"""Every way a peer's snapshot can be wrong is refused with its code, and the target
store is left empty: not initialised, no marker, no state, no tree."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from scctn_node.chain.block import Block
from scctn_node.chain.store import ChainStore
from scctn_node.statesync import (
    Codes,
    SnapshotError,
    SnapshotInvalid,
    SnapshotManifest,
    chunk_digest,
    decode_chunk,
    encode_chunk,
    install_snapshot,
    interrupted_install,
    make_snapshot,
)
from scctn_node.storage.kv import KVStore, LevelDBStore, MemoryStore
from tests.unit.statesync.helpers import (
    all_items,
    build_chain,
    commit,
    genesis,
    make_block,
    state_items,
)

SOURCE = build_chain(MemoryStore())
MANIFEST, CHUNKS = make_snapshot(SOURCE, chunk_bytes=512)
ROOT = SOURCE.state_root


def refused(
    code: str,
    manifest: SnapshotManifest,
    chunks: Iterable[bytes],
    *,
    kv: KVStore | None = None,
    expected_root: bytes = ROOT,
    **kwargs: object,
) -> KVStore:
    """Install and expect refusal with `code`; the store is left empty. Returns it."""
    kv = MemoryStore() if kv is None else kv
    with pytest.raises(SnapshotInvalid) as exc:
        install_snapshot(
            kv,
            genesis(),
            manifest,
            chunks,
            expected_root=expected_root,
            batch_items=1,
            **kwargs,  # type: ignore[arg-type]
        )
    assert exc.value.code == code, exc.value
    assert not ChainStore(kv).initialized
    assert not interrupted_install(kv)
    assert all_items(kv) == []
    return kv


def reissue(
    chunk_lists: list[list[tuple[bytes, bytes]]], **fields: object
) -> tuple[SnapshotManifest, list[bytes]]:
    """A lying peer: chunks of its choosing with a manifest whose digests match them."""
    chunks = [encode_chunk(items) for items in chunk_lists]
    manifest = dataclasses.replace(
        MANIFEST,
        chunk_digests=tuple(chunk_digest(c) for c in chunks),
        item_count=sum(len(items) for items in chunk_lists),
    )
    return dataclasses.replace(manifest, **fields), chunks  # type: ignore[arg-type]


def decoded() -> list[list[tuple[bytes, bytes]]]:
    return [decode_chunk(c) for c in CHUNKS]


def flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]


@pytest.mark.parametrize(
    ("name", "tamper", "code"),
    [
        ("flipped byte", lambda c: [c[0], flip(c[1], 20), *c[2:]], Codes.CHUNK_MISMATCH),
        ("flipped last byte", lambda c: [*c[:-1], flip(c[-1], -1)], Codes.CHUNK_MISMATCH),
        ("dropped chunk", lambda c: c[:3] + c[4:], Codes.CHUNK_MISMATCH),
        ("dropped last chunk", lambda c: c[:-1], Codes.CHUNK_MISSING),
        ("no chunks", lambda c: [], Codes.CHUNK_MISSING),
        ("reordered chunks", lambda c: [c[1], c[0], *c[2:]], Codes.CHUNK_MISMATCH),
        ("repeated chunk", lambda c: [c[0], c[0], *c[2:]], Codes.CHUNK_MISMATCH),
        ("extra chunk", lambda c: [*c, c[-1]], Codes.MALFORMED),
        ("not bytes", lambda c: [bytearray(c[0]), *c[1:]], Codes.CHUNK_MISMATCH),
    ],
)
def test_tampered_chunks_are_refused(
    name: str, tamper: Callable[[list[bytes]], list[bytes]], code: str
) -> None:
    refused(code, MANIFEST, tamper(list(CHUNKS)))


def test_tampered_chunks_leave_a_leveldb_store_empty(tmp_path: Path) -> None:
    with LevelDBStore(tmp_path / "db") as kv:
        refused(Codes.CHUNK_MISMATCH, MANIFEST, [*CHUNKS[:-1], flip(CHUNKS[-1], 5)], kv=kv)
        # and the refused store takes the right snapshot afterwards
        install_snapshot(kv, genesis(), MANIFEST, CHUNKS, expected_root=ROOT)
        assert ChainStore(kv).state_root == ROOT


def test_wrong_expected_root_is_refused_before_any_write() -> None:
    refused(Codes.ROOT_MISMATCH, MANIFEST, CHUNKS, expected_root=b"\x01" * 32)
    # a manifest naming the certified root but the source's real chunks: rebuilt root differs
    refused(
        Codes.ROOT_MISMATCH,
        dataclasses.replace(MANIFEST, state_root=b"\x01" * 32),
        CHUNKS,
        expected_root=b"\x01" * 32,
    )


def test_manifest_of_another_chain_is_refused() -> None:
    manifest = dataclasses.replace(MANIFEST, chain_id="another-chain")
    refused(Codes.WRONG_CHAIN, manifest, CHUNKS)
    # manifest says our chain, but its block is another chain's
    foreign = make_block(SOURCE, 5, chain_id="another-chain")
    foreign = Block(dataclasses.replace(foreign.header, height=MANIFEST.height), (), None)
    refused(Codes.WRONG_CHAIN, dataclasses.replace(MANIFEST, block=foreign.encode()), CHUNKS)


def test_manifest_block_at_another_height_or_hash_is_refused() -> None:
    block = Block(dataclasses.replace(make_block(SOURCE, 1).header, height=2), (), None)
    refused(Codes.BLOCK_MISMATCH, dataclasses.replace(MANIFEST, block=block.encode()), CHUNKS)
    refused(Codes.BLOCK_MISMATCH, MANIFEST, CHUNKS, expected_block_hash=b"\x05" * 32)
    refused(Codes.MALFORMED, dataclasses.replace(MANIFEST, block=b"\x93\x01"), CHUNKS)


def test_lying_peer_with_matching_digests_is_caught_by_the_rebuilt_root() -> None:
    lists = decoded()
    key, value = lists[2][0]
    lists[2][0] = (key, value + b"!")  # a changed value
    refused(Codes.ROOT_MISMATCH, *reissue(lists))
    lists = decoded()
    del lists[2][1]  # a missing item
    refused(Codes.ROOT_MISMATCH, *reissue(lists))
    lists = decoded()
    lists[-1].append((b"\xff" * 8, b"extra"))  # an added item
    refused(Codes.ROOT_MISMATCH, *reissue(lists))


def test_lying_peer_with_keys_out_of_order_or_counts_off() -> None:
    lists = decoded()
    lists[0], lists[1] = lists[1], lists[0]  # each chunk sorted, but not across chunks
    refused(Codes.MALFORMED, *reissue(lists))
    lists = decoded()
    lists[1].insert(0, lists[0][-1])  # the same key at the end of one chunk and start of next
    refused(Codes.MALFORMED, *reissue(lists))
    lists = decoded()
    lists.insert(1, [])  # an empty chunk
    refused(Codes.MALFORMED, *reissue(lists))
    manifest, chunks = reissue(decoded())
    refused(
        Codes.MALFORMED, dataclasses.replace(manifest, item_count=manifest.item_count + 1), chunks
    )
    refused(
        Codes.MALFORMED, dataclasses.replace(manifest, item_count=manifest.item_count - 1), chunks
    )
    big = [decoded()[0] + decoded()[1]]  # one chunk over the manifest's chunk_bytes
    refused(Codes.MALFORMED, *reissue(big + decoded()[2:]))


def test_in_process_manifest_gets_the_decoder_checks() -> None:
    refused(Codes.MALFORMED, dataclasses.replace(MANIFEST, height=0), CHUNKS)
    refused(Codes.MALFORMED, dataclasses.replace(MANIFEST, chunk_bytes=1), CHUNKS)
    refused(Codes.MALFORMED, dataclasses.replace(MANIFEST, block=b"\x00" * 1_000_000), CHUNKS)


def test_a_store_holding_a_chain_is_refused_and_untouched() -> None:
    kv = MemoryStore()
    store = ChainStore(kv)
    store.init_genesis(genesis())
    before = all_items(kv)
    with pytest.raises(SnapshotError) as exc:
        install_snapshot(kv, genesis(), MANIFEST, CHUNKS, expected_root=ROOT)
    assert exc.value.code == Codes.STORE_NOT_EMPTY and not isinstance(exc.value, SnapshotInvalid)
    assert all_items(kv) == before
    commit(store, {b"k": b"v"})
    before = all_items(kv)
    with pytest.raises(SnapshotError) as exc:
        install_snapshot(kv, genesis(), MANIFEST, CHUNKS, expected_root=ROOT, replace_genesis=True)
    assert exc.value.code == Codes.STORE_NOT_EMPTY
    assert all_items(kv) == before


def test_stray_state_without_meta_is_refused() -> None:
    kv = MemoryStore()
    batch = kv.batch()
    batch.put(b"s" + b"stray", b"1")
    kv.write(batch)
    with pytest.raises(SnapshotError) as exc:
        install_snapshot(kv, genesis(), MANIFEST, CHUNKS, expected_root=ROOT)
    assert exc.value.code == Codes.STORE_NOT_EMPTY


def test_replace_genesis_wipes_a_genesis_only_store_of_the_same_chain() -> None:
    kv = MemoryStore()
    ChainStore(kv).init_genesis(genesis())
    batch = kv.batch()
    batch.put(b"c" + b"\x00" * 8, b"consensus log record")  # not ours: survives
    kv.write(batch)
    install_snapshot(kv, genesis(), MANIFEST, CHUNKS, expected_root=ROOT, replace_genesis=True)
    assert ChainStore(kv).height == MANIFEST.height and ChainStore(kv).state_root == ROOT
    assert state_items(kv) == state_items(SOURCE.kv)
    assert kv.get(b"c" + b"\x00" * 8) == b"consensus log record"
    other = MemoryStore()
    ChainStore(other).init_genesis(dataclasses.replace(genesis(), genesis_time_ms=2))
    with pytest.raises(SnapshotError) as exc:
        install_snapshot(
            other, genesis(), MANIFEST, CHUNKS, expected_root=ROOT, replace_genesis=True
        )
    assert exc.value.code == Codes.STORE_NOT_EMPTY


def test_bad_arguments_are_caller_errors() -> None:
    with pytest.raises(ValueError):
        install_snapshot(MemoryStore(), genesis(), MANIFEST, CHUNKS, expected_root=b"short")
    with pytest.raises(ValueError):
        install_snapshot(
            MemoryStore(), genesis(), MANIFEST, CHUNKS, expected_root=ROOT, batch_items=0
        )


def test_the_untampered_snapshot_installs() -> None:
    # the fixtures above are sound: only the tampering makes them fail
    kv = MemoryStore()
    install_snapshot(kv, genesis(), *reissue(decoded()), expected_root=ROOT)
    assert ChainStore(kv).state_root == ROOT
