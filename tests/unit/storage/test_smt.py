"""The state tree: roots against a from-scratch reference, proofs, persistence and the
crash contract."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from primitives.hashing import ZERO_DIGEST
from scctn_node.storage.kv import KVStore, LevelDBStore, MemoryStore, StorageCorrupt
from scctn_node.storage.proof import InvalidProof, verify_proof
from scctn_node.storage.schema import Prefix
from scctn_node.storage.smt import EMPTY_ROOT, StateTree

from .reference import ref_key_path, ref_page_count, ref_root, ref_tree, ref_value_hash, tagged

NODES = Prefix.STATE_TREE + b"N"
REPO = Path(__file__).resolve().parents[3]


def commit(store: KVStore, tree: StateTree, updates: Mapping[bytes, bytes | None]) -> bytes:
    batch = store.batch()
    root = tree.apply(updates, batch)
    store.write(batch)
    tree.committed()
    return root


def node_records(store: KVStore) -> int:
    return sum(1 for _ in store.iterate(NODES))


def state_of(n: int, tag: bytes = b"v") -> dict[bytes, bytes]:
    return {b"key-%d" % i: tag + b"%d" % i for i in range(n)}


# ---------------------------------------------------------------- roots


def test_empty_tree_has_the_zero_root() -> None:
    tree = StateTree(MemoryStore())
    assert tree.root() == EMPTY_ROOT == ZERO_DIGEST


def test_single_leaf_root_is_the_leaf_hash() -> None:
    store = MemoryStore()
    tree = StateTree(store)
    root = commit(store, tree, {b"alice": b"100"})
    expected = tagged(b"scctn/smt-leaf/v1", ref_key_path(b"alice") + ref_value_hash(b"100"))
    assert root == expected
    assert node_records(store) == 0  # a lone leaf is the root slot itself


def test_two_leaves_hash_in_key_path_order() -> None:
    store = MemoryStore()
    tree = StateTree(store)
    a, b = b"alice", b"bob"
    root = commit(store, tree, {a: b"1", b: b"2"})
    pa, pb = ref_key_path(a), ref_key_path(b)
    la = tagged(b"scctn/smt-leaf/v1", pa + ref_value_hash(b"1"))
    lb = tagged(b"scctn/smt-leaf/v1", pb + ref_value_hash(b"2"))
    # Build the expected root by hand: the leaves split at their first differing bit.
    depth = next(d for d in range(256) if (pa[d // 8] ^ pb[d // 8]) >> (7 - d % 8) & 1)
    first_bit_a = (pa[depth // 8] >> (7 - depth % 8)) & 1
    h = tagged(b"scctn/smt-node/v1", lb + la if first_bit_a else la + lb)
    for d in range(depth - 1, -1, -1):
        bit = (pa[d // 8] >> (7 - d % 8)) & 1
        h = tagged(b"scctn/smt-node/v1", ZERO_DIGEST + h if bit else h + ZERO_DIGEST)
    assert root == h == ref_root({a: b"1", b: b"2"})


def test_matches_reference_and_stores_exactly_the_nodes() -> None:
    store = MemoryStore()
    tree = StateTree(store)
    state = state_of(300)
    assert commit(store, tree, dict(state)) == ref_root(state)
    assert node_records(store) == ref_page_count(state)
    for i in range(0, 300, 3):
        state[b"key-%d" % i] = b"changed"
    changes: dict[bytes, bytes | None] = {k: v for k, v in state.items() if v == b"changed"}
    for i in range(1, 300, 7):
        changes[b"key-%d" % i] = None
        state.pop(b"key-%d" % i, None)
    assert commit(store, tree, changes) == ref_root(state)
    assert node_records(store) == ref_page_count(state)


def test_deleting_everything_gives_the_empty_root_and_no_records() -> None:
    store = MemoryStore()
    tree = StateTree(store)
    state = state_of(100)
    commit(store, tree, dict(state))
    assert commit(store, tree, dict.fromkeys(list(state)[:50])) == ref_root(
        dict(list(state.items())[50:])
    )
    assert commit(store, tree, dict.fromkeys(state)) == EMPTY_ROOT
    assert node_records(store) == 0
    assert tree.prove(b"key-1").leaf is None


def test_deleting_absent_keys_and_rewriting_values_change_nothing() -> None:
    store = MemoryStore()
    tree = StateTree(store)
    state = state_of(50)
    root = commit(store, tree, dict(state))
    assert commit(store, tree, {b"absent-%d" % i: None for i in range(20)}) == root
    assert commit(store, tree, dict(list(state.items())[:10])) == root
    assert node_records(store) == ref_page_count(state)


def test_empty_update_returns_the_root_and_writes_nothing() -> None:
    store = MemoryStore()
    tree = StateTree(store)
    root = commit(store, tree, state_of(5))
    batch = store.batch()
    assert tree.apply({}, batch) == root
    assert len(batch) == 0


def test_batch_contents_do_not_depend_on_mapping_order() -> None:
    base = state_of(40)
    updates: dict[bytes, bytes | None] = {b"key-%d" % i: b"new" for i in range(0, 40, 2)}
    updates.update({b"key-%d" % i: None for i in range(1, 40, 4)})
    updates.update({b"fresh-%d" % i: b"x" for i in range(10)})
    batches = []
    for order in (list(updates.items()), list(reversed(updates.items()))):
        store = MemoryStore()
        tree = StateTree(store)
        commit(store, tree, dict(base))
        batch = store.batch()
        tree.apply(dict(order), batch)
        batches.append(list(batch.items()))
    assert batches[0] == batches[1]


@pytest.mark.parametrize("cache_nodes", [0, 40, 100_000])
def test_deep_tree_with_small_and_large_caches(cache_nodes: int) -> None:
    # Enough keys that pages sit below the decoded top levels (nibble depth >= 4), so
    # the raw-page LRU, its eviction and the store reads are all exercised.
    store = MemoryStore()
    tree = StateTree(store, cache_nodes=cache_nodes)
    state = state_of(3000)
    commit(store, tree, dict(state))
    for r in range(3):
        changes: dict[bytes, bytes | None] = {}
        for i in range(r, 3000, 11):
            changes[b"key-%d" % i] = None if i % 2 else b"round-%d" % r
        for i in range(40):
            changes[b"new-%d-%d" % (r, i)] = b"n"
        for key, value in changes.items():
            if value is None:
                state.pop(key, None)
            else:
                state[key] = value
        assert commit(store, tree, changes) == ref_root(state)
    assert node_records(store) == ref_page_count(state)
    depths = [len(tree.prove(k).siblings) for k in list(state)[::50]]
    assert max(depths) > 16  # proofs cross pages below the decoded levels
    reopened = StateTree(store, cache_nodes=cache_nodes)
    for key in list(state)[::37] + [b"absent-%d" % i for i in range(30)]:
        verify_proof(tree.root(), key, state.get(key), reopened.prove(key))


# ---------------------------------------------------------------- property: vs reference

KEYS = st.binary(min_size=0, max_size=3)
UPDATES = st.dictionaries(KEYS, st.none() | st.binary(max_size=4), max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(UPDATES, max_size=8), st.sampled_from([0, 3, 10_000]))
def test_root_depends_only_on_the_final_state(
    history: list[dict[bytes, bytes | None]], cache_nodes: int
) -> None:
    store = MemoryStore()
    tree = StateTree(store, cache_nodes=cache_nodes)
    model: dict[bytes, bytes] = {}
    for updates in history:
        for k, v in updates.items():
            if v is None:
                model.pop(k, None)
            else:
                model[k] = v
        assert commit(store, tree, updates) == ref_root(model)
    expected_root, expected_nodes = ref_tree(model)[0], ref_page_count(model)
    assert node_records(store) == expected_nodes
    # One apply from empty, and a fresh tree reading the store, agree.
    fresh_store = MemoryStore()
    fresh = StateTree(fresh_store)
    assert commit(fresh_store, fresh, dict(model)) == expected_root
    assert StateTree(store).root() == expected_root
    # Every key proves what the model says.
    for k in {*model, *(k for u in history for k in u)}:
        verify_proof(tree.root(), k, model.get(k), tree.prove(k))


# ---------------------------------------------------------------- proofs


@pytest.fixture(scope="module")
def proved() -> StateTree:
    store = MemoryStore()
    tree = StateTree(store)
    commit(store, tree, state_of(64))
    return tree


def find_absent(tree: StateTree, *, at_empty: bool) -> bytes:
    for i in range(10_000):
        key = b"absent-%d" % i
        if (tree.prove(key).leaf is None) == at_empty:
            return key
    raise AssertionError("no such key")  # pragma: no cover


def test_inclusion_proof(proved: StateTree) -> None:
    for i in range(64):
        proof = proved.prove(b"key-%d" % i)
        verify_proof(proved.root(), b"key-%d" % i, b"v%d" % i, proof)
        assert proof.leaf is not None and proof.leaf.key_path == ref_key_path(b"key-%d" % i)


def test_absence_proof_at_an_empty_subtree(proved: StateTree) -> None:
    key = find_absent(proved, at_empty=True)
    proof = proved.prove(key)
    assert proof.leaf is None
    verify_proof(proved.root(), key, None, proof)
    with pytest.raises(InvalidProof):
        verify_proof(proved.root(), key, b"anything", proof)


def test_absence_proof_where_another_leaf_sits(proved: StateTree) -> None:
    key = find_absent(proved, at_empty=False)
    proof = proved.prove(key)
    assert proof.leaf is not None and proof.leaf.key_path != ref_key_path(key)
    verify_proof(proved.root(), key, None, proof)
    with pytest.raises(InvalidProof):
        verify_proof(proved.root(), key, b"v1", proof)


def test_proofs_in_tiny_trees() -> None:
    store = MemoryStore()
    tree = StateTree(store)
    verify_proof(tree.root(), b"a", None, tree.prove(b"a"))  # empty tree
    commit(store, tree, {b"a": b"1"})
    assert tree.prove(b"a").siblings == ()
    verify_proof(tree.root(), b"a", b"1", tree.prove(b"a"))
    verify_proof(tree.root(), b"b", None, tree.prove(b"b"))  # the root is another leaf
    with pytest.raises(InvalidProof):
        verify_proof(tree.root(), b"a", None, tree.prove(b"a"))


def test_lookup(proved: StateTree) -> None:
    assert proved.lookup(b"key-3") == ref_value_hash(b"v3")
    assert proved.lookup(b"nope") is None


def tampered_cases(proved: StateTree) -> list[tuple[str, bytes, bytes | None, object]]:
    from dataclasses import replace

    from scctn_node.storage.proof import Proof, ProofLeaf

    key, value = b"key-7", b"v7"
    good = proved.prove(key)
    assert good.leaf is not None
    sib = list(good.siblings)
    flipped = [bytes([sib[0][0] ^ 1]) + sib[0][1:], *sib[1:]]
    other = proved.prove(b"key-8")
    absent = find_absent(proved, at_empty=False)
    absent_proof = proved.prove(absent)
    assert absent_proof.leaf is not None
    return [
        ("flipped sibling", key, value, replace(good, siblings=tuple(flipped))),
        ("dropped sibling", key, value, replace(good, siblings=tuple(sib[1:]))),
        ("extra zero sibling", key, value, replace(good, siblings=(*sib, ZERO_DIGEST))),
        ("swapped siblings", key, value, replace(good, siblings=tuple(reversed(sib)))),
        ("wrong value", key, b"v8", good),
        ("claimed absent", key, None, good),
        (
            "forged value hash",
            key,
            b"v8",
            replace(good, leaf=ProofLeaf(good.leaf.key_path, ref_value_hash(b"v8"))),
        ),
        ("another key's proof", key, value, other),
        ("leaf removed", key, None, Proof(None, good.siblings)),
        ("other leaf off the path", b"key-9", None, replace(other, leaf=good.leaf)),
        ("absent key claimed present", absent, b"x", absent_proof),
        ("oversized sibling", key, value, replace(good, siblings=(sib[0] + b"\x00", *sib[1:]))),
    ]


def test_tampered_proofs_are_rejected(proved: StateTree) -> None:
    from scctn_node.storage.proof import Proof

    for name, key, value, proof in tampered_cases(proved):
        assert isinstance(proof, Proof)
        with pytest.raises(InvalidProof) as info:
            verify_proof(proved.root(), key, value, proof)
        assert info.value.code == "invalid_proof", name


def test_wrong_root_is_rejected(proved: StateTree) -> None:
    proof = proved.prove(b"key-1")
    verify_proof(proved.root(), b"key-1", b"v1", proof)
    for root in (ZERO_DIGEST, bytes(31) + b"\x01", proved.root()[:31]):
        with pytest.raises(InvalidProof):
            verify_proof(root, b"key-1", b"v1", proof)


def test_too_many_siblings_is_rejected() -> None:
    from scctn_node.storage.proof import Proof

    with pytest.raises(InvalidProof):
        verify_proof(ZERO_DIGEST, b"k", None, Proof(None, (ZERO_DIGEST,) * 257))


# ---------------------------------------------------------------- pending, discard, crash


def test_apply_is_visible_before_commit_and_discard_reverts() -> None:
    store = MemoryStore()
    tree = StateTree(store)
    old = commit(store, tree, state_of(30))
    batch = store.batch()
    new = tree.apply({b"key-1": None, b"new": b"x"}, batch)
    assert tree.root() == new != old
    assert tree.committed_root() == old
    assert tree.has_pending()
    verify_proof(new, b"new", b"x", tree.prove(b"new"))
    tree.discard()
    assert tree.root() == old
    assert not tree.has_pending()
    verify_proof(old, b"key-1", b"v1", tree.prove(b"key-1"))
    verify_proof(old, b"new", None, tree.prove(b"new"))
    # The tree keeps working from the old state.
    state = state_of(30)
    state[b"other"] = b"y"
    assert commit(store, tree, {b"other": b"y"}) == ref_root(state)


def test_two_pending_applies_written_in_order() -> None:
    store = MemoryStore()
    tree = StateTree(store)
    commit(store, tree, state_of(20))
    b1, b2 = store.batch(), store.batch()
    tree.apply({b"key-1": b"a"}, b1)
    r2 = tree.apply({b"key-1": None, b"key-2": b"b"}, b2)
    store.write(b1)
    store.write(b2)
    tree.committed()
    state = state_of(20)
    del state[b"key-1"]
    state[b"key-2"] = b"b"
    assert r2 == ref_root(state) == StateTree(store).root()


def test_crash_before_the_batch_is_written_keeps_the_old_root(tmp_path: Path) -> None:
    path = tmp_path / "db"
    state = state_of(200)
    with LevelDBStore(path) as store:
        tree = StateTree(store, cache_nodes=50)
        old = commit(store, tree, dict(state))
        tree.apply({b"key-%d" % i: b"lost" for i in range(0, 200, 2)}, store.batch())
        tree.apply({b"key-%d" % i: None for i in range(100)}, store.batch())
        # "crash": neither batch is written
    with LevelDBStore(path) as store:
        tree = StateTree(store)
        assert tree.root() == old
        assert node_records(store) == ref_page_count(state)
        verify_proof(old, b"key-4", b"v4", tree.prove(b"key-4"))
        state[b"after"] = b"crash"
        assert commit(store, tree, {b"after": b"crash"}) == ref_root(state)


def test_persists_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "db"
    state = state_of(500)
    with LevelDBStore(path) as store:
        tree = StateTree(store, cache_nodes=100)
        commit(store, tree, dict(state))
        commit(store, tree, {b"key-1": None, b"key-2": b"two"})
        root = tree.root()
    del state[b"key-1"]
    state[b"key-2"] = b"two"
    with LevelDBStore(path, create=False) as store:
        tree = StateTree(store)
        assert tree.root() == root == ref_root(state)
        verify_proof(root, b"key-2", b"two", tree.prove(b"key-2"))
        verify_proof(root, b"key-1", None, tree.prove(b"key-1"))
        assert node_records(store) == ref_page_count(state)


def test_tree_under_its_own_prefix_leaves_other_tables_alone() -> None:
    store = MemoryStore()
    other = store.batch()
    other.put(Prefix.STATE + b"k", b"plain value")
    store.write(other)
    tree = StateTree(store, prefix=b"x")
    commit(store, tree, state_of(10))
    assert all(k.startswith(b"x") or k == Prefix.STATE + b"k" for k, _ in store.iterate(b""))
    assert StateTree(store).root() == EMPTY_ROOT  # the default prefix holds nothing


# ---------------------------------------------------------------- corruption


def test_missing_node_record_is_reported_as_corruption() -> None:
    store = MemoryStore()
    tree = StateTree(store)
    commit(store, tree, state_of(20))
    batch = store.batch()
    for k, _ in store.iterate(NODES):
        batch.delete(k)
    store.write(batch)
    with pytest.raises(StorageCorrupt):
        StateTree(store).prove(b"key-1")


@pytest.mark.parametrize("garbage", [b"", b"\x03", b"\x02" + bytes(31), b"\x00\x00\x00"])
def test_malformed_node_record_is_reported_as_corruption(garbage: bytes) -> None:
    store = MemoryStore()
    tree = StateTree(store)
    commit(store, tree, state_of(20))
    batch = store.batch()
    batch.put(next(store.iterate(NODES))[0], garbage)
    store.write(batch)
    with pytest.raises(StorageCorrupt):
        StateTree(store).prove(b"key-1")
    batch = store.batch()
    batch.put(Prefix.STATE_TREE + b"R", garbage)
    store.write(batch)
    with pytest.raises(StorageCorrupt):
        StateTree(store)


def test_negative_cache_size_is_refused() -> None:
    with pytest.raises(ValueError):
        StateTree(MemoryStore(), cache_nodes=-1)


# ---------------------------------------------------------------- vectors (docs/storage.md)

ALICE_ROOT = "3a53f829d9956cb8177b3718a13603b1691a21024dafc5acbe9c919909ed718f"
ALICE_BOB_ROOT = "0bf7223f0d9e8bd2a7ac384ca34ceb0f5724ee4b75d89a7f54d15f1e77c94eee"
ALICE_PROOF_WIRE = (
    "9292c420cc5065c52397b55bb797d38628274f16cc7e903e770bd2fd4f7d98e65dd49052c420"
    "4eacb523ba6b09acd6bbee17541762e20165a151d3041d3fb4e8e2fb6b76f2e191c4205b393d49"
    "bae2ef2243d80d25490c60fdf3c6c25f1208be16b0649c8906363516"
)


def test_documented_vectors() -> None:
    from scctn_node.storage.proof import Proof

    store = MemoryStore()
    tree = StateTree(store)
    assert commit(store, tree, {b"alice": b"100"}).hex() == ALICE_ROOT
    assert commit(store, tree, {b"bob": b"50"}).hex() == ALICE_BOB_ROOT
    assert tree.prove(b"alice").to_bytes().hex() == ALICE_PROOF_WIRE
    proof = Proof.from_bytes(bytes.fromhex(ALICE_PROOF_WIRE))
    verify_proof(bytes.fromhex(ALICE_BOB_ROOT), b"alice", b"100", proof)
    verify_proof(bytes.fromhex(ALICE_BOB_ROOT), b"carol", None, tree.prove(b"carol"))


def test_failed_apply_leaves_the_tree_unchanged() -> None:
    store = MemoryStore()
    commit(store, StateTree(store), state_of(2000))
    deep = [k for k, _ in store.iterate(NODES) if k[len(NODES)] >= 2]
    batch = store.batch()
    for k in deep:
        batch.delete(k)
    store.write(batch)
    tree = StateTree(store, cache_nodes=0)
    root = tree.root()
    with pytest.raises(StorageCorrupt):
        tree.apply({b"key-%d" % i: b"x" for i in range(100)}, store.batch())
    assert tree.root() == root and not tree.has_pending()


CRASH_WRITER = """
import sys
from scctn_node.storage.kv import LevelDBStore
from scctn_node.storage.smt import StateTree
from tests.unit.storage.test_smt import block_updates
store = LevelDBStore(sys.argv[1])
tree = StateTree(store, cache_nodes=64)
print("ready", flush=True)
n = 0
while True:
    n += 1
    batch = store.batch()
    tree.apply(block_updates(n), batch)
    batch.put(b"mheight", n.to_bytes(8, "big"))
    store.write(batch, sync=False)
    tree.committed()
