"""The same deploys and calls in two separate Python processes (different hash seeds)
give byte-identical receipts, state changes and state root."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = """
import hashlib, json
from scctn_node.storage.kv import MemoryStore
from scctn_node.storage.smt import StateTree
from tests.unit.contracts.contract_chain import scenario

c = scenario()
changes = c.state.changes()
store = MemoryStore()
tree = StateTree(store)
batch = store.batch()
root = tree.apply(dict(changes), batch)
flat = b"".join(k + b"=" + (v if v is not None else b"-") + b";" for k, v in changes)
print(json.dumps({
    "receipts": [r.encode().hex() for r in c.receipts],
    "changes": hashlib.sha256(flat).hexdigest(),
    "n_changes": len(changes),
    "root": bytes(root).hex(),
}))
"""


def run_once(seed: str) -> dict[str, object]:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


def test_two_processes_agree_byte_for_byte() -> None:
    a = run_once("1")
    b = run_once("2")
    assert a["receipts"] == b["receipts"]
    assert a["changes"] == b["changes"]
    assert a["root"] == b["root"]
    receipts = a["receipts"]
    assert isinstance(receipts, list) and len(receipts) > 20
    assert isinstance(a["n_changes"], int) and a["n_changes"] > 10
