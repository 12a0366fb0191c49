"""Running the shell blocks of the docs as written, against a fresh one-validator
localnet: the block after a marker comment, `scctn` as a shell function of this Python,
and the docs' `localnet-data` replaced by the test's home."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scctn_node.localnet import create_localnet
from tests.integration.nodeproc import NodeProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
FAILS = re.compile(r"\s+#\s*fails:\s*(\w+)\s*$")  # a line the page says must fail, and how


def doc_block(doc: Path, marker: str) -> str:
    """The first ```sh block after `marker` in `doc`."""
    text = doc.read_text()
    return text[text.index(marker) :].split("```sh\n", 1)[1].split("```", 1)[0]


def run_bash(
    script: str, home: Path, *, prelude: str = "", timeout: float = 90, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    head = prelude + f'scctn() {{ "{sys.executable}" -m scctn_node "$@"; }}\n'
    return subprocess.run(
        ["bash", "-c", head + script.replace("localnet-data", str(home))],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )


def localnet_node(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[NodeProcess]:
    """A one-validator localnet with the demo accounts, running for a module's tests."""
    home = tmp_path_factory.mktemp(name) / "localnet"
    create_localnet(home, free_port())
    node = NodeProcess(home).start()
    yield node
    assert node.stop() == 0
