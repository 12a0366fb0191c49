"""Run a localnet: one `scctn start` process per node, watched until SIGINT or SIGTERM.

Theory of operation:
1. Start `python -m scctn_node start --home <node home>` for every node (its output
   appended to `<node home>/node.log`). Each child gets its own session, so a Ctrl-C in
   the terminal reaches only the launcher, which then stops the children in order.
2. The network is up when every node has written `<node home>/node.json` (its API URL),
   answers `GET /health`, and reports through `GET /v1/status` a height of at least 2,
   and the highest height has grown since all first answered (so a restarted network
   must commit anew; a node still catching up does not hold the others back). A child
   that exits before that fails the start.
3. While up, a child that exits is reported on stderr with the tail of its log; the others
   keep running (a PBFT network of 3f+1 survives f of them).
4. On SIGINT or SIGTERM: SIGTERM to every child, wait up to `stop_timeout` seconds,
   SIGKILL whatever is left. Children also get SIGKILL if the launcher itself dies (Linux
   parent-death signal), so a killed launcher leaves no nodes behind holding the ports.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from scctn_node.errors import NodeError
from scctn_node.localnet import Localnet, LocalNode

LOG_FILE = "node.log"
NODE_INFO_FILE = "node.json"
POLL_S = 0.2
# Settings that must come from each node's own config.toml, never from the launcher's
# environment (one SCCTN_API_PORT would give every node the same port).
_PER_NODE_ENV = ("SCCTN_HOME", "SCCTN_NODE_", "SCCTN_API_", "SCCTN_P2P_")


class LaunchError(NodeError):
    code = "localnet_failed"


class _Stop(Exception):
    """Raised by the signal handler: leave whatever we are doing and shut down."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclass(slots=True)
class Child:
    node: LocalNode
    home: Path
    proc: subprocess.Popen[bytes]
    api: str = ""
    height: int = -1
    reported: bool = False

    @property
    def log(self) -> Path:
        return self.home / LOG_FILE


