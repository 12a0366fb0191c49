"""The walkthrough in docs/ledger.md, run as written on a fresh one-validator localnet:
every command succeeds (or fails with the code the page says), and the ledger ends where
the story says it does."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scctn_node.keystore import Keystore
from scctn_node.localnet import LOCALNET_PASSPHRASE
from tests.integration.docs_run import FAILS, ROOT, doc_block, localnet_node, run_bash
from tests.integration.nodeproc import NodeProcess
from vm.ops.reference import markdown_table

DOC = ROOT / "docs" / "ledger.md"
MARKER = "<!-- walkthrough:"


def walkthrough() -> list[tuple[str, str | None]]:
    """(command, expected error code or None) for each `scctn` line of the walkthrough."""
    steps = []
    for line in doc_block(DOC, MARKER).splitlines():
        if not line.startswith("scctn "):
            continue
        m = FAILS.search(line)
        steps.append((line[: m.start()] if m else line, m.group(1) if m else None))
    return steps


run = run_bash


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    yield from localnet_node(tmp_path_factory, "walk")


@pytest.fixture(scope="module")
def localnet(node: NodeProcess) -> Path:
    return node.home


def test_the_operation_table_in_the_docs_is_current() -> None:
    assert markdown_table() in DOC.read_text(), "regenerate it: python -m vm.ops.reference"


def test_walkthrough_runs_as_written(localnet: Path) -> None:
    steps = walkthrough()
    assert len(steps) >= 20
    for command, code in steps:
        out = run(command, localnet)
        if code is None:
            assert out.returncode == 0, f"{command}\n{out.stderr}"
        else:
            assert out.returncode != 0 and f"error: {code}:" in out.stderr, (command, out.stderr)

    def query(*args: str) -> dict[str, object]:
        out = run("scctn " + " ".join(args) + " --home localnet-data -o json", localnet)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)  # type: ignore[no-any-return]

    # 5,000 issued + 250 content rewards + 30 for 12 kg at 2.5 per kg; nothing redeemed
    liability = query("query", "liability", "STAR")
    assert liability["issued"] == liability["outstanding"] == 5_280
    assert liability["outstanding_value_micros"] == 5_280 * 10_000
    # carol: 5,000 + 50 + 30 - 1,000 into custody - 1,500 to bob
    assert query("query", "account", "carol")["balances"]["STAR"] == 2_580  # type: ignore[index]
    # bob: 200 reward + 300 out of custody + 1,500 from carol; the custodian's fee is 3
    assert query("query", "account", "bob")["balances"]["STAR"] == 2_000  # type: ignore[index]
    assert query("query", "account", "alice/carol-app")["balances"]["STAR"] == 697  # type: ignore[index]
    assert query("query", "proposal", "1")["status"] == "passed"


def test_build_sign_submit_from_json(node: NodeProcess) -> None:
    """A client without msgpack: the node encodes JSON operations, the client signs."""
    carol = Keystore(node.home / "keys").load("carol", LOCALNET_PASSPHRASE)
    bob = Keystore(node.home / "keys").show("bob").address
    ops = [{"op": "transfer.batch", "symbol": "ALP", "items": [{"to": bob, "amount": 7}]}]
    status, built, _ = node.post_json(
        "/v1/txs/build", {"sender": carol.public.raw.hex(), "ops": ops}
    )
    assert status == 200, built
    assert built["ops"][0]["items"] == [{"to": bob, "amount": 7}]
    signature = carol.sign(bytes.fromhex(built["sign_bytes"])).hex()
    status, sent, _ = node.post_json("/v1/txs", {"tx": "92" + built["body"] + "c440" + signature})
    assert status == 202, sent
    deadline = time.monotonic() + 30
    while (info := node.get(f"/v1/txs/{sent['hash']}"))["status"] != "committed":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert info["receipt"]["code"] == "ok"
    status, bad, _ = node.post_json(
        "/v1/txs/build", {"sender": carol.public.raw.hex(), "ops": [{"op": "transfer", "to": bob}]}
    )
    assert status == 400 and bad["code"] == "bad_operation" and "symbol" in bad["message"]
