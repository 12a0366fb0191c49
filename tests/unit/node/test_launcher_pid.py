"""A localnet home is "in use" only while a live scctn process holds it: not a zombie left
by kill -9, not an unrelated process that reused the PID."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from scctn_node.launcher import _alive


def test_a_zombie_is_not_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)  # scctn"])
    try:
        assert _alive(child.pid)  # running, and its command line names scctn
        os.kill(child.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        stat = Path(f"/proc/{child.pid}/stat")
        while stat.read_text().rsplit(")", 1)[1].split()[0] != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert not _alive(child.pid)  # killed, not yet reaped
    finally:
        child.kill()
        child.wait()
    assert not _alive(child.pid)  # reaped: gone


def test_an_unrelated_process_is_not_a_node() -> None:
    child = subprocess.Popen(["sleep", "60"])
    try:
        assert not _alive(child.pid)
    finally:
        child.kill()
        child.wait()