@dataclass(slots=True)
class Launcher:
    net: Localnet
    log_format: str = "text"
    start_timeout: float = 60.0
    stop_timeout: float = 10.0
    min_height: int = 2
    err: TextIO = field(default_factory=lambda: sys.stderr)
    children: list[Child] = field(default_factory=list)
    wrote_info: bool = False

    def run(self, on_up: Callable[[list[Child]], None]) -> int:
        """Start, wait until up, call `on_up`, watch until a signal; the exit code."""
        with _signals_raise_stop():
            try:
                self._start_all()
                self._wait_up()
                self._write_info()
                on_up(self.children)
                self._watch()
            except _Stop:
                pass
            finally:
                with _signals_ignored():
                    self._shutdown()
        return 0

    # --- start ---

    def _refuse_if_running(self) -> None:
        """A second launcher on the same home would fight the first over ports and files."""
        homes = [self.net.home] + [self.net.node_home(n) for n in self.net.nodes]
        for home in homes:
            info = _read_json(home / NODE_INFO_FILE) or {}
            pid = info.get("pid")
            if isinstance(pid, int) and pid != os.getpid() and _alive(pid):
                raise LaunchError(
                    f"{home} is in use by process {pid}; stop it first "
                    f"(or delete {home / NODE_INFO_FILE} if that process is not a node)",
                    code="localnet_running",
                )

    def _start_all(self) -> None:
        self._refuse_if_running()
        env = {k: v for k, v in os.environ.items() if not k.startswith(_PER_NODE_ENV)}
        if not self.net.legacy:
            (self.net.home / NODE_INFO_FILE).unlink(missing_ok=True)
        die_with_parent = _parent_death_signal()
        for node in self.net.nodes:
            home = self.net.node_home(node)
            (home / NODE_INFO_FILE).unlink(missing_ok=True)
            with open(home / LOG_FILE, "ab") as log:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "scctn_node", "start", "--home", str(home)]
                    + ["--log-format", self.log_format],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,
                    preexec_fn=die_with_parent,
                )
            self.children.append(Child(node, home, proc))

    def _wait_up(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        first_top: int | None = None  # the highest height when every node first answered
        while True:
            for child in self.children:
                if child.proc.poll() is not None:
                    self._report(child)
                    raise LaunchError(
                        f"{child.node.name} exited with code {child.proc.returncode} "
                        f"before the network was up (log: {child.log})"
                    )
            answered = [self._probe(c) for c in self.children]
            if all(answered):
                top = max(c.height for c in self.children)
                first_top = top if first_top is None else first_top
                low = min(c.height for c in self.children)
                if low >= self.min_height and top > first_top:
                    return
            if time.monotonic() > deadline:
                raise LaunchError(f"not up after {self.start_timeout:.0f} s: {self._progress()}")
            time.sleep(POLL_S)

    def _progress(self) -> str:
        return (
            ", ".join(
                f"{c.node.name} at height {c.height}" if c.height >= 0 else f"{c.node.name} silent"
                for c in self.children
            )
            + f" (up: all at height {self.min_height} or more and committing; logs: node.log)"
        )

    def _probe(self, child: Child) -> bool:
        """Whether this node answers; records its height."""
        if not child.api:
            info = _read_json(child.home / NODE_INFO_FILE)
            if not info or not isinstance(info.get("api"), str):
                return False
            child.api = str(info["api"])
        health = _get_json(child.api + "/health")
        status = _get_json(child.api + "/v1/status") if health is not None else None
        if status is None or not isinstance(status.get("height"), int):
            return False
        child.height = status["height"]
        return True

    def _write_info(self) -> None:
        """`<home>/node.json` points the CLI's `--home <home>` at node0's API."""
        if self.net.legacy:
            return  # the one node writes its own node.json in this very directory
        info = {
            "pid": os.getpid(),
            "chain_id": self.net.chain_id,
            "api": self.children[0].api,
            "nodes": [c.api for c in self.children],
        }
        tmp = self.net.home / (NODE_INFO_FILE + ".tmp")
        tmp.write_text(json.dumps(info) + "\n")
        os.replace(tmp, self.net.home / NODE_INFO_FILE)
        self.wrote_info = True

    # --- watch and stop ---

    def _watch(self) -> None:
        while True:
            alive = 0
            for child in self.children:
                if child.proc.poll() is None:
                    alive += 1
                elif not child.reported:
                    self._report(child)
            if alive == 0:
                raise LaunchError("every node has exited")
            time.sleep(POLL_S)

    def _report(self, child: Child) -> None:
        child.reported = True
        print(
            f"{child.node.name} exited with code {child.proc.returncode}; "
            f"last lines of {child.log}:",
            file=self.err,
        )
        for line in tail(child.log):
            print(f"  {child.node.name} | {line}", file=self.err)
        self.err.flush()

    def _shutdown(self) -> None:
        for child in self.children:
            if child.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for child in self.children:
            try:
                child.proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"{child.node.name} did not stop in time: killed", file=self.err)
                child.proc.kill()
                child.proc.wait()
        if self.wrote_info:
            (self.net.home / NODE_INFO_FILE).unlink(missing_ok=True)


def tail(path: Path, lines: int = 20) -> list[str]:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 16_384))
            text = f.read().decode("utf-8", "replace")
    except OSError as exc:
        return [f"(cannot read the log: {exc.strerror})"]
    return text.splitlines()[-lines:]


def _alive(pid: int) -> bool:
    """Whether `pid` is a running scctn process: not a zombie (a node killed with kill -9
    whose parent has not reaped it yet) and not an unrelated process that reused the PID."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    proc = Path(f"/proc/{pid}")
    try:
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        cmdline = (proc / "cmdline").read_bytes()
    except (OSError, IndexError):
        return True  # no /proc to ask: assume it runs
    return state != "Z" and b"scctn" in cmdline


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _get_json(url: str) -> dict[str, Any] | None:
    """The JSON body of a GET, whatever its HTTP status (/health answers 503 when
    stalled: still an answer); None if nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as exc:
        raw = exc.read()
    except (OSError, ValueError):
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _parent_death_signal() -> Callable[[], None] | None:
    """A pre-exec hook that has the kernel SIGKILL the child when the launcher dies
    (Linux `prctl(PR_SET_PDEATHSIG)`); None where there is no such call."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def hook() -> None:
        prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1

    return hook


@contextlib.contextmanager
def _signals_raise_stop() -> Iterator[None]:
    def handler(signum: int, frame: object) -> None:
        raise _Stop(signum)

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    """While stopping the children, a second Ctrl-C must not abandon them half-stopped."""
    old = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
