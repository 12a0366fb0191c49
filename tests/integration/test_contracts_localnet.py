"""The contract tutorial in docs/contracts.md, run as written on a fresh one-validator
localnet (every command succeeds, or fails with the code the page says, and the ledger
ends where the story says), and the civic-participation example deployed and called with
`scctn contract ...` commands on the same network, and energy sharing with the deposit
and the bid in one transaction built by the node (POST /v1/txs/build). The tests after the
tutorial leave carol's ALP and ALP's issued total alone, so their order does not matter."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from primitives.keys import format_address, parse_address
from scctn_node.keystore import Keystore
from scctn_node.localnet import LOCALNET_PASSPHRASE
from tests.integration.docs_run import FAILS, ROOT, doc_block, localnet_node, run_bash
from tests.integration.nodeproc import NodeProcess
from vm.contracts import ledger_host as lh
from vm.contracts.asm import assemble

DOC = ROOT / "docs" / "contracts.md"
EXAMPLES = ROOT / "contracts" / "examples"
MARKER = "<!-- tutorial:"
GENESIS_ALP = {"alice": 100_000_000, "bob": 5_000_000, "carol": 5_000_000}


def tutorial() -> list[str]:
    """The lines of the tutorial's shell block."""
    return doc_block(DOC, MARKER).splitlines()


def script(lines: list[str]) -> str:
    """One bash script: a variable set by one line is used by the next, as in a terminal;
    a line marked `# fails: CODE` must fail with that code on stderr."""
    out = []
    for i, line in enumerate(lines):
        m = FAILS.search(line)
        if m is None:
            out.append(line)
            continue
        out.append(
            f'if {line[: m.start()]} 2>"$ERR"; then echo "step {i} succeeded" >&2; exit 90; fi'
        )
        out.append(f'grep -q "error: {m.group(1)}:" "$ERR" || {{ cat "$ERR" >&2; exit 91; }}')
    return "\n".join(out) + "\n"


