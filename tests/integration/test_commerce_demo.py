"""The commerce demo in docs/commerce.md, run as written on a fresh one-validator
localnet: every command succeeds, and the mall, the payment, the book and the settlement
end where the page says."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.docs_run import ROOT, doc_block, localnet_node, run_bash

DOC = ROOT / "docs" / "commerce.md"
MARKER = "<!-- demo:"


def bash(script: str, home: Path) -> subprocess.CompletedProcess[str]:
    return run_bash(script, home, prelude="set -e\n", timeout=300)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    for node in localnet_node(tmp_path_factory, "commerce"):
        yield node.home


def test_commerce_demo_runs_as_written(home: Path) -> None:
    out = bash(doc_block(DOC, MARKER), home)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]

    def query(*args: str) -> dict[str, object]:
        q = bash("scctn " + " ".join(args) + " --home localnet-data -o json", home)
        assert q.returncode == 0, q.stderr
        return json.loads(q.stdout)  # type: ignore[no-any-return]

    carol = query("query", "account", "carol")["address"]
    auction = query("query", "auction", "bike")
    assert auction["status"] == "sold" and auction["highest_bidder"] == carol, auction
    payment = query("query", "payment", "shop", "A-1001")
    assert payment["amount"] == 3000 and payment["refunded"] == 1000, payment
    balances = query("query", "account", "carol")["balances"]
    # 50,000.00 ALP - mug 50.00 - bike 1,200.00 - order 30.00 + refund 10.00 - 4 stamps at 5.00
    assert balances == {"ALP": 5_000_000 - 5_000 - 120_000 - 3_000 + 1_000 - 2_000, "CAFE": 4}  # type: ignore[comparison-overlap]
    settlement = query("query", "settlement")
    text = json.dumps(settlement)
    assert "1270000000" in text  # 127,000 base units at 10,000 millionths: 1,270 CNY
