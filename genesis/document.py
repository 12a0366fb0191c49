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
from vm import bridge_state, governance, ledger
from vm.ops.registry import CODE_BY_NAME


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
    rules: tuple[str, ...] = ("transferable", "tradeable")
    expiry_blocks: int = 0
    spend_order: str = "oldest_first"
    currency: str = ""
    unit_value: int = 0


@dataclass(frozen=True, slots=True)
class GenesisMember:
    """A founding member of the alliance and its roles (see vm/governance.py)."""

    address: bytes
    name: str
    roles: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GenesisBalance:
    address: bytes
    symbol: str
    amount: int


@dataclass(frozen=True, slots=True)
class GenesisBridgeKey:
    """A founding validator's bridge key: its secp256k1 address and the binding proof
    (its recoverable signature of primitives.eth.key_binding_digest)."""

    public_key: bytes  # the validator's Ed25519 key
    eth_address: bytes
    proof: bytes


@dataclass(frozen=True, slots=True)
class GenesisBridge:
    """The Ethereum bridge at genesis (vm/bridge.py); the vault may be empty (not yet
    deployed: governance sets it with bridge.configure)."""

    eth_chain_id: int
    vault: bytes = b""
    token_decimals: int = 18
    wrapped_decimals: int = 8
    withdraw_ttl: int = 86_400
    symbol: str = "SCCTN"
    validators: tuple[GenesisBridgeKey, ...] = ()

    def config(self) -> bridge_state.Config:
        """The bridge module's configuration that this section sets at genesis."""
        return bridge_state.Config(
            self.eth_chain_id,
            self.vault,
            self.token_decimals,
            self.wrapped_decimals,
            self.withdraw_ttl,
            self.symbol,
        )

    def to_wire(self) -> list[object]:
        return [
            self.eth_chain_id,
            self.vault,
            self.token_decimals,
            self.wrapped_decimals,
            self.withdraw_ttl,
            self.symbol,
            [[k.public_key, k.eth_address, k.proof] for k in self.validators],
        ]

    def to_json(self) -> dict[str, Any]:
        from primitives import eth

        return {
            "eth_chain_id": self.eth_chain_id,
            "vault": eth.to_checksum(self.vault) if self.vault else "",
            "token_decimals": self.token_decimals,
            "wrapped_decimals": self.wrapped_decimals,
            "withdraw_ttl": self.withdraw_ttl,
            "symbol": self.symbol,
            "validators": [
                {
                    "public_key": k.public_key.hex(),
                    "eth_address": eth.to_checksum(k.eth_address),
                    "proof": "0x" + k.proof.hex(),
                }
                for k in self.validators
            ],
        }


@dataclass(frozen=True, slots=True)
class ChainParams:
    """Chain parameters at genesis (governance changes them later; vm/params.py)."""

    max_block_txs: int = 5_000
    block_gas_limit: int = 50_000_000
    max_tx_gas: int = 5_000_000
    tx_base_gas: int = 1_000
    fee_symbol: str = ""
    gas_price: int = 0
    max_voting_blocks: int = 1_000_000
    gas: tuple[tuple[str, int, int], ...] = ()  # overrides of the default gas schedule

    def to_wire(self) -> list[object]:
        return [
            self.max_block_txs,
            self.block_gas_limit,
            self.max_tx_gas,
            self.tx_base_gas,
            self.fee_symbol,
            self.gas_price,
            self.max_voting_blocks,
            [list(g) for g in self.gas],
        ]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {n: getattr(self, n) for n in _INT_PARAMS}
        out["fee_symbol"] = self.fee_symbol
        out["gas"] = {name: [base, item] for name, base, item in self.gas}
        return out


