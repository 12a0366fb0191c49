"""Assembling a genesis step by step: drafts, each step checked, a final document with a
hash every member can recompute, and decoding that names the offending field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from genesis import builder
from genesis.document import (
    GenesisAsset,
    GenesisBalance,
    GenesisError,
    load_genesis,
    parse_genesis,
    validate,
)
from primitives.keys import PrivateKey, format_address

KEYS = [PrivateKey(bytes([i]) * 32) for i in range(1, 5)]
ISSUER = KEYS[0].address()


def assembled() -> builder.GenesisDoc:
    doc = builder.new_draft("acme-1", 1_700_000_000_000)
    for i, key in enumerate(KEYS):
        doc = builder.add_validator(doc, f"member-{i}", key.public.raw, power=1 + i)
    doc = builder.add_asset(doc, GenesisAsset("ALP", "Alliance Points", 2, 1_000, ISSUER))
    return builder.add_balance(doc, GenesisBalance(KEYS[1].address(), "ALP", 400))


def test_a_draft_has_no_validators_and_is_not_a_final_genesis(tmp_path: Path) -> None:
    draft = builder.new_draft("acme-1", 5)
    assert draft.validators == () and draft.assets == () and draft.balances == ()
    draft.save(tmp_path / "g.json")
    assert builder.load_draft(tmp_path / "g.json") == draft
    with pytest.raises(GenesisError, match="at least one validator"):
        load_genesis(tmp_path / "g.json")
    with pytest.raises(GenesisError, match="at least one validator"):
        builder.finalize(draft)


def test_the_same_steps_give_the_same_document_and_hash(tmp_path: Path) -> None:
    doc = builder.finalize(assembled())
    assert [v.name for v in doc.validators] == ["member-0", "member-1", "member-2", "member-3"]
    assert [v.power for v in doc.validators] == [1, 2, 3, 4]
    assert assembled().hash() == doc.hash()
    doc.save(tmp_path / "g.json")
    loaded = load_genesis(tmp_path / "g.json")
    assert loaded == doc and loaded.hash() == doc.hash()
    # every field is in the hash: one more validator, or another time, is another chain
    assert builder.add_validator(doc, "late", b"\x09" * 32).hash() != doc.hash()
    assert builder.new_draft("acme-1", 1).hash() != builder.new_draft("acme-1", 2).hash()


@pytest.mark.parametrize(
    ("step", "fragment"),
    [
        (
            lambda d: builder.add_validator(d, "x", KEYS[0].public.raw),
            "already listed as 'member-0'",
        ),
        (lambda d: builder.add_validator(d, "member-1", b"\x07" * 32), "'member-1' is already"),
        (lambda d: builder.add_validator(d, "x", b"\x07" * 32, power=0), r"validators\[4\].power"),
        (lambda d: builder.add_validator(d, "", b"\x07" * 32), r"validators\[4\].name"),
        (lambda d: builder.add_validator(d, "x", b"\x07" * 31), "32 bytes"),
        (lambda d: builder.add_asset(d, GenesisAsset("ALP", "A", 0, 5, ISSUER)), "already listed"),
        (lambda d: builder.add_asset(d, GenesisAsset("a", "A", 0, 5, ISSUER)), "invalid symbol"),
        (lambda d: builder.add_asset(d, GenesisAsset("GEM", "G", 19, 5, ISSUER)), "decimals"),
        (lambda d: builder.add_asset(d, GenesisAsset("GEM", "G", 0, 0, ISSUER)), r"\.cap"),
        (
            lambda d: builder.add_balance(d, GenesisBalance(ISSUER, "GEM", 1)),
            "unknown point type 'GEM'",
        ),
        (
            lambda d: builder.add_balance(d, GenesisBalance(KEYS[1].address(), "ALP", 1)),
            "already holds ALP",
        ),
        (lambda d: builder.add_balance(d, GenesisBalance(ISSUER, "ALP", 601)), "exceeds its cap"),
        (lambda d: builder.add_balance(d, GenesisBalance(ISSUER, "ALP", 0)), "must be positive"),
    ],
)
def test_a_step_that_would_break_the_document_is_refused(step: Any, fragment: str) -> None:
    before = assembled()
    with pytest.raises(GenesisError, match=fragment):
        step(before)
    assert before == assembled()  # documents are values: a refused step changes nothing


def good_json() -> dict[str, Any]:
    return json.loads(json.dumps(builder.finalize(assembled()).to_json()))


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda g: g.update(asset=[]), "genesis: unknown field\\(s\\) 'asset'"),
        (lambda g: g["validators"][0].update(pubkey="00"), r"validators\[0\]: unknown field"),
        (lambda g: g["validators"].__setitem__(1, "member-1"), r"validators\[1\]: expected a JSON"),
        (lambda g: g.update(assets="ALP"), "genesis.assets: expected a list"),
        (lambda g: g["params"].update(max_block=1), "genesis.params: unknown field"),
        (lambda g: g["params"].update(max_tx_gas=0), "genesis.params.max_tx_gas"),
        (lambda g: g.update(genesis_time_ms=-1), "genesis_time_ms"),
        (lambda g: g["validators"][2].update(name="member-0"), r"validators\[2\].name.*twice"),
        (lambda g: g["validators"][3].update(power=2**40), r"validators\[3\].power"),
        (lambda g: g["validators"][1].update(public_key="ab" * 31), r"validators\[1\].public_key"),
        (lambda g: g["balances"][0].update(address="scc1xyz"), r"balances\[0\].address"),
        (lambda g: g.update(chain_id=""), "chain_id"),
    ],
)
def test_decoding_names_the_field(mutate: Any, fragment: str) -> None:
    g = good_json()
    mutate(g)
    with pytest.raises(GenesisError, match=fragment):
        parse_genesis(g)


def test_a_draft_is_checked_like_a_final_genesis_except_for_validators() -> None:
    g = good_json()
    g["validators"] = []
    assert parse_genesis(g, draft=True).validators == ()
    g["balances"][0]["amount"] = 10**6
    with pytest.raises(GenesisError, match="exceeds its cap"):
        parse_genesis(g, draft=True)
    validate(builder.finalize(assembled()))


def test_the_json_file_is_the_documented_shape(tmp_path: Path) -> None:
    builder.finalize(assembled()).save(tmp_path / "g.json")
    data = json.loads((tmp_path / "g.json").read_text())
    assert list(data) == [
        "chain_id",
        "genesis_time_ms",
        "validators",
        "assets",
        "balances",
        "params",
        "members",
    ]
    assert data["validators"][0] == {
        "name": "member-0",
        "public_key": KEYS[0].public.hex(),
        "power": 1,
    }
    assert data["assets"][0]["issuer"] == format_address(ISSUER)
    assert not list(tmp_path.glob("*.tmp"))  # written through a temporary file, then renamed


def test_genesis_balances_follow_the_holder_rules() -> None:
    from genesis.document import GenesisAsset, GenesisBalance, GenesisError

    doc = builder.finalize(assembled())
    issuer = doc.assets[0].issuer
    gated = GenesisAsset("GATE", "Gated", 0, 100, issuer, rules=("require_auth",))
    draft = builder.add_asset(doc, gated)
    draft = builder.add_balance(draft, GenesisBalance(bytes(20), "GATE", 5))  # a draft allows it
    with pytest.raises(GenesisError, match=r"genesis.balances\[\d+\]: .*not authorised"):
        builder.finalize(draft)
    builder.finalize(
        builder.add_balance(builder.add_asset(doc, gated), GenesisBalance(issuer, "GATE", 5))
    )
