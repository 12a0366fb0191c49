"""`make screenshot`: start a real four-validator localnet, make some traffic, open the
explorer in Chromium and save the dashboard as an image (default docs/img/dashboard.png).

    python -m tests.browser.screenshot [OUT.png]
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.browser import ROOT, launch
from tests.integration.nodeproc import free_port

SCCTN = [sys.executable, "-m", "scctn_node"]


def start_localnet(home: Path) -> tuple[subprocess.Popen[str], str]:
    api, p2p = free_port(), free_port()
    proc = subprocess.Popen(
        [*SCCTN, "localnet", "--home", str(home), "--validators", "4"]
        + ["--api-port", str(api), "--p2p-port", str(p2p)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.strip().startswith("explorer "):
            return proc, line.split()[1]
    proc.kill()
    raise RuntimeError("the localnet did not print the explorer's address:\n" + "".join(seen))


def traffic(home: Path) -> None:
    moves = [
        ("alice", "bob", "ALP", 2500),
        ("bob", "carol", "ALP", 700),
        ("alice", "shop", "ALP", 900),
    ]
    moves += [
        ("shop", "bob", "CAFE", 3),
        ("carol", "alice", "ALP", 120),
        ("alice", "carol", "ALP", 40),
    ]
    for sender, to, symbol, amount in moves:
        subprocess.run(
            [*SCCTN, "tx", "transfer", "--home", str(home), "--from", sender, "--to", to]
            + ["--symbol", symbol, "--amount", str(amount), "--wait"],
            check=True,
            capture_output=True,
            timeout=60,
        )


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "localnet"
        proc, url = start_localnet(home)
        try:
            with sync_playwright() as p:
                browser = launch(p)
                page = browser.new_page(viewport={"width": 1280, "height": 1500})
                page.goto(url + "/")
                traffic(home)
                page.wait_for_selector('#validators tr[data-state="up"]')
                time.sleep(4)  # a few more blocks for the charts
                out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(out))
                browser.close()
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(30)
    print(f"saved {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img" / "dashboard.png")