@dataclass(frozen=True, slots=True)
class GenesisDoc:
    chain_id: str
    genesis_time_ms: int
    validators: tuple[GenesisValidator, ...]
    assets: tuple[GenesisAsset, ...] = ()
    balances: tuple[GenesisBalance, ...] = ()
    params: ChainParams = field(default_factory=ChainParams)
    members: tuple[GenesisMember, ...] = ()
    bridge: GenesisBridge | None = None

    def to_wire(self) -> list[object]:
        p = self.params
        # the bridge is appended only when present: documents without one keep their hash
        tail: list[object] = [] if self.bridge is None else [self.bridge.to_wire()]
        return [
            self.chain_id,
            self.genesis_time_ms,
            [[v.name, v.public_key, v.power] for v in self.validators],
            [
                [
                    a.symbol,
                    a.name,
                    a.decimals,
                    a.cap,
                    a.issuer,
                    list(a.rules),
                    a.expiry_blocks,
                    a.spend_order,
                    a.currency,
                    a.unit_value,
                ]
                for a in self.assets
            ],
            [[b.address, b.symbol, b.amount] for b in self.balances],
            p.to_wire(),
            [[m.address, m.name, list(m.roles)] for m in self.members],
            *tail,
        ]

    def hash(self) -> Digest:
        return digest(Tags.GENESIS, codec.encode(self.to_wire()))

    def to_json(self) -> dict[str, Any]:
        out = self._to_json()
        if self.bridge is not None:
            out["bridge"] = self.bridge.to_json()
        return out

    def _to_json(self) -> dict[str, Any]:
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
                    "rules": list(a.rules),
                    "expiry_blocks": a.expiry_blocks,
                    "spend_order": a.spend_order,
                    "currency": a.currency,
                    "unit_value": a.unit_value,
                }
                for a in self.assets
            ],
            "balances": [
                {"address": format_address(b.address), "symbol": b.symbol, "amount": b.amount}
                for b in self.balances
            ],
            "params": self.params.to_json(),
            "members": [
                {"address": format_address(m.address), "name": m.name, "roles": list(m.roles)}
                for m in self.members
            ],
        }

    def save(self, path: Path) -> None:
        """Write the JSON document whole or not at all (a temporary file, then a rename)."""
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        os.replace(tmp, path)


MAX_NAME_LEN = 64
MAX_POWER = 2**32
_TOP_FIELDS = (
    "chain_id",
    "genesis_time_ms",
    "validators",
    "assets",
    "balances",
    "params",
    "members",
    "bridge",
)
_BRIDGE_FIELDS = (
    "eth_chain_id",
    "vault",
    "token_decimals",
    "wrapped_decimals",
    "withdraw_ttl",
    "symbol",
    "validators",
)
_BRIDGE_KEY_FIELDS = ("public_key", "eth_address", "proof")
_VALIDATOR_FIELDS = ("name", "public_key", "power")
_ASSET_REQUIRED = ("symbol", "name", "decimals", "cap", "issuer")
_ASSET_FIELDS = (
    *_ASSET_REQUIRED,
    "rules",
    "expiry_blocks",
    "spend_order",
    "currency",
    "unit_value",
)
_BALANCE_FIELDS = ("address", "symbol", "amount")
_MEMBER_FIELDS = ("address", "name", "roles")
_INT_PARAMS = (
    "max_block_txs",
    "block_gas_limit",
    "max_tx_gas",
    "tx_base_gas",
    "gas_price",
    "max_voting_blocks",
)
_PARAM_FIELDS = (*_INT_PARAMS, "fee_symbol", "gas")


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


def _strings(
    obj: Mapping[str, Any], key: str, where: str, default: tuple[str, ...]
) -> tuple[str, ...]:
    if key not in obj:
        return default
    items = _get(obj, key, list, where)
    if not all(isinstance(i, str) for i in items):
        raise GenesisError(f"{where}.{key}: expected a list of strings")
    return tuple(items)


def _asset(a: Any, where: str) -> GenesisAsset:
    a = _object(a, _ASSET_FIELDS, where)
    d = GenesisAsset("", "", 0, 0, b"")
    return GenesisAsset(
        symbol=_get(a, "symbol", str, where),
        name=_get(a, "name", str, where),
        decimals=_get(a, "decimals", int, where),
        cap=_get(a, "cap", int, where),
        issuer=_address(_get(a, "issuer", str, where), f"{where}.issuer"),
        rules=_strings(a, "rules", where, d.rules),
        expiry_blocks=_get(a, "expiry_blocks", int, where) if "expiry_blocks" in a else 0,
        spend_order=_get(a, "spend_order", str, where) if "spend_order" in a else d.spend_order,
        currency=_get(a, "currency", str, where) if "currency" in a else "",
        unit_value=_get(a, "unit_value", int, where) if "unit_value" in a else 0,
    )


