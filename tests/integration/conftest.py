"""Fixtures: a node home with many funded accounts, and a running node process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from genesis.document import GenesisAsset, GenesisBalance
from primitives.keys import PrivateKey
from scctn_node.localnet import init_home, write_private
from tests.integration.nodeproc import NodeProcess, free_port

CHAIN_ID = "scctn-itest"
PASSPHRASE = "itest"
ISSUER = PrivateKey(b"\x11" * 32)


def funded_keys(count: int) -> list[PrivateKey]:
    return [PrivateKey(i.to_bytes(4, "big") * 8) for i in range(1, count + 1)]


def make_home(tmp: Path, accounts: list[PrivateKey], **config: object) -> Path:
    home = tmp / "home"
    write_private(tmp / "pass.txt", PASSPHRASE + "\n")
    assets = (GenesisAsset("PTS", "Points", 0, 10**15, ISSUER.address()),)
    balances = tuple(GenesisBalance(k.address(), "PTS", 10**9) for k in accounts)
    init_home(
        home,
        chain_id=CHAIN_ID,
        passphrase=PASSPHRASE,
        api_port=free_port(),
        passphrase_file=str(tmp / "pass.txt"),
        fast_kdf=True,
        genesis_extra=(assets, balances),
        empty_block_interval_ms=500,
    )
    return home


@pytest.fixture
def node_factory(tmp_path: Path) -> Iterator[list[NodeProcess]]:
    nodes: list[NodeProcess] = []
    yield nodes
    for n in nodes:
        n.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On a failure, attach the last lines of every node log the test wrote, so that a
    node that crashed or misbehaved in CI can be read from the report alone."""
    outcome = yield
    report = outcome.get_result()
    tmp = getattr(item, "funcargs", {}).get("tmp_path")
    if not report.failed or not isinstance(tmp, Path):
        return
    for log in sorted(tmp.rglob("node.log")):
        lines = log.read_text(errors="replace").splitlines()[-40:]
        report.sections.append((f"node log {log.relative_to(tmp)}", "\n".join(lines)))