def bash(text: str, home: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    prelude = f'set -euo pipefail -x\nERR="{tmp}/stderr"\n'
    # the tutorial runs from the repository's top directory
    return run_bash(text, home, prelude=prelude, timeout=300, cwd=ROOT)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    yield from localnet_node(tmp_path_factory, "contracts")


def address_of(home: Path, name: str) -> bytes:
    return parse_address(Keystore(home / "keys").show(name).address)


def deployed_at(home: Path, deployer: str, example: str, salt: bytes = b"") -> str:
    code = assemble((EXAMPLES / f"{example}.sasm").read_text())
    return format_address(lh.contract_address(address_of(home, deployer), salt, lh.code_hash(code)))


def test_the_tutorial_parses() -> None:
    lines = tutorial()
    commands = [x for x in lines if x.startswith(("scctn ", "WASTE="))]
    assert len(commands) >= 14
    assert sum(1 for x in lines if FAILS.search(x)) == 3


def test_tutorial_runs_as_written(node: NodeProcess, tmp_path: Path) -> None:
    home = node.home
    out = bash(script(tutorial()), home, tmp_path)
    assert out.returncode == 0, out.stderr[-4000:]
    waste = deployed_at(home, "alice", "waste_sorting")
    assert waste in out.stdout  # the echoed address is the derived one

    # carol: her genesis ALP + 120.00 + 380.00 (the rest of the day's 500.00 cap)
    account = node.get(f"/v1/accounts/{format_address(address_of(home, 'carol'))}")
    assert account["balances"]["ALP"] == GENESIS_ALP["carol"] + 50_000
    liability = node.get("/v1/assets/ALP/liability")
    assert liability["issued"] == sum(GENESIS_ALP.values()) + 50_000
    delegation = node.get(f"/v1/contracts/{waste}/delegations/ALP")
    assert (delegation["cap"], delegation["issued"], delegation["active"]) == (
        1_000_000,
        50_000,
        True,
    )
    assert node.get(f"/v1/contracts/{waste}/storage/0x636170")["value"] == 50_000  # "cap"
    # the -o json receipts in the tutorial: the first paid report and paid_today
    receipts = json_documents(out.stdout)
    events = [[(e["kind"], e["fields"]) for e in r["receipt"]["events"]] for r in receipts]
    assert [f[-2:] for k, f in events[0] if k == "contract.event"] == [[b"reward".hex(), 12_000]]
    assert [f[-1] for k, f in events[1] if k == "contract.returned"] == [50_000]


def json_documents(text: str) -> list[dict[str, Any]]:
    """The JSON objects printed among other output, each starting a line."""
    decoder = json.JSONDecoder()
    docs, i = [], 0
    while (i := text.find("{", i)) >= 0:
        if i > 0 and text[i - 1] != "\n":
            i += 1
            continue
        doc, i = decoder.raw_decode(text, i)
        docs.append(doc)
    return docs


def call(home: Path, tmp: Path, sender: str, contract: str, *args: object) -> str:
    argv = " ".join(f"--arg {a}" for a in args)
    out = bash(
        f"scctn contract call {contract} --home localnet-data --from {sender} {argv} --wait",
        home,
        tmp,
    )
    return out.stdout if out.returncode == 0 else "error: " + out.stderr


def test_civic_participation_on_the_localnet(node: NodeProcess, tmp_path: Path) -> None:
    home = node.home
    deploy = bash(
        "scctn contract deploy contracts/examples/civic_participation.sasm "
        "--home localnet-data --from shop --wait",
        home,
        tmp_path,
    )
    assert deploy.returncode == 0, deploy.stderr
    civic = deployed_at(home, "shop", "civic_participation")
    assert f"contract {civic}" in deploy.stdout
    ok = ": ok"
    # shop (the authority here) pays CAFE stamps: fund the contract with 100
    assert ok in call(home, tmp_path, "shop", civic, 0, "0x" + b"CAFE".hex())
    funded = bash(
        f"scctn tx transfer --home localnet-data --from shop --symbol CAFE --to {civic} "
        "--amount 100 --wait",
        home,
        tmp_path,
    )
    assert funded.returncode == 0, funded.stderr
    assert ok in call(home, tmp_path, "shop", civic, 1, 7, 30, "alice")  # alice attests
    assert ok in call(home, tmp_path, "alice", civic, 2, 7, "carol")
    assert "contract_reverted" in call(home, tmp_path, "alice", civic, 2, 7, "carol")
    # carol spends 10 at bob (a merchant in the localnet), and burns 5 there
    assert "contract_reverted" in call(home, tmp_path, "carol", civic, 3, "alice", 10)
    assert ok in call(home, tmp_path, "carol", civic, 3, "bob", 10)
    assert ok in call(home, tmp_path, "carol", civic, 4, "bob", 5)
    bob = node.get(f"/v1/accounts/{format_address(address_of(home, 'bob'))}")
    assert bob["balances"]["CAFE"] == 12 + 10
    assert node.get("/v1/assets/CAFE/liability")["redeemed"] == 5
    contract = node.get(f"/v1/accounts/{civic}")
    assert contract["balances"]["CAFE"] == 85


def send_ops(node: NodeProcess, signer: str, ops: list[dict[str, Any]]) -> dict[str, Any]:
    """One transaction of several operations, built by the node from JSON, signed here."""
    key = Keystore(node.home / "keys").load(signer, LOCALNET_PASSPHRASE)
    status, built, _ = node.post_json("/v1/txs/build", {"sender": key.public.raw.hex(), "ops": ops})
    assert status == 200, built
    signature = key.sign(bytes.fromhex(built["sign_bytes"])).hex()
    status, sent, _ = node.post_json("/v1/txs", {"tx": "92" + built["body"] + "c440" + signature})
    assert status == 202, sent
    deadline = time.monotonic() + 30
    while (info := node.get(f"/v1/txs/{sent['hash']}"))["status"] != "committed":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    return info["receipt"]  # type: ignore[no-any-return]


def test_energy_sharing_on_the_localnet_deposit_and_bid_in_one_transaction(
    node: NodeProcess, tmp_path: Path
) -> None:
    home = node.home
    deploy = bash(
        "scctn contract deploy contracts/examples/energy_sharing.sasm "
        "--home localnet-data --from shop --wait",
        home,
        tmp_path,
    )
    assert deploy.returncode == 0, deploy.stderr
    energy = deployed_at(home, "shop", "energy_sharing")
    ok = ": ok"
    assert ok in call(home, tmp_path, "shop", energy, 0, "0x" + b"ALP".hex(), 10)  # 10 per kWh
    assert ok in call(home, tmp_path, "shop", energy, 2, "alice", 1)
    assert ok in call(home, tmp_path, "alice", energy, 4, 3)  # 3 kWh offered: 30 ALP worth
    alice_before = node.get(f"/v1/accounts/{format_address(address_of(home, 'alice'))}")
    buyer = format_address(address_of(home, "bob"))
    buyer_before = node.get(f"/v1/accounts/{buyer}")["balances"]["ALP"]
    bid = [
        {"op": "transfer", "symbol": "ALP", "to": energy, "amount": 45},
        {"op": "contract.call", "contract": energy, "args": [5], "gas": 100_000},
    ]
    receipt = send_ops(node, "bob", bid)
    assert receipt["code"] == "ok", receipt
    returned = [e["fields"][1:] for e in receipt["events"] if e["kind"] == "contract.returned"]
    assert returned == [[45]]
    assert ok in call(home, tmp_path, "shop", energy, 3)  # close round 1: 30 traded
    assert ok in call(home, tmp_path, "alice", energy, 6, 1)  # paid 30
    assert ok in call(home, tmp_path, "bob", energy, 6, 1)  # refunded 15
    assert "contract_reverted" in call(home, tmp_path, "bob", energy, 6, 1)  # once
    alice = node.get(f"/v1/accounts/{format_address(address_of(home, 'alice'))}")
    assert alice["balances"]["ALP"] == alice_before["balances"]["ALP"] + 30
    assert node.get(f"/v1/accounts/{buyer}")["balances"]["ALP"] == buyer_before - 30