def _member(m: Any, where: str) -> GenesisMember:
    m = _object(m, _MEMBER_FIELDS, where)
    return GenesisMember(
        address=_address(_get(m, "address", str, where), f"{where}.address"),
        name=_get(m, "name", str, where),
        roles=_strings(m, "roles", where, ()),
    )


def _params(p: Any) -> ChainParams:
    p = _object(p, _PARAM_FIELDS, "genesis.params")
    values: dict[str, Any] = {k: _get(p, k, int, "genesis.params") for k in _INT_PARAMS if k in p}
    if "fee_symbol" in p:
        values["fee_symbol"] = _get(p, "fee_symbol", str, "genesis.params")
    if "gas" in p:
        gas = _object(
            _get(p, "gas", dict, "genesis.params"), tuple(CODE_BY_NAME), "genesis.params.gas"
        )
        rows = []
        for name, v in sorted(gas.items()):
            if not (
                isinstance(v, list) and len(v) == 2 and all(type(x) is int and x >= 0 for x in v)
            ):
                raise GenesisError(
                    f"genesis.params.gas.{name}: expected [gas per op, gas per item]"
                )
            rows.append((name, v[0], v[1]))
        values["gas"] = tuple(rows)
    return ChainParams(**values)


def _balance(b: Any, where: str) -> GenesisBalance:
    b = _object(b, _BALANCE_FIELDS, where)
    return GenesisBalance(
        address=_address(_get(b, "address", str, where), f"{where}.address"),
        symbol=_get(b, "symbol", str, where),
        amount=_get(b, "amount", int, where),
    )


def _eth_address(text: Any, where: str, *, optional: bool = False) -> bytes:
    from primitives import eth

    if optional and text == "":
        return b""
    try:
        return eth.parse_eth_address(text)
    except eth.InvalidEthAddress as exc:
        raise GenesisError(f"{where}: {exc.message}") from exc


def _bridge_key(k: Any, where: str) -> GenesisBridgeKey:
    k = _object(k, _BRIDGE_KEY_FIELDS, where)
    proof_text = _get(k, "proof", str, where)
    try:
        proof = bytes.fromhex(proof_text[2:] if proof_text.startswith("0x") else proof_text)
    except ValueError as exc:
        raise GenesisError(f"{where}.proof: not hex") from exc
    return GenesisBridgeKey(
        public_key=_hex_key(_get(k, "public_key", str, where), f"{where}.public_key"),
        eth_address=_eth_address(_get(k, "eth_address", str, where), f"{where}.eth_address"),
        proof=proof,
    )


