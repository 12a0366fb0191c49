"""The genesis document: the chain id, the founding validators, initial point types and
balances, and chain parameters. JSON on disk; validated once on load with errors that name
the offending field.

The genesis hash is the domain-tagged hash of the canonical encoding of the document, so
two nodes agree on a chain only if they agree on every field.
"""

from __future__ import annotations

import json
import os
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
        """Write the JSON document whole or not at all (a temporary file, then a rename)."""
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        os.replace(tmp, path)


MAX_NAME_LEN = 64
MAX_POWER = 2**32
_TOP_FIELDS = ("chain_id", "genesis_time_ms", "validators", "assets", "balances", "params")
_VALIDATOR_FIELDS = ("name", "public_key", "power")
_ASSET_FIELDS = ("symbol", "name", "decimals", "cap", "issuer")
_BALANCE_FIELDS = ("address", "symbol", "amount")
_PARAM_FIELDS = ("max_block_txs", "block_gas_limit", "max_tx_gas")


def _object(obj: Any, allowed: tuple[str, ...], where: str) -> Mapping[str, Any]:
    """`obj` as a JSON object with no field outside `allowed` (a typo must not pass silently)."""
    if not isinstance(obj, Mapping):
        raise GenesisError(f"{where}: expected a JSON object")
    unknown = sorted(str(k) for k in obj if k not in allowed)
    if unknown:
        raise GenesisError(f"{where}: unknown field(s) {', '.join(map(repr, unknown))}")
    return obj


def _list(obj: Mapping[str, Any], key: str, where: str, *, required: bool) -> list[Any]:
    if key not in obj and not required:
        return []
    return list(_get(obj, key, list, where))


