"""The `scctn` command as a user runs it: keys, transactions with --wait, queries with
locally verified proofs, JSON output, and one-line errors with non-zero exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scctn_node.localnet import create_localnet
from tests.integration.nodeproc import NodeProcess, free_port


def scctn(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scctn_node", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def localnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, NodeProcess]]:
    home = tmp_path_factory.mktemp("cli") / "localnet"
    create_localnet(home, free_port())
    node = NodeProcess(home).start()
    yield home, node
    assert node.stop() == 0


def test_transfer_wait_and_query_with_proof(localnet: tuple[Path, NodeProcess]) -> None:
    home, _ = localnet
    h = str(home)
    out = scctn(
        "tx",
        "transfer",
        "--home",
        h,
        "--from",
        "alice",
        "--to",
        "bob",
        "--symbol",
        "ALP",
        "--amount",
        "2500",
        "--wait",
        "-o",
        "json",
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["status"] == "committed" and result["receipt"]["code"] == "ok"
    out = scctn("query", "account", "--home", h, "bob", "--prove", "--symbol", "GOLD", "-o", "json")
    assert out.returncode == 0, out.stderr
    account = json.loads(out.stdout)
    assert account["verified"] is True
    assert account["balances"]["ALP"] == 5_002_500 and account["balances"]["GOLD"] == 0
    text = scctn("query", "account", "--home", h, "bob", "--prove")
    assert "verified against state root" in text.stdout
    assert scctn("query", "tx", "--home", h, result["hash"]).stdout.startswith(result["hash"])
    assert "ALP" in scctn("query", "asset", "--home", h).stdout
    assert json.loads(scctn("status", "--home", h, "-o", "json").stdout)["height"] >= 1


def test_asset_lifecycle_through_the_cli(localnet: tuple[Path, NodeProcess]) -> None:
    h = str(localnet[0])
    steps = [
        ("asset-create", "--symbol", "GEMS", "--name", "Gems", "--cap", "1000"),
        ("issue", "--symbol", "GEMS", "--to", "carol", "--amount", "300"),
    ]
    for step in steps:
        out = scctn("tx", *step, "--home", h, "--from", "shop", "--wait")
        assert out.returncode == 0 and "committed" in out.stdout, out.stderr
    out = scctn(
        "tx",
        "burn",
        "--home",
        h,
        "--from",
        "carol",
        "--symbol",
        "GEMS",
        "--amount",
        "100",
        "--wait",
    )
    assert out.returncode == 0, out.stderr
    asset = json.loads(scctn("query", "asset", "--home", h, "GEMS", "-o", "json").stdout)
    assert asset["supply"] == 200 and asset["cap"] == 1000


@pytest.mark.parametrize(
    ("args", "code", "exit_code"),
    [
        (
            (
                "tx",
                "transfer",
                "--from",
                "bob",
                "--to",
                "alice",
                "--symbol",
                "ALP",
                "--amount",
                "999999999999",
                "--wait",
            ),
            "insufficient_balance",
            1,
        ),
        (
            (
                "tx",
                "issue",
                "--from",
                "bob",
                "--to",
                "bob",
                "--symbol",
                "ALP",
                "--amount",
                "1",
                "--wait",
            ),
            "not_issuer",
            1,
        ),
        (
            (
                "tx",
                "transfer",
                "--from",
                "alice",
                "--to",
                "scc1qqqqqqqqqq",
                "--symbol",
                "ALP",
                "--amount",
                "1",
            ),
            "invalid_address",
            1,
        ),
        (
            (
                "tx",
                "transfer",
                "--from",
                "nobody",
                "--to",
                "bob",
                "--symbol",
                "ALP",
                "--amount",
                "1",
            ),
            "key_not_found",
            1,
        ),
        (("query", "block", "999999"), "block_not_found", 1),
        (("query", "tx", "abcd"), "malformed_tx_hash", 1),
        (("query", "asset", "NOPE"), "asset_not_found", 1),
    ],
)
def test_errors_are_one_line_with_a_code(
    localnet: tuple[Path, NodeProcess], args: tuple[str, ...], code: str, exit_code: int
) -> None:
    out = scctn(*args[:2], "--home", str(localnet[0]), *args[2:])
    assert out.returncode == exit_code
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {code}: "), out.stderr


def test_unreachable_node_and_wrong_passphrase(
    localnet: tuple[Path, NodeProcess], tmp_path: Path
) -> None:
    out = scctn("status", "--node", f"http://127.0.0.1:{free_port()}")
    assert out.returncode == 2 and out.stderr.startswith("error: node_unreachable: ")
    (tmp_path / "wrong").write_text("not-the-passphrase\n")
    out = scctn(
        "tx",
        "burn",
        "--home",
        str(localnet[0]),
        "--from",
        "alice",
        "--symbol",
        "ALP",
        "--amount",
        "1",
        "--passphrase-file",
        str(tmp_path / "wrong"),
    )
    assert out.returncode == 1 and out.stderr.startswith("error: wrong_passphrase: ")


def test_keys_commands(tmp_path: Path) -> None:
    env = {"SCCTN_PASSPHRASE": "pw"}
    home = str(tmp_path / "h")
    made = json.loads(scctn("keys", "new", "k1", "--home", home, "-o", "json", env=env).stdout)
    assert made["address"].startswith("scc1")
    listed = json.loads(scctn("keys", "list", "--home", home, "-o", "json").stdout)
    assert [k["name"] for k in listed] == ["k1"]
    shown = json.loads(scctn("keys", "show", "k1", "--home", home, "-o", "json").stdout)
    assert shown == made
    seed = scctn("keys", "export", "k1", "--seed", "--home", home, env=env).stdout.strip()
    home2 = str(tmp_path / "h2")
    again = json.loads(
        scctn(
            "keys", "import", "k9", "--seed-hex", seed, "--home", home2, "-o", "json", env=env
        ).stdout
    )
    assert again["address"] == made["address"]
    exported = tmp_path / "k1.json"
    exported.write_text(scctn("keys", "export", "k1", "--home", home).stdout)
    out = scctn("keys", "import", "--file", str(exported), "--home", str(tmp_path / "h3"), env=env)
    assert out.returncode == 0, out.stderr
    dup = scctn("keys", "new", "k1", "--home", home, env=env)
    assert dup.returncode == 1 and dup.stderr.startswith("error: key_exists: ")
    env_without = {k: v for k, v in os.environ.items() if k != "SCCTN_PASSPHRASE"}
    nopass = subprocess.run(
        [sys.executable, "-m", "scctn_node", "keys", "new", "k2", "--home", home],
        capture_output=True,
        text=True,
        timeout=60,
        env=env_without,
        stdin=subprocess.DEVNULL,
    )
    assert nopass.returncode == 2 and nopass.stderr.startswith("error: passphrase_required: ")


def test_init_then_start_and_refuse_reinit(tmp_path: Path) -> None:
    home = tmp_path / "v"
    env = {"SCCTN_PASSPHRASE": "pw"}
    out = scctn(
        "init", "--home", str(home), "--chain-id", "acme-1", "--api-port", str(free_port()), env=env
    )
    assert out.returncode == 0, out.stderr
    assert (home / "config.toml").exists() and (home / "genesis.json").exists()
    again = scctn("init", "--home", str(home), env=env)
    assert again.returncode == 1 and again.stderr.startswith("error: already_initialized: ")
    node = NodeProcess(home, env=env).start()
    try:
        assert node.get("/v1/status")["chain_id"] == "acme-1"
    finally:
        assert node.stop() == 0
