"""The genesis document: the chain id, the founding validators, initial point types and
balances, and chain parameters. JSON on disk; validated once on load with errors that name
the offending field.

The genesis hash is the domain-tagged hash of the canonical encoding of the document, so
two nodes agree on a chain only if they agree on every field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from primitives import codec
from primitives.errors import InvalidAddress
from primitives.hashing import Digest, Tags, digest
from primitives.keys import format_address, parse_address
from vm import ledger


class GenesisError(Exception):
    code = "invalid_genesis"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class GenesisValidator:
    name: str
    public_key: bytes
    power: int = 1


@dataclass(frozen=True, slots=True)
class GenesisAsset:
    symbol: str
    name: str
    decimals: int
    cap: int
    issuer: bytes  # address


@dataclass(frozen=True, slots=True)
class GenesisBalance:
    address: bytes
    symbol: str
    amount: int


@dataclass(frozen=True, slots=True)
class ChainParams:
    max_block_txs: int = 5_000
    block_gas_limit: int = 50_000_000
    max_tx_gas: int = 5_000_000


@dataclass(frozen=True, slots=True)
class GenesisDoc:
    chain_id: str
    genesis_time_ms: int
    validators: tuple[GenesisValidator, ...]
    assets: tuple[GenesisAsset, ...] = ()
    balances: tuple[GenesisBalance, ...] = ()
    params: ChainParams = field(default_factory=ChainParams)

    def to_wire(self) -> list[object]:
        p = self.params
        return [
            self.chain_id,
            self.genesis_time_ms,
            [[v.name, v.public_key, v.power] for v in self.validators],
            [[a.symbol, a.name, a.decimals, a.cap, a.issuer] for a in self.assets],
            [[b.address, b.symbol, b.amount] for b in self.balances],
            [p.max_block_txs, p.block_gas_limit, p.max_tx_gas],
        ]

    def hash(self) -> Digest:
        return digest(Tags.GENESIS, codec.encode(self.to_wire()))

    def to_json(self) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id,
            "genesis_time_ms": self.genesis_time_ms,
            "validators": [
                {"name": v.name, "public_key": v.public_key.hex(), "power": v.power}
                for v in self.validators
            ],
            "assets": [
                {
                    "symbol": a.symbol,
                    "name": a.name,
                    "decimals": a.decimals,
                    "cap": a.cap,
                    "issuer": format_address(a.issuer),
                }
                for a in self.assets
            ],
            "balances": [
                {"address": format_address(b.address), "symbol": b.symbol, "amount": b.amount}
                for b in self.balances
            ],
            "params": {
                "max_block_txs": self.params.max_block_txs,
                "block_gas_limit": self.params.block_gas_limit,
                "max_tx_gas": self.params.max_tx_gas,
            },
        }

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n")


def _get(obj: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in obj:
        raise GenesisError(f"{where}: missing field {key!r}")
    value = obj[key]
    if kind is int and (type(value) is not int):
        raise GenesisError(f"{where}.{key}: expected an integer")
    if kind is not int and not isinstance(value, kind):
        raise GenesisError(f"{where}.{key}: expected {kind.__name__}")
    return value


def _address(text: Any, where: str) -> bytes:
    try:
        return parse_address(text)
    except InvalidAddress as exc:
        raise GenesisError(f"{where}: {exc.message}") from exc


def _hex_key(text: Any, where: str) -> bytes:
    try:
        raw = bytes.fromhex(text)
    except (TypeError, ValueError) as exc:
        raise GenesisError(f"{where}: public key is not hex") from exc
    if len(raw) != 32:
        raise GenesisError(f"{where}: public key must be 32 bytes")
    return raw


def parse_genesis(data: Mapping[str, Any]) -> GenesisDoc:
    if not isinstance(data, Mapping):
        raise GenesisError("genesis must be a JSON object")
    chain_id = _get(data, "chain_id", str, "genesis")
    if not 1 <= len(chain_id) <= 64:
        raise GenesisError("genesis.chain_id: 1 to 64 characters")
    validators = tuple(
        GenesisValidator(
            name=_get(v, "name", str, f"validators[{i}]"),
            public_key=_hex_key(_get(v, "public_key", str, f"validators[{i}]"), f"validators[{i}]"),
            power=_get(v, "power", int, f"validators[{i}]") if "power" in v else 1,
        )
        for i, v in enumerate(_get(data, "validators", list, "genesis"))
    )
    assets = tuple(
        GenesisAsset(
            symbol=_get(a, "symbol", str, f"assets[{i}]"),
            name=_get(a, "name", str, f"assets[{i}]"),
            decimals=_get(a, "decimals", int, f"assets[{i}]"),
            cap=_get(a, "cap", int, f"assets[{i}]"),
            issuer=_address(_get(a, "issuer", str, f"assets[{i}]"), f"assets[{i}].issuer"),
        )
        for i, a in enumerate(data.get("assets", []))
    )
    balances = tuple(
        GenesisBalance(
            address=_address(_get(b, "address", str, f"balances[{i}]"), f"balances[{i}].address"),
            symbol=_get(b, "symbol", str, f"balances[{i}]"),
            amount=_get(b, "amount", int, f"balances[{i}]"),
        )
        for i, b in enumerate(data.get("balances", []))
    )
    p = data.get("params", {})
    params = ChainParams(**{k: _get(p, k, int, "params") for k in p}) if p else ChainParams()
    doc = GenesisDoc(
        chain_id=chain_id,
        genesis_time_ms=_get(data, "genesis_time_ms", int, "genesis"),
        validators=validators,
        assets=assets,
        balances=balances,
        params=params,
    )
    validate(doc)
    return doc


def validate(doc: GenesisDoc) -> None:
    if not doc.validators:
        raise GenesisError("genesis.validators: at least one validator is required")
    keys = [v.public_key for v in doc.validators]
    if len(set(keys)) != len(keys):
        raise GenesisError("genesis.validators: a public key is listed twice")
    if any(v.power <= 0 for v in doc.validators):
        raise GenesisError("genesis.validators: power must be positive")
    symbols = [a.symbol for a in doc.assets]
    if len(set(symbols)) != len(symbols):
        raise GenesisError("genesis.assets: a symbol is listed twice")
    for a in doc.assets:
        if not ledger.SYMBOL_RE.match(a.symbol):
            raise GenesisError(f"genesis.assets: invalid symbol {a.symbol!r}")
        if not 0 <= a.decimals <= 18 or not 0 < a.cap <= ledger.AMOUNT_MAX:
            raise GenesisError(f"genesis.assets[{a.symbol}]: decimals 0-18 and 0 < cap < 2^64")
    supply = {s: 0 for s in symbols}
    for b in doc.balances:
        if b.symbol not in supply:
            raise GenesisError(f"genesis.balances: unknown point type {b.symbol!r}")
        if b.amount <= 0:
            raise GenesisError("genesis.balances: amounts must be positive")
        supply[b.symbol] += b.amount
    for a in doc.assets:
        if supply[a.symbol] > a.cap:
            raise GenesisError(f"genesis.balances: {a.symbol} exceeds its cap")


def load_genesis(path: Path) -> GenesisDoc:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise GenesisError(f"genesis file {path} not found") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise GenesisError(f"genesis file {path} is not valid JSON: {exc}") from exc
    return parse_genesis(data)
