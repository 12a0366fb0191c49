"""State sync benchmark: snapshot a large state in LevelDB and install it into another.

`python -m scctn_node.statesync.bench [--keys N] [--chunk-bytes B] [--batch-items I]`

Builds a chain state of N keys (values of 24-96 bytes) at height 1 in a fresh LevelDB in
a temporary directory (state table, state tree and the meta records ChainStore writes),
in a child process (so its memory does not count below), opens a `SnapshotSource` on it,
then installs the snapshot into a second fresh LevelDB, fetching the chunks one by one
with `read_chunk` as a peer would. Reports wall-clock seconds per phase and the peak
RSS of this process after each (both databases live in it, so the RSS includes two
LevelDB caches and the pages of their mmapped tables).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from genesis.document import GenesisDoc, GenesisValidator
from scctn_node.chain.block import Block, Header, merkle_root
from scctn_node.chain.store import ChainStore
from scctn_node.statesync.format import DEFAULT_CHUNK_BYTES
from scctn_node.statesync.installer import DEFAULT_BATCH_ITEMS, install_snapshot
from scctn_node.statesync.producer import SnapshotSource
from scctn_node.storage import schema
from scctn_node.storage.kv import LevelDBStore
from scctn_node.storage.smt import StateTree

BUILD_BATCH = 50_000
GENESIS = GenesisDoc("scctn-bench", 1, (GenesisValidator("v0", b"\x01" * 32),))


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _build_source(path: Path, keys: int) -> None:
    """A store at height 1 holding `keys` state items, written as ChainStore writes them."""
    with LevelDBStore(path) as kv:
        tree = StateTree(kv)
        for lo in range(0, keys, BUILD_BATCH):
            batch = kv.batch()
            changes = {
                b"acct/%010d" % i: i.to_bytes(8, "big") * (3 + i % 10)
                for i in range(lo, min(keys, lo + BUILD_BATCH))
            }
            for key, value in changes.items():
                batch.put(schema.state_key(key), value)
            tree.apply(changes, batch)
            kv.write(batch, sync=False)
            tree.committed()
        zero = b"\x00" * 32
        header = Header(GENESIS.chain_id, 1, GENESIS.hash(), 2, zero, merkle_root([]), zero, zero)
        block = Block(header, (), None)
        batch = kv.batch()
        batch.put(schema.block_key(1), block.encode())
        batch.put(schema.meta_key("genesis_hash"), GENESIS.hash())
        batch.put(schema.meta_key("chain_id"), GENESIS.chain_id.encode())
        batch.put(schema.meta_key("height"), schema.height_key(1))
        batch.put(schema.meta_key("last_block_hash"), block.hash)
        batch.put(schema.meta_key("root/1"), tree.root())
        kv.write(batch, sync=True)


def run(
    keys: int = 1_000_000,
    *,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    batch_items: int = DEFAULT_BATCH_ITEMS,
    directory: str | Path | None = None,
) -> dict[str, float]:
    figures: dict[str, float] = {"keys": keys}
    with tempfile.TemporaryDirectory(dir=directory, prefix="scctn-statesync-") as tmp:
        t0 = time.perf_counter()
        builder = multiprocessing.get_context("spawn").Process(
            target=_build_source, args=(Path(tmp) / "src", keys)
        )
        builder.start()
        builder.join()
        if builder.exitcode != 0:
            raise RuntimeError(f"building the source state failed ({builder.exitcode})")
        figures["build_s"] = time.perf_counter() - t0
        with LevelDBStore(Path(tmp) / "src") as src, LevelDBStore(Path(tmp) / "dst") as dst:
            source = ChainStore(src)
            t0 = time.perf_counter()
            with SnapshotSource(source, chunk_bytes=chunk_bytes) as served:
                figures["source_open_s"] = time.perf_counter() - t0
                figures["source_rss_mb"] = _peak_rss_mb()
                manifest = served.manifest
                figures["chunks"] = manifest.chunk_count
                figures["manifest_bytes"] = len(manifest.encode())

                def download() -> Iterator[bytes]:
                    for i in range(manifest.chunk_count):
                        yield served.read_chunk(i)

                t0 = time.perf_counter()
                install_snapshot(
                    dst,
                    GENESIS,
                    manifest,
                    download(),
                    expected_root=source.state_root,
                    batch_items=batch_items,
                )
                figures["install_s"] = time.perf_counter() - t0
                figures["install_rss_mb"] = _peak_rss_mb()
            if ChainStore(dst).state_root != source.state_root:  # pragma: no cover
                raise AssertionError("the installed state has another root")
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m scctn_node.statesync.bench")
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--chunk-bytes", type=int, default=DEFAULT_CHUNK_BYTES)
    parser.add_argument("--batch-items", type=int, default=DEFAULT_BATCH_ITEMS)
    parser.add_argument("--dir", default=None, help="where to put the temporary databases")
    args = parser.parse_args(argv)
    f = run(
        args.keys, chunk_bytes=args.chunk_bytes, batch_items=args.batch_items, directory=args.dir
    )
    print(
        f"state sync: {int(f['keys']):,} keys, {int(f['chunks'])} chunks of <= "
        f"{args.chunk_bytes:,} bytes, manifest {int(f['manifest_bytes']):,} bytes"
    )
    print(f"  build source   {f['build_s']:8.1f} s   (child process)")
    print(f"  open source    {f['source_open_s']:8.1f} s   peak RSS {f['source_rss_mb']:6.0f} MB")
    print(f"  install        {f['install_s']:8.1f} s   peak RSS {f['install_rss_mb']:6.0f} MB")


if __name__ == "__main__":
    main()
