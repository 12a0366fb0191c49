"""`scctn localnet`: the layout it writes for N validators (keys, one genesis, configs with
ports and peers), the homes docker-compose.yml expects, and the launcher run end to end
with real processes: up, committing, stopped by a signal with every child gone, resumed."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from genesis.document import load_genesis
from primitives.keys import format_address
from scctn_node.cli.main import cli
from scctn_node.config import load_config, parse_peer
from scctn_node.keystore import Keystore
from scctn_node.localnet import LOCALNET_PASSPHRASE, create_localnet
from tests.integration.nodeproc import free_port

REPO = Path(__file__).resolve().parents[2]


def localnet_cli(*args: str) -> Result:
    return CliRunner().invoke(cli, ["localnet", *args], catch_exceptions=False)


def test_four_validator_layout(tmp_path: Path) -> None:
    home = tmp_path / "net"
    api, p2p = 31_000, 32_000  # written into configs only: nothing listens in this test
    out = localnet_cli(
        "--home", str(home), "--validators", "4", "--api-port", str(api),
        "--p2p-port", str(p2p), "--init-only",
    )  # fmt: skip
    assert out.exit_code == 0, out.stderr
    assert "4 validators" in out.stdout
    genesis = load_genesis(home / "genesis.json")
    assert [v.name for v in genesis.validators] == [f"validator-{i}" for i in range(4)]
    manifest = json.loads((home / "localnet.json").read_text())
    assert [n["name"] for n in manifest["nodes"]] == ["node0", "node1", "node2", "node3"]
    node_keys = []
    for i in range(4):
        node = home / f"node{i}"
        cfg = load_config(node, env={})
        assert (node / "genesis.json").read_bytes() == (home / "genesis.json").read_bytes()
        assert (node / "passphrase.txt").read_text() == LOCALNET_PASSPHRASE + "\n"
        assert cfg.node.moniker == f"validator-{i}" and cfg.node.passphrase_file == "passphrase.txt"
        assert (cfg.api.host, cfg.api.port) == ("127.0.0.1", api + i)
        assert (cfg.p2p.host, cfg.p2p.port) == ("127.0.0.1", p2p + i)
        key = Keystore(node / "keys").load("validator", LOCALNET_PASSPHRASE)
        assert genesis.validators[i].public_key == key.public.raw
        assert manifest["nodes"][i]["public_key"] == key.public.hex()
        assert manifest["nodes"][i]["api"] == f"http://127.0.0.1:{api + i}"
        node_keys.append(key.public.raw)
        assert oct((node / "keys" / "validator.json").stat().st_mode & 0o777) == "0o600"
    for i in range(4):  # every node dials every other one, at its key and p2p port
        peers = [parse_peer(p) for p in load_config(home / f"node{i}", env={}).p2p.peers]
        expected = [(node_keys[j], "127.0.0.1", p2p + j) for j in range(4) if j != i]
        assert peers == expected
    # demo accounts: keys in <home>/keys, funded in the one genesis
    demo = {k.name: k.address for k in Keystore(home / "keys").list()}
    assert sorted(demo) == ["alice", "bob", "carol", "shop"]
    held = {(format_address(b.address), b.symbol): b.amount for b in genesis.balances}
    assert held[(demo["bob"], "ALP")] == 5_000_000 and held[(demo["shop"], "CAFE")] == 10_000
    # client settings at the top: `--home <home>` reaches node0 with the demo passphrase
    client = load_config(home, env={})
    assert client.api.port == api and client.node.passphrase_file == "passphrase.txt"


def test_an_existing_localnet_is_kept_or_reset_never_mixed(tmp_path: Path) -> None:
    home = tmp_path / "net"
    assert localnet_cli("--home", str(home), "--validators", "2", "--init-only").exit_code == 0
    before = (home / "genesis.json").read_bytes()
    again = localnet_cli("--home", str(home), "--init-only")  # count taken from the manifest
    assert again.exit_code == 0 and "2 validators" in again.stdout
    assert (home / "genesis.json").read_bytes() == before
    other = localnet_cli("--home", str(home), "--validators", "3", "--init-only")
    assert other.exit_code == 2
    assert other.stderr.startswith("error: localnet_mismatch: ") and "--reset" in other.stderr
    fresh = localnet_cli("--home", str(home), "--validators", "3", "--init-only", "--reset")
    assert fresh.exit_code == 0 and (home / "node2").is_dir()
    assert len(load_genesis(home / "genesis.json").validators) == 3
    stranger = tmp_path / "documents"
    stranger.mkdir()
    (stranger / "thesis.txt").write_text("precious")
    refused = localnet_cli("--home", str(stranger), "--reset", "--init-only")
    assert refused.exit_code == 1 and refused.stderr.startswith("error: not_a_localnet: ")
    assert (stranger / "thesis.txt").exists()
    # a flat one-node home from before multi-validator localnets is still recognised
    flat = tmp_path / "flat"
    create_localnet(flat, 31_500)
    old = localnet_cli("--home", str(flat), "--init-only")
    assert old.exit_code == 0 and "1 validator" in old.stdout and "31500" in old.stdout


def test_compose_homes_match_docker_compose_yml(tmp_path: Path) -> None:
    home = tmp_path / "compose-net"
    out = localnet_cli("--home", str(home), "--validators", "4", "--compose")
    assert out.exit_code == 0, out.stderr
    compose = (REPO / "docker-compose.yml").read_text()
    services_section = compose.split("\nservices:\n", 1)[1]
    services = re.findall(r"^  (\w+):\n", services_section, flags=re.M)
    assert services == [f"validator{i}" for i in range(4)]
    manifest = json.loads((home / "localnet.json").read_text())
    for i in range(4):
        cfg = load_config(home / f"node{i}", env={})
        assert (cfg.api.host, cfg.api.port) == ("0.0.0.0", 26657)
        assert (cfg.p2p.host, cfg.p2p.port) == ("0.0.0.0", 26656)
        hosts = [parse_peer(p)[1:] for p in cfg.p2p.peers]
        assert hosts == [(f"validator{j}", 26656) for j in range(4) if j != i]
        block = services_section.split(f"  validator{i}:\n", 1)[1].split("\n\n", 1)[0]
        assert f"- ./compose-net/node{i}:/home/scctn/node" in block
        assert f'- "127.0.0.1:{26657 + i}:26657"' in block
        assert manifest["nodes"][i]["api"] == f"http://127.0.0.1:{26657 + i}"
    assert "build: ." in compose and "SCCTN_HOME: /home/scctn/node" in compose
    assert "scctn localnet --validators 4 --home compose-net --compose" in compose
    refused = localnet_cli("--home", str(home))
    assert refused.exit_code == 2 and "docker compose up" in refused.stderr


class Launched:
    """`scctn localnet` as a user runs it, in its own process."""

    def __init__(self, home: Path, *args: str) -> None:
        self.home = home
        self.out_path = home.parent / f"launcher-{time.monotonic_ns()}.out"
        self.err_path = self.out_path.with_suffix(".err")
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "scctn_node", "localnet", "--home", str(home), *args],
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
            )

    @property
    def stdout(self) -> str:
        return self.out_path.read_text()

    @property
    def stderr(self) -> str:
        return self.err_path.read_text()

    def wait_for_banner(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while "SCCTN localnet is running" not in self.stdout:
            assert self.proc.poll() is None, f"launcher exited: {self.stderr}"
            assert time.monotonic() < deadline, f"no banner: {self.stderr}"
            time.sleep(0.1)

    def signal_and_wait(self, signum: int, timeout: float = 30.0) -> int:
        self.proc.send_signal(signum)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "zombie" in status.read_text())


def test_launch_one_validator_stop_resume_and_die(tmp_path: Path) -> None:
    home = tmp_path / "net"
    api, p2p = free_port(), free_port()
    first = Launched(home, "--validators", "1", "--api-port", str(api), "--p2p-port", str(p2p))
    try:
        first.wait_for_banner()
        url = f"http://127.0.0.1:{api}"
        assert f"validator-0  API {url}" in first.stdout and "alice  scc1" in first.stdout
        assert f"explorer   {url}/explorer " in first.stdout
        with urllib.request.urlopen(url + "/explorer/", timeout=10) as page:
            assert b"SCCTN explorer" in page.read()
        info = json.loads((home / "node.json").read_text())
        assert info["api"] == url and info["pid"] == first.proc.pid
        child = json.loads((home / "node0" / "node.json").read_text())["pid"]
        height = get_json(url + "/v1/status")["height"]
        assert height >= 2  # up means committing
        status = subprocess.run(
            [sys.executable, "-m", "scctn_node", "status", "--home", str(home), "-o", "json"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert json.loads(status.stdout)["chain_id"] == "scctn-localnet", status.stderr
        twice = Launched(home)  # a second launcher on the same home is refused
        assert twice.proc.wait(30) == 1
        assert twice.stderr.startswith(f"error: localnet_running: {home} is in use by process")
        assert json.loads((home / "node.json").read_text())["pid"] == first.proc.pid
        assert get_json(url + "/health")["status"] == "ok"
        assert first.signal_and_wait(signal.SIGINT) == 0
    finally:
        first.kill()
    assert not alive(child)
    assert not (home / "node.json").exists() and not (home / "node0" / "node.json").exists()

    second = Launched(home, "--api-port", str(api), "--p2p-port", str(p2p))
    try:
        second.wait_for_banner()
        resumed = get_json(f"http://127.0.0.1:{api}/v1/status")["height"]
        assert resumed > height  # the same chain, committing again
        child = json.loads((home / "node0" / "node.json").read_text())["pid"]
        os.kill(child, signal.SIGKILL)  # a node that dies is reported with its log
        assert second.proc.wait(30) == 1
    finally:
        second.kill()
    lines = second.stderr.strip().splitlines()
    assert lines[0].startswith(f"node0 exited with code -{int(signal.SIGKILL)}; last lines of")
    assert any(line.startswith("  node0 | ") for line in lines)
    assert lines[-1] == "error: localnet_failed: every node has exited"

    third = Launched(home, "--api-port", str(api), "--p2p-port", str(p2p))
    try:
        third.wait_for_banner()
        child = json.loads((home / "node0" / "node.json").read_text())["pid"]
        third.proc.kill()  # kill -9 of the launcher takes its nodes with it
        third.proc.wait(10)
        deadline = time.monotonic() + 10
        while alive(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(child)
    finally:
        third.kill()


def test_a_node_that_cannot_start_fails_the_launch_with_its_log(tmp_path: Path) -> None:
    home = tmp_path / "net"
    api = free_port()
    assert localnet_cli("--home", str(home), "--api-port", str(api), "--init-only").exit_code == 0
    with socket.socket() as taken:  # node0's API port is in use
        taken.bind(("127.0.0.1", api))
        taken.listen()
        launch = Launched(home, "--p2p-port", str(free_port()), "--start-timeout", "30")
        try:
            assert launch.proc.wait(30) == 1
        finally:
            launch.kill()
    err = launch.stderr.strip().splitlines()
    assert err[-1].startswith("error: localnet_failed: node0 exited with code 1 before")
    assert any(str(api) in line for line in err if line.startswith("  node0 | "))
    assert "SCCTN localnet is running" not in launch.stdout