def _get(obj: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in obj:
        raise GenesisError(f"{where}: missing field {key!r}")
    value = obj[key]
    if kind is int and (type(value) is not int):
        raise GenesisError(f"{where}.{key}: expected an integer")
    if kind is not int and not isinstance(value, kind):
        raise GenesisError(f"{where}.{key}: expected {_KIND_NAMES.get(kind) or kind.__name__}")
    return value


_KIND_NAMES: dict[type, str] = {str: "a string", list: "a list", dict: "an object"}


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
        raise GenesisError(f"{where}: public key must be 32 bytes (64 hex digits)")
    return raw


def _validator(v: Any, where: str) -> GenesisValidator:
    v = _object(v, _VALIDATOR_FIELDS, where)
    return GenesisValidator(
        name=_get(v, "name", str, where),
        public_key=_hex_key(_get(v, "public_key", str, where), f"{where}.public_key"),
        power=_get(v, "power", int, where) if "power" in v else 1,
    )


def _asset(a: Any, where: str) -> GenesisAsset:
    a = _object(a, _ASSET_FIELDS, where)
    return GenesisAsset(
        symbol=_get(a, "symbol", str, where),
        name=_get(a, "name", str, where),
        decimals=_get(a, "decimals", int, where),
        cap=_get(a, "cap", int, where),
        issuer=_address(_get(a, "issuer", str, where), f"{where}.issuer"),
    )


def _balance(b: Any, where: str) -> GenesisBalance:
    b = _object(b, _BALANCE_FIELDS, where)
    return GenesisBalance(
        address=_address(_get(b, "address", str, where), f"{where}.address"),
        symbol=_get(b, "symbol", str, where),
        amount=_get(b, "amount", int, where),
    )


def parse_genesis(data: Mapping[str, Any], *, draft: bool = False) -> GenesisDoc:
    """Decode and validate a genesis JSON object; `draft=True` allows zero validators
    (a document still being assembled by `scctn genesis`), nothing else."""
    data = _object(data, _TOP_FIELDS, "genesis")
    chain_id = _get(data, "chain_id", str, "genesis")
    validators = tuple(
        _validator(v, f"genesis.validators[{i}]")
        for i, v in enumerate(_list(data, "validators", "genesis", required=True))
    )
    assets = tuple(
        _asset(a, f"genesis.assets[{i}]")
        for i, a in enumerate(_list(data, "assets", "genesis", required=False))
    )
    balances = tuple(
        _balance(b, f"genesis.balances[{i}]")
        for i, b in enumerate(_list(data, "balances", "genesis", required=False))
    )
    p = _object(data.get("params", {}), _PARAM_FIELDS, "genesis.params")
    params = ChainParams(**{k: _get(p, k, int, "genesis.params") for k in p})
    doc = GenesisDoc(
        chain_id=chain_id,
        genesis_time_ms=_get(data, "genesis_time_ms", int, "genesis"),
        validators=validators,
        assets=assets,
        balances=balances,
        params=params,
    )
    validate(doc, draft=draft)
    return doc


def validate(doc: GenesisDoc, *, draft: bool = False) -> None:
    """Raise GenesisError naming the first field that is wrong. A final genesis needs at
    least one validator; a draft (`draft=True`) may have none yet."""
    if not 1 <= len(doc.chain_id) <= 64:
        raise GenesisError("genesis.chain_id: 1 to 64 characters")
    if not 0 <= doc.genesis_time_ms <= codec.U64_MAX:
        raise GenesisError("genesis.genesis_time_ms: must be a non-negative 64-bit integer")
    _validate_validators(doc.validators, draft=draft)
    _validate_assets(doc.assets)
    _validate_balances(doc)
    for name in _PARAM_FIELDS:
        if not 0 < getattr(doc.params, name) <= codec.U64_MAX:
            raise GenesisError(f"genesis.params.{name}: must be positive")


def _validate_validators(validators: tuple[GenesisValidator, ...], *, draft: bool) -> None:
    if not validators and not draft:
        raise GenesisError(
            "genesis.validators: at least one validator is required "
            "(add them with `scctn genesis add-validator`)"
        )
    keys: dict[bytes, int] = {}
    names: dict[str, int] = {}
    for i, v in enumerate(validators):
        where = f"genesis.validators[{i}]"
        if not 1 <= len(v.name) <= MAX_NAME_LEN or not v.name.isprintable():
            raise GenesisError(f"{where}.name: 1 to {MAX_NAME_LEN} printable characters")
        if len(v.public_key) != 32:
            raise GenesisError(f"{where}.public_key: must be 32 bytes (64 hex digits)")
        if v.public_key in keys:
            raise GenesisError(
                f"{where}.public_key: a public key is listed twice "
                f"(also validators[{keys[v.public_key]}])"
            )
        if v.name in names:
            raise GenesisError(
                f"{where}.name: the name {v.name!r} is listed twice "
                f"(also validators[{names[v.name]}])"
            )
        if not 0 < v.power <= MAX_POWER:
            raise GenesisError(f"{where}.power: power must be positive and at most 2^32")
        keys[v.public_key] = i
        names[v.name] = i


def _validate_assets(assets: tuple[GenesisAsset, ...]) -> None:
    seen: set[str] = set()
    for i, a in enumerate(assets):
        where = f"genesis.assets[{i}]"
        if not ledger.SYMBOL_RE.match(a.symbol):
            raise GenesisError(
                f"{where}.symbol: invalid symbol {a.symbol!r} "
                "(2 to 12 capital letters or digits, starting with a letter)"
            )
        if a.symbol in seen:
            raise GenesisError(f"{where}.symbol: a symbol is listed twice ({a.symbol})")
        seen.add(a.symbol)
        if not 1 <= len(a.name) <= MAX_NAME_LEN:
            raise GenesisError(f"{where}.name: 1 to {MAX_NAME_LEN} characters")
        if not 0 <= a.decimals <= 18:
            raise GenesisError(f"{where}.decimals: decimals 0-18 ({a.symbol})")
        if not 0 < a.cap <= ledger.AMOUNT_MAX:
            raise GenesisError(f"{where}.cap: 0 < cap < 2^64 ({a.symbol})")
        if len(a.issuer) != 20:
            raise GenesisError(f"{where}.issuer: not an address")


def _validate_balances(doc: GenesisDoc) -> None:
    supply = {a.symbol: 0 for a in doc.assets}
    for i, b in enumerate(doc.balances):
        where = f"genesis.balances[{i}]"
        if b.symbol not in supply:
            raise GenesisError(f"{where}.symbol: unknown point type {b.symbol!r}")
        if b.amount <= 0:
            raise GenesisError(f"{where}.amount: amounts must be positive")
        if len(b.address) != 20:
            raise GenesisError(f"{where}.address: not an address")
        supply[b.symbol] += b.amount
    for i, a in enumerate(doc.assets):
        if supply[a.symbol] > a.cap:
            raise GenesisError(
                f"genesis.balances: {a.symbol} exceeds its cap "
                f"({supply[a.symbol]} > {a.cap}, genesis.assets[{i}].cap)"
            )


def load_genesis(path: Path, *, draft: bool = False) -> GenesisDoc:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise GenesisError(f"genesis file {path} not found") from exc
    except IsADirectoryError as exc:
        raise GenesisError(f"genesis file {path} is a directory") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise GenesisError(f"genesis file {path} is not valid JSON: {exc}") from exc
    return parse_genesis(data, draft=draft)
