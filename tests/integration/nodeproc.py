"""Run `scctn start` as a real process for tests, and talk to it over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

SCCTN = [sys.executable, "-m", "scctn_node"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class NodeProcess:
    def __init__(self, home: Path, env: dict[str, str] | None = None) -> None:
        self.home = home
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.log = home / "node.log"

    def start(self, timeout: float = 30.0) -> NodeProcess:
        (self.home / "node.json").unlink(missing_ok=True)
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [*SCCTN, "start", "--home", str(self.home)], stdout=logf, stderr=logf, env=self.env
        )
        logf.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"node exited: {self.log.read_text()[-2000:]}")
            info = self.home / "node.json"
            if info.exists():
                try:
                    self.url = json.loads(info.read_text())["api"]
                    self.get("/health")
                    return self
                except (ValueError, KeyError, OSError):
                    pass
            time.sleep(0.1)
        raise RuntimeError("node did not start in time")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(5)

    def request(
        self, method: str, path: str, body: bytes | None = None, ctype: str = "application/json"
    ) -> tuple[int, Any, dict[str, str]]:
        req = urllib.request.Request(self.url + path, data=body, method=method)
        if body is not None:
            req.add_header("Content-Type", ctype)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
                return (
                    resp.status,
                    json.loads(raw) if raw[:1] in (b"{", b"[") else raw,
                    {k.lower(): v for k, v in resp.headers.items()},
                )
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            return (
                exc.code,
                json.loads(raw) if raw[:1] == b"{" else raw,
                {k.lower(): v for k, v in exc.headers.items()},
            )
        except urllib.error.URLError as exc:
            # Name the node, whether its process still runs, and its last words: a node
            # that refuses while "alive" is usually one on its way out after a crash.
            state = "no process" if self.proc is None else f"exit code {self.proc.poll()}"
            tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            exc.add_note(
                f"{method} {self.url}{path} ({self.home.name}, {state}); log tail:\n{tail}"
            )
            raise

    def get(self, path: str) -> Any:
        status, body, _ = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body}")
        return body

    def post_json(self, path: str, obj: Any) -> tuple[int, Any, dict[str, str]]:
        return self.request("POST", path, json.dumps(obj).encode())

    def wait_height(self, height: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.get("/v1/status")["height"] < height:
            if time.monotonic() > deadline:
                raise TimeoutError(f"height {height} not reached")
            time.sleep(0.05)
