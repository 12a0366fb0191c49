"""Verifying a snapshot from a peer and installing it into an empty store.

Trust chain: the caller verified a checkpoint certificate (2f+1 signatures) for
`(height, state_root)` and passes that root as `expected_root`. The manifest must name
that root; each chunk must hash to the digest the manifest lists at its position; the
items are written into the state table and the state tree, and the tree's root must
come out equal to the manifest's (so equal to the certified one). Nothing a peer sends
is trusted before it is checked against something certified.

Crash safety. The store counts as "initialised at height h" only through its meta
records (`genesis_hash`, `height`, ...), and those are written LAST, in one synced
batch that also removes the in-progress marker. Before that:

1. the marker (meta `statesync/in_progress`) is written and synced first;
2. state items and tree pages go in batches of about `batch_items` items (not synced;
   LevelDB makes them durable with the final synced write, which follows them in its log).

A crash anywhere leaves either the finished install or a store without `genesis_hash`
whose marker says "half-installed": the next `install_snapshot` (or
`discard_interrupted_install`, which the node runs before opening its chain) wipes the
tables the install writes, marker last, and starts again. A snapshot refused as
invalid half-way is wiped at once the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

from genesis.document import GenesisDoc
from primitives import codec
from primitives.errors import DecodeError
from primitives.hashing import DIGEST_SIZE
from scctn_node.chain.block import Block, decode_block
from scctn_node.statesync.errors import Codes, SnapshotError, SnapshotInvalid
from scctn_node.statesync.format import (
    MAX_MANIFEST_BYTES,
    SnapshotManifest,
    chunk_digest,
    decode_chunk,
)
from scctn_node.storage import schema
from scctn_node.storage.kv import KVStore, WriteBatch
from scctn_node.storage.schema import Prefix
from scctn_node.storage.smt import StateTree

__all__ = [
    "DEFAULT_BATCH_ITEMS",
    "IN_PROGRESS",
    "check_manifest",
    "discard_interrupted_install",
    "install_snapshot",
    "interrupted_install",
]

IN_PROGRESS = "statesync/in_progress"  # meta name of the marker; value: the manifest's hash
DEFAULT_BATCH_ITEMS = 20_000  # state items per write batch and tree apply
_WIPE_BATCH = 10_000
# The tables an install writes (and so wipes): ChainStore's view of "a chain is here".
_TABLES = (
    Prefix.STATE,
    Prefix.STATE_TREE,
    Prefix.BLOCK,
    Prefix.HEADER_HASH,
    Prefix.TX_INDEX,
    Prefix.RECEIPT,
)
# Meta records ChainStore writes (fixed names, and per-height families); other meta
# records are not ours and survive a wipe.
_META = ("genesis_hash", "chain_id", "height", "last_block_hash", "last_commit")
_META_FAMILIES = ("root/", "digest/", "payload/")


def interrupted_install(kv: KVStore) -> bool:
    """True if the store holds a half-done install (a crash or an abandoned attempt)."""
    return kv.get(schema.meta_key(IN_PROGRESS)) is not None


def discard_interrupted_install(kv: KVStore) -> bool:
    """Wipe a half-done install so the store is empty again; True if there was one.

    Run it at start-up before anything opens the chain: `ChainStore.init_genesis` would
    otherwise write genesis over the remains of the install.
    """
    if not interrupted_install(kv):
        return False
    _wipe(kv)
    return True


def install_snapshot(
    kv: KVStore,
    genesis: GenesisDoc,
    manifest: SnapshotManifest,
    chunks: Iterable[bytes],
    *,
    expected_root: bytes,
    expected_block_hash: bytes | None = None,
    replace_genesis: bool = False,
    batch_items: int = DEFAULT_BATCH_ITEMS,
) -> None:
    """Verify the snapshot and install it; afterwards `ChainStore(kv)` is at its height.

    `expected_root` is the state root the verified checkpoint certificate certifies for
    `manifest.height`; `expected_block_hash`, if the caller knows it (a commit certificate
    of that block, or block height+1's `prev_hash`), pins the block too. `chunks` are
    consumed lazily in order (a generator fetching them from peers is fine).

    The store must be empty, hold only our own half-done install (wiped first), or, with
    `replace_genesis`, hold nothing but this genesis at height 0 (wiped first).
    Raises `SnapshotInvalid` (peer's fault; the store is left empty) or `SnapshotError`
    (`snapshot_store_not_empty`). `last_commit` is left absent for the caller to write.
    """
    if type(expected_root) is not bytes or len(expected_root) != DIGEST_SIZE:
        raise ValueError("expected_root must be a 32-byte digest")
    if batch_items < 1:
        raise ValueError("batch_items must be >= 1")
    block = check_manifest(manifest, genesis, expected_root, expected_block_hash)
    _prepare(kv, genesis, replace_genesis)
    marker = kv.batch()
    marker.put(schema.meta_key(IN_PROGRESS), manifest.hash())
    kv.write(marker, sync=True)
    try:
        tree = StateTree(kv)
        _install_state(kv, tree, manifest, chunks, batch_items)
    except SnapshotInvalid:
        _wipe(kv)
        raise
    _finish(kv, genesis, manifest, block)


def check_manifest(
    manifest: SnapshotManifest,
    genesis: GenesisDoc,
    expected_root: bytes,
    expected_block_hash: bytes | None = None,
) -> Block:
    """Everything about a manifest that can be checked before any chunk; returns its block."""
    try:  # a manifest built in-process gets the decoder's checks too
        SnapshotManifest.from_wire(codec.decode(manifest.encode(), max_size=MAX_MANIFEST_BYTES))
    except DecodeError as exc:
        raise SnapshotInvalid(f"malformed manifest: {exc}") from exc
    if manifest.chain_id != genesis.chain_id:
        raise SnapshotInvalid(
            f"the snapshot is of chain {manifest.chain_id!r}, not {genesis.chain_id!r}",
            Codes.WRONG_CHAIN,
        )
    if manifest.state_root != expected_root:
        raise SnapshotInvalid(
            f"the manifest's state root {manifest.state_root.hex()} is not the certified "
            f"{expected_root.hex()}",
            Codes.ROOT_MISMATCH,
        )
    try:
        block = decode_block(manifest.block)
    except DecodeError as exc:
        raise SnapshotInvalid(f"malformed block in the manifest: {exc}") from exc
    if block.header.chain_id != manifest.chain_id:
        raise SnapshotInvalid(
            f"the manifest's block is of chain {block.header.chain_id!r}", Codes.WRONG_CHAIN
        )
    if block.height != manifest.height:
        raise SnapshotInvalid(
            f"the manifest's block is at height {block.height}, not {manifest.height}",
            Codes.BLOCK_MISMATCH,
        )
    if expected_block_hash is not None and block.hash != expected_block_hash:
        raise SnapshotInvalid(
            f"the manifest's block {block.hash.hex()} is not the certified "
            f"{expected_block_hash.hex()}",
            Codes.BLOCK_MISMATCH,
        )
    return block


# ---------------------------------------------------------------- steps


def _prepare(kv: KVStore, genesis: GenesisDoc, replace_genesis: bool) -> None:
    """Make sure the store is empty, wiping our own half-done install or a bare genesis."""
    if interrupted_install(kv):
        _wipe(kv)
        return
    genesis_hash = kv.get(schema.meta_key("genesis_hash"))
    raw_height = kv.get(schema.meta_key("height"))
    height = 0 if raw_height is None else int.from_bytes(raw_height, "big")
    if genesis_hash is not None and replace_genesis and height == 0:
        if genesis_hash != genesis.hash():
            raise SnapshotError("the store holds another chain's genesis", Codes.STORE_NOT_EMPTY)
        marker = kv.batch()  # from here a crash leaves a store the next run wipes
        marker.put(schema.meta_key(IN_PROGRESS), b"genesis")
        kv.write(marker, sync=True)
        _wipe(kv)
        return
    if genesis_hash is not None or height > 0:
        raise SnapshotError(
            f"the store already holds a chain (height {height}); state sync needs an empty one",
            Codes.STORE_NOT_EMPTY,
        )
    for prefix in _TABLES:
        if next(iter(kv.iterate(prefix)), None) is not None:
            raise SnapshotError(
                f"the store is not empty (table {prefix!r}); state sync needs an empty one",
                Codes.STORE_NOT_EMPTY,
            )


def _install_state(
    kv: KVStore,
    tree: StateTree,
    manifest: SnapshotManifest,
    chunks: Iterable[bytes],
    batch_items: int,
) -> None:
    """Check and write every chunk, then compare the rebuilt root with the manifest's."""
    pending: dict[bytes, bytes] = {}
    batch = kv.batch()
    last_key: bytes | None = None
    received = 0
    items = 0
    for index, data in enumerate(chunks):
        if index >= manifest.chunk_count:
            raise SnapshotInvalid(f"more chunks than the {manifest.chunk_count} listed")
        if type(data) is not bytes or chunk_digest(data) != manifest.chunk_digests[index]:
            raise SnapshotInvalid(
                f"chunk {index} does not match the manifest's digest", Codes.CHUNK_MISMATCH
            )
        pairs = decode_chunk(data, max_bytes=manifest.chunk_bytes)
        if last_key is not None and not last_key < pairs[0][0]:
            raise SnapshotInvalid(f"chunk {index} does not start after the previous chunk")
        last_key = pairs[-1][0]
        for key, value in pairs:
            batch.put(schema.state_key(key), value)
            pending[key] = value
        received += 1
        items += len(pairs)
        if items > manifest.item_count:
            raise SnapshotInvalid(f"more items than the {manifest.item_count} listed")
        if len(pending) >= batch_items:
            _flush(kv, tree, pending, batch)
            pending, batch = {}, kv.batch()
    if received < manifest.chunk_count:
        raise SnapshotInvalid(
            f"{received} of {manifest.chunk_count} chunks arrived", Codes.CHUNK_MISSING
        )
    if items != manifest.item_count:
        raise SnapshotInvalid(f"{items} items, the manifest lists {manifest.item_count}")
    _flush(kv, tree, pending, batch)
    if tree.root() != manifest.state_root:
        raise SnapshotInvalid(
            f"the snapshot's items rebuild root {tree.root().hex()}, "
            f"not {manifest.state_root.hex()}",
            Codes.ROOT_MISMATCH,
        )


def _flush(kv: KVStore, tree: StateTree, pending: dict[bytes, bytes], batch: WriteBatch) -> None:
    if not pending:
        return
    tree.apply(pending, batch)
    try:
        kv.write(batch, sync=False)  # made durable by the final synced write (module doc)
    except BaseException:
        tree.discard()
        raise
    tree.committed()


def _finish(kv: KVStore, genesis: GenesisDoc, manifest: SnapshotManifest, block: Block) -> None:
    """The meta records that make the store 'at height h', and the marker's removal: one
    synced batch, the install's only commit point."""
    h = manifest.height
    batch = kv.batch()
    batch.put(schema.block_key(h), manifest.block)
    batch.put(schema.header_hash_key(block.hash), schema.height_key(h))
    batch.put(schema.meta_key("genesis_hash"), genesis.hash())
    batch.put(schema.meta_key("chain_id"), genesis.chain_id.encode())
    batch.put(schema.meta_key("height"), schema.height_key(h))
    batch.put(schema.meta_key("last_block_hash"), block.hash)
    batch.put(schema.meta_key(f"root/{h}"), manifest.state_root)
    batch.delete(schema.meta_key("last_commit"))
    batch.delete(schema.meta_key(IN_PROGRESS))
    kv.write(batch, sync=True)


def _wipe(kv: KVStore) -> None:
    """Delete everything an install (or a genesis) writes; the marker goes last."""
    for prefix in (*_TABLES, *(schema.meta_key(f) for f in _META_FAMILIES)):
        _delete_prefix(kv, prefix)
    batch = kv.batch()
    for name in _META:
        batch.delete(schema.meta_key(name))
    kv.write(batch, sync=False)
    batch = kv.batch()
    batch.delete(schema.meta_key(IN_PROGRESS))
    kv.write(batch, sync=True)


def _delete_prefix(kv: KVStore, prefix: bytes) -> None:
    # Resume each pass after the last deleted key: starting again at the prefix would
    # make LevelDB step over every tombstone of the passes before.
    start: bytes | None = None
    while True:
        keys = []
        for key, _ in kv.iterate(prefix, start=start):
            keys.append(key)
            if len(keys) == _WIPE_BATCH:
                break
        if not keys:
            return
        batch = kv.batch()
        for key in keys:
            batch.delete(key)
        kv.write(batch, sync=False)
        start = keys[-1] + b"\x00"  # the least key after it