"""


def block_updates(n: int) -> dict[bytes, bytes | None]:
    """The state changes of block n in the crash test (deterministic)."""
    updates: dict[bytes, bytes | None] = {
        b"key-%d" % ((n * 7 + i) % 400): b"%d" % n for i in range(5)
    }
    updates[b"key-%d" % (n * 13 % 400)] = None
    return updates


def test_killed_writer_leaves_a_committed_consistent_tree(tmp_path: Path) -> None:
    # A process commits blocks (tree changes + height in one batch) until killed -9.
    # On reopen the tree must be exactly the state after the recorded height.
    path = tmp_path / "db"
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASH_WRITER, str(path)], cwd=REPO, stdout=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n"
        time.sleep(0.7)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
    with LevelDBStore(path) as store:
        raw = store.get(b"mheight")
        assert raw is not None
        height = int.from_bytes(raw, "big")
        assert height > 0, height
        state: dict[bytes, bytes] = {}
        for n in range(1, height + 1):
            for key, value in block_updates(n).items():
                if value is None:
                    state.pop(key, None)
                else:
                    state[key] = value
        tree = StateTree(store)
        assert tree.root() == ref_root(state)
        assert node_records(store) == ref_page_count(state)
        assert commit(store, tree, block_updates(height + 1)) is not None
