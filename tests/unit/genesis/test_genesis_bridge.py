"""The genesis `bridge` section (genesis/document.py, genesis/state.py): parsed, validated
with errors naming the field, and built into the bridge's state with valset 1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from genesis import builder
from genesis.document import (
    GenesisBridge,
    GenesisBridgeKey,
    GenesisError,
    load_genesis,
    parse_genesis,
)
from genesis.state import genesis_state
from primitives import eth
from primitives.keys import PrivateKey, format_address
from scctn_node.cli.main import cli
from vm import bridge_state, ledger
from vm.state import EmptyState, StateView

CHAIN = "acme-1"
V = [PrivateKey(bytes([i + 1]) * 32) for i in range(3)]
EK = [bytes([0x50 + i]) * 32 for i in range(3)]
VAULT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _key(i: int, chain: str = CHAIN) -> dict[str, str]:
    address = eth.address_of_private_key(EK[i])
    digest = eth.key_binding_digest(chain, V[i].public.raw, address)
    return {
        "public_key": V[i].public.raw.hex(),
        "eth_address": eth.to_checksum(address),
        "proof": "0x" + eth.sign(EK[i], digest).hex(),
    }


def _doc(bridge_section: dict[str, Any] | None = None, **over: Any) -> dict[str, Any]:
    section = {
        "eth_chain_id": 1,
        "vault": VAULT,
        "token_decimals": 18,
        "wrapped_decimals": 8,
        "withdraw_ttl": 86_400,
        "symbol": "SCCTN",
        "validators": [_key(i) for i in range(3)],
    }
    section.update(over)
    return {
        "chain_id": CHAIN,
        "genesis_time_ms": 1,
        "validators": [
            {"name": f"v{i}", "public_key": v.public.raw.hex()} for i, v in enumerate(V)
        ],
        "bridge": section if bridge_section is None else bridge_section,
    }


def _state(doc: Any) -> StateView:
    state = StateView(EmptyState())
    for k, v in genesis_state(doc):
        state.put(k, v)
    return state


def test_bridge_section_builds_the_state() -> None:
    doc = parse_genesis(_doc())
    state = _state(doc)
    config = bridge_state.get_config(state)
    assert config == bridge_state.Config(1, eth.parse_eth_address(VAULT), 18, 8, 86_400, "SCCTN")
    asset = ledger.get_asset(state, "SCCTN")
    assert asset is not None and asset.issuer == bridge_state.MODULE and asset.decimals == 8
    one = bridge_state.get_valset(state, 1)
    assert one is not None
    assert one.addresses == tuple(sorted(eth.address_of_private_key(k) for k in EK))
    assert bridge_state.get_status(state).valset_nonce == 1
    # the JSON round trip keeps the document and its hash
    again = parse_genesis(doc.to_json())
    assert again == doc and again.hash() == doc.hash()


def test_without_bridge_the_hash_is_unchanged() -> None:
    plain = _doc()
    del plain["bridge"]
    doc = parse_genesis(plain)
    assert doc.bridge is None and len(doc.to_wire()) == 7
    assert "bridge" not in doc.to_json()


def test_vault_may_be_empty_and_defaults_apply() -> None:
    doc = parse_genesis(_doc({"eth_chain_id": 31337, "vault": ""}))
    assert doc.bridge == GenesisBridge(31337)
    state = _state(doc)
    assert bridge_state.get_config(state).vault == b""  # type: ignore[union-attr]
    assert bridge_state.get_status(state).valset_nonce == 0  # no keys: no valset yet


@pytest.mark.parametrize(
    ("over", "where"),
    [
        ({"eth_chain_id": 0}, "eth_chain_id"),
        ({"eth_chain_id": "1"}, "genesis.bridge.eth_chain_id"),
        ({"vault": "0x1234"}, "genesis.bridge.vault"),
        ({"vault": "0x5FbDB2315678afecb367f032d93F642f64180aA3"}, "checksum"),
        ({"token_decimals": 6, "wrapped_decimals": 8}, "wrapped_decimals"),
        ({"token_decimals": 40}, "token_decimals"),
        ({"withdraw_ttl": 1}, "withdraw_ttl"),
        ({"symbol": "scctn"}, "symbol"),
        ({"extra": 1}, "unknown field"),
        ({"validators": [_key(0, chain="other")]}, "validators[0].proof"),
        ({"validators": [{**_key(0), "eth_address": _key(1)["eth_address"]}]}, "proof"),
        ({"validators": [_key(0), _key(0)]}, "validators[1]"),
        ({"validators": [{**_key(0), "proof": "0x00"}]}, "validators[0].proof"),
        ({"validators": [{**_key(0), "public_key": "11" * 32}]}, "not a validator"),
    ],
)
def test_bad_values_name_the_field(over: dict[str, Any], where: str) -> None:
    with pytest.raises(GenesisError) as err:
        parse_genesis(_doc(**over))
    assert where in err.value.message


def test_symbol_clash_with_an_asset() -> None:
    data = _doc()
    data["assets"] = [
        {
            "symbol": "SCCTN",
            "name": "x",
            "decimals": 0,
            "cap": 10,
            "issuer": format_address(V[0].address()),
        }
    ]
    with pytest.raises(GenesisError) as err:
        parse_genesis(data)
    assert "genesis.bridge.symbol" in err.value.message


def test_builder_sets_the_bridge() -> None:
    doc = builder.new_draft(CHAIN, 1)
    for i, v in enumerate(V):
        doc = builder.add_validator(doc, f"v{i}", v.public.raw)
    key = _key(0)
    section = GenesisBridge(
        1,
        validators=(
            GenesisBridgeKey(
                V[0].public.raw,
                eth.parse_eth_address(key["eth_address"]),
                bytes.fromhex(key["proof"][2:]),
            ),
        ),
    )
    doc = builder.set_bridge(doc, section)
    assert builder.finalize(doc).bridge == section
    with pytest.raises(GenesisError):
        builder.set_bridge(doc, GenesisBridge(0))
    assert builder.set_bridge(doc, None).bridge is None


def test_cli_set_bridge(tmp_path: Path) -> None:
    g = str(tmp_path / "g.json")
    assert run("genesis", "new", "--chain-id", CHAIN, "--out", g, "--time-ms", "1").exit_code == 0
    for i, v in enumerate(V):
        out = run("genesis", "add-validator", g, "--name", f"v{i}", "--public-key", v.public.hex())
        assert out.exit_code == 0, out.stderr
    keys = [f"{k['public_key']}:{k['eth_address']}:{k['proof']}" for k in map(_key, range(3))]
    args = ["genesis", "set-bridge", g, "--eth-chain-id", "1", "--vault", VAULT]
    out = run(*args, *(x for k in keys for x in ("--key", k)))
    assert out.exit_code == 0, out.stderr
    doc = load_genesis(Path(g))
    assert doc.bridge is not None and len(doc.bridge.validators) == 3
    assert bridge_state.get_status(_state(doc)).valset_nonce == 1
    bad = run(*args, "--key", keys[0].replace(CHAIN, "x") + "00")
    assert bad.exit_code == 1 and bad.stderr.startswith("error: invalid_genesis: ")
    bad = run(*args, "--key", "nope")
    assert bad.exit_code == 1 and "expected PUBLIC_KEY:ETH_ADDRESS:PROOF" in bad.stderr
