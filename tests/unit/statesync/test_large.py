"""A state of 100,000 keys goes through the streaming source and the installer (LevelDB)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from scctn_node.chain.store import ChainStore
from scctn_node.statesync import DEFAULT_CHUNK_BYTES, SnapshotSource, install_snapshot
from scctn_node.storage.kv import LevelDBStore
from scctn_node.storage.schema import Prefix
from tests.unit.statesync.helpers import commit, genesis

KEYS = 100_000


def test_hundred_thousand_keys_stream_and_install(tmp_path: Path) -> None:
    with LevelDBStore(tmp_path / "src") as src_kv:
        source = ChainStore(src_kv)
        source.init_genesis(genesis())
        for part in range(2):
            commit(
                source,
                {
                    f"acct/{i:08d}".encode(): i.to_bytes(8, "big") * (1 + i % 7)
                    for i in range(part * KEYS // 2, (part + 1) * KEYS // 2)
                },
            )
        total = sum(1 for _ in src_kv.iterate(Prefix.STATE))
        assert total >= KEYS
        with SnapshotSource(source) as served:
            manifest = served.manifest
            assert manifest.item_count == total
            assert manifest.chunk_bytes == DEFAULT_CHUNK_BYTES
            sizes: list[int] = []

            def download() -> Iterator[bytes]:
                for i in range(manifest.chunk_count):
                    data = served.read_chunk(i)
                    sizes.append(len(data))
                    yield data

            with LevelDBStore(tmp_path / "dst") as dst_kv:
                install_snapshot(
                    dst_kv, genesis(), manifest, download(), expected_root=source.state_root
                )
                assert len(sizes) == manifest.chunk_count > 5
                assert max(sizes) <= DEFAULT_CHUNK_BYTES
                target = ChainStore(dst_kv)
                assert target.height == 2 and target.state_root == source.state_root
                assert sum(1 for _ in dst_kv.iterate(Prefix.STATE)) == total
                for (ka, va), (kb, vb) in zip(
                    src_kv.iterate(Prefix.STATE), dst_kv.iterate(Prefix.STATE), strict=True
                ):
                    assert ka == kb and va == vb
