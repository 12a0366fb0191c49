"""`scctn bridge` and `scctn localnet --bridge-eth-rpc` against anvil, as a user runs
them: accounts, deploy, deposit, and the errors (one stderr line, non-zero exit)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from genesis.document import load_genesis
from primitives.keys import PrivateKey, format_address
from scctn_node.bench.bridge import free_ports
from scctn_node.bridge.anvil import Anvil, start_anvil
from tests.integration.nodeproc import SCCTN

pytestmark = pytest.mark.integration
PASSWORD = "pw"
ANVIL_DEV_KEY = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


@pytest.fixture(scope="module")
def anvil() -> Iterator[Anvil]:
    with start_anvil() as node:
        yield node


def scctn(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SCCTN_ETH_PASSWORD": PASSWORD}
    result = subprocess.run([*SCCTN, *args], capture_output=True, text=True, env=env)
    if ok:
        assert result.returncode == 0, result.stderr
    return result


def one_error_line(result: subprocess.CompletedProcess[str], code: str, exit_code: int) -> None:
    assert result.returncode == exit_code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {code}:"), result.stderr


def funded_keyfile(anvil: Anvil, path: Path) -> str:
    made = json.loads(scctn("bridge", "account", "new", "--out", str(path), "-o", "json").stdout)

    async def fund(rpc: object) -> None:
        await rpc.request("anvil_setBalance", [made["address"], hex(10**21)])  # type: ignore[attr-defined]

    anvil.run(fund, isolate=False)
    return str(made["address"])


def test_account_deploy_deposit_and_errors(tmp_path: Path, anvil: Anvil) -> None:
    keyfile = tmp_path / "user.json"
    address = funded_keyfile(anvil, keyfile)
    shown = json.loads(scctn("bridge", "account", "show", str(keyfile), "-o", "json").stdout)
    assert shown["address"] == address
    one_error_line(
        scctn("bridge", "account", "new", "--out", str(keyfile), ok=False), "key_exists", 1
    )
    validators = ",".join("0x" + bytes([i]).hex() * 20 for i in (3, 1, 2))
    deployed = json.loads(
        scctn(
            "bridge",
            "deploy",
            "--eth-rpc",
            anvil.url,
            "--keyfile",
            str(keyfile),
            "--validators",
            validators,
            "--test-token",
            "scctn-like",
            "--token-decimals",
            "8",
            "--mint-to",
            address,
            "--mint-amount",
            str(10**12),
            "-o",
            "json",
        ).stdout
    )
    assert deployed["eth_chain_id"] == 31337 and deployed["token_decimals"] == 8
    recipient = format_address(PrivateKey(b"\x05" * 32).address())
    common = ["--eth-rpc", anvil.url, "--keyfile", str(keyfile), "--vault", deployed["vault"]]
    dep = json.loads(
        scctn(
            "bridge", "deposit", *common, "--amount", "2500", "--to", recipient, "-o", "json"
        ).stdout
    )
    assert dep["nonce"] == 1 and dep["amount"] == 2500 and dep["recipient"] == recipient

    # errors: one line on stderr, a stable code, a non-zero exit
    one_error_line(
        scctn("bridge", "deposit", *common, "--amount", "1", "--to", "0x12", ok=False),
        "bad_address",
        2,
    )
    unreachable = ["--eth-rpc", "http://127.0.0.1:9", *common[2:]]
    one_error_line(
        scctn("bridge", "deposit", *unreachable, "--amount", "1", "--to", recipient, ok=False),
        "eth_unreachable",
        2,
    )
    one_error_line(
        scctn("bridge", "deposit", *common, "--amount", str(10**15), "--to", recipient, ok=False),
        "vault_reverted",
        1,
    )
    env_wrong = subprocess.run(
        [*SCCTN, "bridge", "deposit", *common, "--amount", "1", "--to", recipient],
        capture_output=True,
        text=True,
        env={**os.environ, "SCCTN_ETH_PASSWORD": "wrong"},
    )
    one_error_line(env_wrong, "wrong_password", 1)
    one_error_line(
        scctn(
            "bridge",
            "deploy",
            "--eth-rpc",
            anvil.url,
            "--keyfile",
            str(keyfile),
            "--validators",
            "0x" + "00" * 20,
            "--test-token",
            "standard",
            ok=False,
        ),
        "bad_valset",
        2,
    )


def test_localnet_with_a_bridge_deploys_before_genesis(tmp_path: Path, anvil: Anvil) -> None:
    home = tmp_path / "ln"
    base = free_ports(8)
    scctn(
        "localnet",
        "--home",
        str(home),
        "--validators",
        "4",
        "--init-only",
        "--api-port",
        str(base),
        "--p2p-port",
        str(base + 4),
        "--bridge-eth-rpc",
        anvil.url,
        "--bridge-token",
        "scctn-like",
    )
    info = json.loads((home / "bridge.json").read_text())
    doc = load_genesis(home / "genesis.json")
    assert doc.bridge is not None and len(doc.bridge.validators) == 4
    assert "0x" + doc.bridge.vault.hex() == info["vault"].lower()
    assert sorted("0x" + k.eth_address.hex() for k in doc.bridge.validators) == [
        a.lower() for a in info["validators"]
    ]
    config = (home / "node0" / "config.toml").read_text()
    assert f'eth_rpc = "{anvil.url}"' in config
    keys = json.loads(scctn("keys", "list", "--home", str(home / "node0"), "-o", "json").stdout)
    assert sorted(k["type"] for k in keys) == ["ed25519", "secp256k1"]
    # an unreachable endpoint: a clear error, not a traceback
    bad = scctn(
        "localnet",
        "--home",
        str(tmp_path / "bad"),
        "--init-only",
        "--bridge-eth-rpc",
        "http://127.0.0.1:9",
        ok=False,
    )
    one_error_line(bad, "config_error", 1)