def parse_bridge_section(b: Any) -> GenesisBridge:
    where = "genesis.bridge"
    b = _object(b, _BRIDGE_FIELDS, where)
    d = GenesisBridge(0)
    return GenesisBridge(
        eth_chain_id=_get(b, "eth_chain_id", int, where),
        vault=_eth_address(b.get("vault", ""), f"{where}.vault", optional=True),
        token_decimals=_get(b, "token_decimals", int, where)
        if "token_decimals" in b
        else d.token_decimals,
        wrapped_decimals=_get(b, "wrapped_decimals", int, where)
        if "wrapped_decimals" in b
        else d.wrapped_decimals,
        withdraw_ttl=_get(b, "withdraw_ttl", int, where) if "withdraw_ttl" in b else d.withdraw_ttl,
        symbol=_get(b, "symbol", str, where) if "symbol" in b else d.symbol,
        validators=tuple(
            _bridge_key(k, f"{where}.validators[{i}]")
            for i, k in enumerate(_list(b, "validators", where, required=False))
        ),
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
    params = _params(data.get("params", {}))
    members = tuple(
        _member(m, f"genesis.members[{i}]")
        for i, m in enumerate(_list(data, "members", "genesis", required=False))
    )
    doc = GenesisDoc(
        chain_id=chain_id,
        genesis_time_ms=_get(data, "genesis_time_ms", int, "genesis"),
        validators=validators,
        assets=assets,
        balances=balances,
        params=params,
        members=members,
        bridge=parse_bridge_section(data["bridge"]) if "bridge" in data else None,
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
    _validate_bridge(doc)
    if not draft:  # the state it starts from must be buildable (holder rules included)
        from genesis.state import genesis_state

        genesis_state(doc)
    for name in _INT_PARAMS:
        low = 0 if name == "gas_price" else 1
        if not low <= getattr(doc.params, name) <= codec.U64_MAX:
            raise GenesisError(f"genesis.params.{name}: must be positive")
    fee = doc.params.fee_symbol
    if fee and fee not in {a.symbol for a in doc.assets}:
        raise GenesisError(f"genesis.params.fee_symbol: unknown point type {fee!r}")
    _validate_members(doc.members)


def _validate_bridge(doc: GenesisDoc) -> None:
    """The bridge section: values in range, each key bound to a genesis validator by a
    proof that recovers its address, no address twice, no point type of its symbol."""
    b = doc.bridge
    if b is None:
        return
    from primitives import eth
    from vm import bridge
    from vm.errors import ExecutionFailure

    where = "genesis.bridge"
    try:
        bridge.check_config(b.config())
    except ExecutionFailure as exc:
        raise GenesisError(f"{where}: {exc.message}") from exc
    if any(a.symbol == b.symbol for a in doc.assets):
        raise GenesisError(
            f"{where}.symbol: {b.symbol} is also listed in genesis.assets "
            "(the bridge creates its own point type)"
        )
    keys = {v.public_key for v in doc.validators}
    seen_keys: set[bytes] = set()
    seen_addresses: set[bytes] = set()
    for i, k in enumerate(b.validators):
        at = f"{where}.validators[{i}]"
        if k.public_key not in keys:
            raise GenesisError(f"{at}.public_key: not a validator of genesis.validators")
        if k.public_key in seen_keys:
            raise GenesisError(f"{at}.public_key: a validator is listed twice")
        if k.eth_address == eth.ZERO_ADDRESS or k.eth_address in seen_addresses:
            raise GenesisError(f"{at}.eth_address: zero, or listed twice")
        seen_keys.add(k.public_key)
        seen_addresses.add(k.eth_address)
        digest = eth.key_binding_digest(doc.chain_id, k.public_key, k.eth_address)
        try:
            signer = eth.recover(digest, k.proof)
        except eth.InvalidSignature as exc:
            raise GenesisError(f"{at}.proof: {exc.message}") from exc
        if signer != k.eth_address:
            raise GenesisError(
                f"{at}.proof: not signed by {eth.to_checksum(k.eth_address)} for this "
                f"validator on chain {doc.chain_id!r}"
            )


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
        unknown = [r for r in a.rules if r not in ledger.RULES]
        if unknown or len(set(a.rules)) != len(a.rules):
            raise GenesisError(
                f"{where}.rules: unknown or repeated rule(s) {unknown or list(a.rules)} "
                f"(rules: {', '.join(ledger.RULES)})"
            )
        if not 0 <= a.expiry_blocks <= ledger.MAX_EXPIRY_BLOCKS:
            raise GenesisError(f"{where}.expiry_blocks: 0 (never) to 2^40")
        if a.spend_order not in ledger.SPEND_ORDERS:
            raise GenesisError(f"{where}.spend_order: one of {', '.join(ledger.SPEND_ORDERS)}")
        if not 0 <= a.unit_value <= codec.U64_MAX or len(a.currency) > 8:
            raise GenesisError(f"{where}: currency up to 8 letters, unit_value a u64")


def _validate_members(members: tuple[GenesisMember, ...]) -> None:
    seen: set[bytes] = set()
    for i, m in enumerate(members):
        where = f"genesis.members[{i}]"
        if len(m.address) != 20:
            raise GenesisError(f"{where}.address: not an address")
        if m.address in seen:
            raise GenesisError(f"{where}.address: a member is listed twice")
        seen.add(m.address)
        if not 1 <= len(m.name) <= MAX_NAME_LEN:
            raise GenesisError(f"{where}.name: 1 to {MAX_NAME_LEN} characters")
        bad = [r for r in m.roles if r not in governance.ROLES]
        if bad or len(set(m.roles)) != len(m.roles):
            raise GenesisError(
                f"{where}.roles: unknown or repeated role(s) {bad or list(m.roles)} "
                f"(roles: {', '.join(governance.ROLES)})"
            )


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
