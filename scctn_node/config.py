"""Node configuration: a TOML file in the home directory plus environment overrides.

Every setting `[section] key` can be overridden by the environment variable
`SCCTN_<SECTION>_<KEY>` (upper case), e.g. `SCCTN_API_PORT=8080`. The result is a frozen
dataclass passed to whoever needs it; nothing reads configuration globally.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import tomli_w

from scctn_node.errors import ConfigError

CONFIG_FILE = "config.toml"


@dataclass(frozen=True, slots=True)
class NodeSection:
    moniker: str = "node"
    validator_key: str = "validator"  # name of the key in <home>/keys
    passphrase_file: str = ""  # relative to home; empty: SCCTN_PASSPHRASE or a prompt


@dataclass(frozen=True, slots=True)
class ApiSection:
    host: str = "127.0.0.1"
    port: int = 26657
    max_body_bytes: int = 16 * 1024 * 1024
    max_batch: int = 10_000


@dataclass(frozen=True, slots=True)
class P2PSection:
    host: str = "127.0.0.1"
    port: int = 26656
    # the other validators (and observers) to link with: "<hex Ed25519 public key>@host:port"
    peers: tuple[str, ...] = ()
    observers: tuple[str, ...] = ()  # hex public keys of non-validator nodes allowed to connect


@dataclass(frozen=True, slots=True)
class ConsensusSection:
    checkpoint_interval: int = 4  # K and L must be the same on every validator
    window: int = 16
    base_timeout_ms: int = 4_000
    max_timeout_ms: int = 60_000
    status_interval_ms: int = 1_000
    # a node at height 0 this many blocks or more behind a stable checkpoint installs a
    # snapshot (no history below it); closer than that it replays every block
    state_sync_min_gap: int = 1_000


@dataclass(frozen=True, slots=True)
class ChainSection:
    block_interval_ms: int = 200
    empty_block_interval_ms: int = 5_000


@dataclass(frozen=True, slots=True)
class MempoolSection:
    max_txs: int = 50_000
    max_per_account: int = 1_024
    nonce_window: int = 1_024


@dataclass(frozen=True, slots=True)
class StorageSection:
    # keep this many latest blocks (with receipts and tx index); 0 keeps everything.
    # The state is always kept whole; blocks at or above the last stable checkpoint too.
    retain_blocks: int = 0


@dataclass(frozen=True, slots=True)
class BridgeSection:
    # A validator watches the Ethereum vault when eth_rpc is set (see docs/bridge.md).
    eth_rpc: str = ""  # JSON-RPC URL of an Ethereum node; empty: no watcher
    key: str = "bridge"  # name of the secp256k1 key in <home>/keys (same passphrase)
    confirmations: int = 12  # blocks below the latest before a deposit is attested
    finality: str = "auto"  # depth | finalized | auto (also wait for `finalized` if served)
    poll_interval_ms: int = 2_000
    max_log_range: int = 2_000  # blocks per eth_getLogs request
    start_block: int = 0  # the vault's deployment block: scanning starts there


@dataclass(frozen=True, slots=True)
class LogSection:
    format: str = "text"  # text | json
    level: str = "info"


@dataclass(frozen=True, slots=True)
class Config:
    home: Path
    node: NodeSection = field(default_factory=NodeSection)
    api: ApiSection = field(default_factory=ApiSection)
    p2p: P2PSection = field(default_factory=P2PSection)
    consensus: ConsensusSection = field(default_factory=ConsensusSection)
    chain: ChainSection = field(default_factory=ChainSection)
    mempool: MempoolSection = field(default_factory=MempoolSection)
    storage: StorageSection = field(default_factory=StorageSection)
    log: LogSection = field(default_factory=LogSection)
    bridge: BridgeSection = field(default_factory=BridgeSection)

    @property
    def db_path(self) -> Path:
        return self.home / "data" / "chain.db"

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def genesis_path(self) -> Path:
        return self.home / "genesis.json"

    def to_toml(self) -> str:
        data = {f.name: asdict(getattr(self, f.name)) for f in fields(self) if f.name != "home"}
        for section in data.values():
            for key, value in section.items():
                if isinstance(value, tuple):
                    section[key] = list(value)
        return tomli_w.dumps(data)


_SECTIONS = {f.name: f for f in fields(Config) if f.name != "home"}


def _coerce(section: str, key: str, value: Any, current: Any) -> Any:
    if isinstance(current, tuple):
        if isinstance(value, str):  # from the environment: comma-separated
            return tuple(v.strip() for v in value.split(",") if v.strip())
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"[{section}] {key} must be a list of strings")
        return tuple(value)
    if isinstance(current, bool):
        if isinstance(value, str):
            return value.lower() in ("1", "true", "yes")
        return bool(value)
    if isinstance(current, int):
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"[{section}] {key} must be an integer, got {value!r}") from exc
    if not isinstance(value, str):
        raise ConfigError(f"[{section}] {key} must be a string")
    return value


def _apply(config: Config, data: Mapping[str, Any], env: Mapping[str, str]) -> Config:
    updates: dict[str, Any] = {}
    for name in _SECTIONS:
        section = getattr(config, name)
        given = data.get(name, {})
        if not isinstance(given, Mapping):
            raise ConfigError(f"[{name}] must be a table")
        known = {f.name for f in fields(section)}
        unknown = set(given) - known
        if unknown:
            raise ConfigError(f"[{name}] has unknown setting(s): {', '.join(sorted(unknown))}")
        changes = {k: _coerce(name, k, v, getattr(section, k)) for k, v in given.items()}
        for key in known:
            env_value = env.get(f"SCCTN_{name.upper()}_{key.upper()}")
            if env_value is not None:
                changes[key] = _coerce(name, key, env_value, getattr(section, key))
        updates[name] = replace(section, **changes)
    unknown_sections = set(data) - set(_SECTIONS)
    if unknown_sections:
        raise ConfigError(f"unknown config section(s): {', '.join(sorted(unknown_sections))}")
    result = replace(config, **updates)
    if result.log.format not in ("text", "json"):
        raise ConfigError("[log] format must be 'text' or 'json'")
    if result.bridge.finality not in ("depth", "finalized", "auto"):
        raise ConfigError("[bridge] finality must be 'depth', 'finalized' or 'auto'")
    if result.bridge.confirmations < 0 or result.bridge.max_log_range < 1:
        raise ConfigError("[bridge] confirmations >= 0 and max_log_range >= 1")
    return result


def load_config(home: Path, env: Mapping[str, str] | None = None) -> Config:
    path = home / CONFIG_FILE
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"{path} not found; run `scctn init --home {home}` first") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return _apply(Config(home=home), data, os.environ if env is None else env)


def default_config(home: Path, **sections: Any) -> Config:
    return _apply(Config(home=home), sections, {})


def parse_peer(text: str) -> tuple[bytes, str, int]:
    """`<hex public key>@host:port` -> (public key, host, port); ConfigError says what is wrong."""
    key_hex, sep, address = text.partition("@")
    host, colon, port = address.rpartition(":")
    try:
        key = bytes.fromhex(key_hex)
    except ValueError:
        key = b""
    if not sep or not colon or len(key) != 32 or not port.isdigit() or not host:
        raise ConfigError(f"peer {text!r} must be '<64 hex digits>@host:port'")
    return key, host, int(port)
