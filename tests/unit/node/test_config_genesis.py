"""Config files with environment overrides, and genesis validation with clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from genesis.document import GenesisError, load_genesis, parse_genesis
from primitives.keys import PrivateKey, format_address
from scctn_node.config import default_config, load_config
from scctn_node.errors import ConfigError

KEY = PrivateKey(b"\x01" * 32)


def write_config(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text)


def test_config_round_trip_and_env_override(tmp_path: Path) -> None:
    cfg = default_config(tmp_path, api={"port": 1234})
    write_config(tmp_path, cfg.to_toml())
    assert load_config(tmp_path, env={}).api.port == 1234
    loaded = load_config(tmp_path, env={"SCCTN_API_PORT": "9999", "SCCTN_LOG_FORMAT": "json"})
    assert loaded.api.port == 9999 and loaded.log.format == "json"


@pytest.mark.parametrize(
    ("text", "env", "fragment"),
    [
        ("[api]\nprot = 1\n", {}, "unknown setting"),
        ("[nope]\n", {}, "unknown config section"),
        ("[api]\nport = 'x'\n", {}, "must be an integer"),
        ("[log]\nformat = 'xml'\n", {}, "format"),
        ("", {"SCCTN_API_PORT": "eighty"}, "must be an integer"),
        ("[api\n", {}, "config.toml"),
    ],
)
def test_config_errors_are_clear(
    tmp_path: Path, text: str, env: dict[str, str], fragment: str
) -> None:
    write_config(tmp_path, text)
    with pytest.raises(ConfigError, match=fragment):
        load_config(tmp_path, env=env)


def test_missing_config_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="scctn init"):
        load_config(tmp_path / "none", env={})


def good_genesis() -> dict[str, object]:
    return {
        "chain_id": "c1",
        "genesis_time_ms": 5,
        "validators": [{"name": "v", "public_key": KEY.public.hex(), "power": 1}],
        "assets": [
            {
                "symbol": "ALP",
                "name": "A",
                "decimals": 2,
                "cap": 100,
                "issuer": format_address(KEY.address()),
            }
        ],
        "balances": [{"address": format_address(KEY.address()), "symbol": "ALP", "amount": 60}],
    }


def test_genesis_round_trip_and_hash(tmp_path: Path) -> None:
    doc = parse_genesis(good_genesis())
    doc.save(tmp_path / "g.json")
    again = load_genesis(tmp_path / "g.json")
    assert again == doc and again.hash() == doc.hash()


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda g: g.pop("chain_id"), "missing field 'chain_id'"),
        (lambda g: g.update(validators=[]), "at least one validator"),
        (lambda g: g["validators"].append(dict(g["validators"][0])), "listed twice"),
        (lambda g: g["validators"][0].update(public_key="zz"), "not hex"),
        (lambda g: g["balances"][0].update(amount=101), "exceeds its cap"),
        (lambda g: g["balances"][0].update(symbol="NOPE"), "unknown point type"),
        (lambda g: g["assets"][0].update(symbol="a"), "invalid symbol"),
        (lambda g: g["assets"][0].update(issuer="scc1bad"), "assets\\[0\\].issuer"),
        (lambda g: g["validators"][0].update(power="1"), "expected an integer"),
    ],
)
def test_genesis_errors_name_the_field(mutate, fragment: str) -> None:  # type: ignore[no-untyped-def]
    g = json.loads(json.dumps(good_genesis()))
    mutate(g)
    with pytest.raises(GenesisError, match=fragment):
        parse_genesis(g)


def test_genesis_file_errors(tmp_path: Path) -> None:
    with pytest.raises(GenesisError, match="not found"):
        load_genesis(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(GenesisError, match="not valid JSON"):
        load_genesis(tmp_path / "bad.json")
