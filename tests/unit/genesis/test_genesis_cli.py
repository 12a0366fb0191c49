"""`scctn genesis` and `scctn init --genesis` as consortium members use them: each member
makes a validator key and shares only its public key, one member assembles the genesis,
everyone compares its hash and initialises a node with it."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from genesis.document import load_genesis
from primitives.keys import PrivateKey, format_address
from scctn_node.cli.main import cli

ENV = {"SCCTN_PASSPHRASE": "member-pass"}


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=ENV, catch_exceptions=False)


def one_error_line(result: Result, code: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {code}: "), result.stderr
    return lines[0]


def test_new_writes_a_draft_that_validate_refuses(tmp_path: Path) -> None:
    g = str(tmp_path / "g.json")
    out = run("genesis", "new", "--chain-id", "acme-1", "--out", g, "--time-ms", "42")
    assert out.exit_code == 0, out.stderr
    assert json.loads(Path(g).read_text())["validators"] == []
    assert json.loads(Path(g).read_text())["genesis_time_ms"] == 42
    out = run("genesis", "validate", g)
    assert out.exit_code == 1
    assert "genesis.validators: at least one validator" in one_error_line(out, "invalid_genesis")
    assert run("genesis", "hash", g).exit_code == 1
    again = run("genesis", "new", "--chain-id", "other", "--out", g)
    assert again.exit_code == 1 and one_error_line(again, "file_exists")
    assert json.loads(Path(g).read_text())["chain_id"] == "acme-1"  # not overwritten
    assert run("genesis", "new", "--chain-id", "other", "--out", g, "--force").exit_code == 0
    assert json.loads(Path(g).read_text())["chain_id"] == "other"


def test_assemble_validate_and_hash(tmp_path: Path) -> None:
    g = str(tmp_path / "g.json")
    keys = [PrivateKey(bytes([i]) * 32) for i in (1, 2)]
    issuer = format_address(keys[0].address())
    steps = [
        ("new", "--chain-id", "acme-1", "--out", g, "--time-ms", "7"),
        ("add-validator", g, "--name", "acme", "--public-key", keys[0].public.hex()),
        (
            "add-validator",
            g,
            "--name",
            "bolt",
            "--public-key",
            keys[1].public.hex(),
            "--power",
            "2",
        ),
        ("add-asset", g, "--symbol", "ALP", "--name", "Points", "--decimals", "2")
        + ("--cap", "1000", "--issuer", issuer),
        ("add-balance", g, "--address", issuer, "--symbol", "ALP", "--amount", "250"),
    ]
    for step in steps:
        out = run("genesis", *step)
        assert out.exit_code == 0, out.stderr
    doc = load_genesis(Path(g))
    assert [(v.name, v.power) for v in doc.validators] == [("acme", 1), ("bolt", 2)]
    assert doc.balances[0].amount == 250
    out = run("genesis", "validate", g)
    assert out.exit_code == 0
    assert out.stdout.strip().splitlines() == [
        f"valid genesis: chain acme-1, 2 validators, 1 point type, 1 balance, "
        f"hash {doc.hash().hex()}"
    ]
    summary = json.loads(run("genesis", "validate", g, "-o", "json").stdout)
    assert summary["validators"] == 2 and summary["hash"] == doc.hash().hex()
    assert run("genesis", "hash", g).stdout.strip() == doc.hash().hex()


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (("add-validator", "--name", "acme", "--public-key", "ab" * 32), "invalid_genesis", "acme"),
        (("add-validator", "--name", "x", "--public-key", "zz"), "invalid_public_key", "not hex"),
        (("add-validator", "--name", "x", "--public-key", "ab"), "invalid_public_key", "64 hex"),
        (("add-validator", "--name", "x", "--public-key", "cd" * 32, "--power", "0"), "", "power"),
        (("add-balance", "--address", "scc1qq", "--symbol", "ALP", "--amount", "1"), "", ""),
        (
            ("add-asset", "--symbol", "alp", "--name", "n", "--decimals", "0", "--cap", "5")
            + ("--issuer", format_address(PrivateKey(b"\x01" * 32).address())),
            "invalid_genesis",
            "genesis.assets[0].symbol: invalid symbol 'alp'",
        ),
        (
            ("add-balance", "--address", format_address(PrivateKey(b"\x01" * 32).address()))
            + ("--symbol", "GEM", "--amount", "1"),
            "invalid_genesis",
            "unknown point type 'GEM'",
        ),
    ],
)
def test_a_refused_step_is_one_error_line_and_leaves_the_file(
    tmp_path: Path, args: tuple[str, ...], code: str, fragment: str
) -> None:
    g = tmp_path / "g.json"
    run("genesis", "new", "--chain-id", "acme-1", "--out", str(g))
    run("genesis", "add-validator", str(g), "--name", "acme", "--public-key", "ab" * 32)
    before = g.read_bytes()
    out = run("genesis", args[0], str(g), *args[1:])
    assert out.exit_code == 1
    line = one_error_line(
        out, code or ("invalid_address" if "scc1qq" in args else "invalid_genesis")
    )
    assert fragment in line
    assert g.read_bytes() == before


def test_validate_a_broken_file_names_the_field(tmp_path: Path) -> None:
    g = tmp_path / "g.json"
    g.write_text('{"chain_id": "c", "genesis_time_ms": 1, "validators": [{"name": "v"}]}')
    out = run("genesis", "validate", str(g))
    assert "genesis.validators[0]: missing field 'public_key'" in one_error_line(
        out, "invalid_genesis"
    )
    out = run("genesis", "validate", str(tmp_path / "missing.json"))
    assert "not found" in one_error_line(out, "invalid_genesis")


def keys_show(home: Path) -> dict[str, str]:
    out = run("keys", "show", "validator", "--home", str(home), "-o", "json")
    assert out.exit_code == 0, out.stderr
    return dict(json.loads(out.stdout))


def test_consortium_flow_members_init_with_the_shared_genesis(tmp_path: Path) -> None:
    homes = [tmp_path / name for name in ("acme", "bolt")]
    for home in homes:  # each member, on its own server
        assert run("keys", "new", "validator", "--home", str(home)).exit_code == 0
    public = [keys_show(h)["public_key"] for h in homes]  # all that is sent around
    g = tmp_path / "genesis.json"
    run("genesis", "new", "--chain-id", "acme-bolt", "--out", str(g))
    for home, key in zip(homes, public, strict=True):
        run("genesis", "add-validator", str(g), "--name", home.name, "--public-key", key)
    expected = run("genesis", "hash", str(g)).stdout.strip()
    for i, home in enumerate(homes):
        other = public[1 - i]
        out = run(
            "init", "--home", str(home), "--genesis", str(g), "--api-port", str(27000 + i),
            "--p2p-port", str(27100 + i), "--peer", f"{other}@10.0.0.{2 - i}:{27101 - i}",
        )  # fmt: skip
        assert out.exit_code == 0, out.stderr
        assert f"genesis hash {expected}" in out.stdout and out.stderr == ""
        assert (home / "genesis.json").read_bytes() == g.read_bytes()
        assert keys_show(home)["public_key"] == public[i]  # the key made first is kept
        config = tomllib.loads((home / "config.toml").read_text())
        assert config["node"]["moniker"] == home.name  # its validator name in genesis
        assert config["p2p"]["port"] == 27100 + i and config["api"]["port"] == 27000 + i
        assert config["p2p"]["peers"] == [f"{other}@10.0.0.{2 - i}:{27101 - i}"]
        assert run("genesis", "hash", str(home / "genesis.json")).stdout.strip() == expected


def test_init_with_genesis_refuses_bad_input(tmp_path: Path) -> None:
    g = tmp_path / "g.json"
    run("genesis", "new", "--chain-id", "c", "--out", str(g))
    out = run("init", "--home", str(tmp_path / "h"), "--genesis", str(g))
    assert "at least one validator" in one_error_line(out, "invalid_genesis")
    run("genesis", "add-validator", str(g), "--name", "someone", "--public-key", "ab" * 32)
    out = run("init", "--home", str(tmp_path / "h"), "--peer", "abc@host:1")
    assert "must be '<64 hex digits>@host:port'" in one_error_line(out, "config_error")
    assert not (tmp_path / "h" / "config.toml").exists()
    out = run("init", "--home", str(tmp_path / "h"), "--genesis", str(g))
    assert out.exit_code == 0  # a node that only follows the chain: allowed, with a warning
    assert out.stderr.startswith("warning: this node's validator key")
    assert tomllib.loads((tmp_path / "h" / "config.toml").read_text())["node"]["moniker"] == (
        "validator-0"
    )


def test_init_without_genesis_writes_a_one_validator_chain(tmp_path: Path) -> None:
    home = tmp_path / "solo"
    out = run("init", "--home", str(home), "--chain-id", "solo-1", "--p2p-port", "27300")
    assert out.exit_code == 0, out.stderr
    doc = load_genesis(home / "genesis.json")
    assert doc.chain_id == "solo-1" and len(doc.validators) == 1
    assert doc.validators[0].public_key.hex() == keys_show(home)["public_key"]
    config = tomllib.loads((home / "config.toml").read_text())
    assert config["p2p"]["port"] == 27300 and config["p2p"]["peers"] == []


def test_add_member_with_roles(tmp_path: Path) -> None:
    g = str(tmp_path / "g.json")
    member = format_address(PrivateKey(bytes([9]) * 32).address())
    assert run("genesis", "new", "--chain-id", "acme-1", "--out", g).exit_code == 0
    out = run(
        "genesis",
        "add-member",
        g,
        "--address",
        member,
        "--name",
        "Acme",
        "--roles",
        "issuer,custodian",
    )
    assert out.exit_code == 0, out.stderr
    data = json.loads(Path(g).read_text())
    assert data["members"] == [
        {"address": member, "name": "Acme", "roles": ["issuer", "custodian"]}
    ]
    again = run("genesis", "add-member", g, "--address", member, "--name", "Other")
    assert again.exit_code == 1 and "already a member" in one_error_line(again, "invalid_genesis")
    bad = run(
        "genesis",
        "add-member",
        g,
        "--address",
        format_address(bytes(20)),
        "--name",
        "X",
        "--roles",
        "king",
    )
    assert bad.exit_code == 1 and "king" in one_error_line(bad, "invalid_genesis")
    assert len(json.loads(Path(g).read_text())["members"]) == 1  # nothing changed
