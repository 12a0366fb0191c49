"""A local development network: one validator, demo accounts with funded point types.

Everything lives in one home directory (default `./localnet-data`). The demo keys are
encrypted with the passphrase in `<home>/passphrase.txt` ("localnet"): this is a
throwaway development network, never a place for real keys.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from genesis.document import GenesisAsset, GenesisBalance, GenesisDoc, GenesisValidator
from primitives.keys import parse_address
from scctn_node.config import CONFIG_FILE, Config, default_config
from scctn_node.keystore import Keystore

LOCALNET_CHAIN_ID = "scctn-localnet"
LOCALNET_PASSPHRASE = "localnet"
PASSPHRASE_FILE = "passphrase.txt"
DEMO_ACCOUNTS = ("alice", "bob", "carol", "shop")


@dataclass(frozen=True, slots=True)
class DemoPoints:
    symbol: str
    name: str
    decimals: int
    cap: int
    issuer: str
    grants: tuple[tuple[str, int], ...]


DEMO_POINTS = (
    DemoPoints(
        "ALP",
        "Alliance Points",
        2,
        10**15,
        "alice",
        (("alice", 100_000_000), ("bob", 5_000_000), ("carol", 5_000_000)),
    ),
    DemoPoints("CAFE", "Corner Cafe Stamps", 0, 1_000_000, "shop", (("shop", 10_000), ("bob", 12))),
)


def is_initialized(home: Path) -> bool:
    return (home / CONFIG_FILE).exists()


def write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def init_home(
    home: Path,
    *,
    chain_id: str,
    passphrase: str,
    moniker: str = "node",
    api_port: int = 26657,
    passphrase_file: str = "",
    fast_kdf: bool = False,
    genesis_extra: tuple[tuple[GenesisAsset, ...], tuple[GenesisBalance, ...]] = ((), ()),
    extra_keys: tuple[str, ...] = (),
    empty_block_interval_ms: int = 5_000,
) -> Config:
    """Create config, keys and a one-validator genesis in `home`."""
    home.mkdir(parents=True, exist_ok=True)
    config = default_config(
        home,
        node={"moniker": moniker, "passphrase_file": passphrase_file},
        api={"port": api_port},
        chain={"empty_block_interval_ms": empty_block_interval_ms},
    )
    keys = Keystore(config.keys_dir)
    validator = keys.create(config.node.validator_key, passphrase, fast=fast_kdf)
    for name in extra_keys:
        keys.create(name, passphrase, fast=fast_kdf)
    genesis = GenesisDoc(
        chain_id=chain_id,
        genesis_time_ms=int(time.time() * 1000),
        validators=(GenesisValidator(moniker, bytes.fromhex(validator.public_key)),),
        assets=genesis_extra[0],
        balances=genesis_extra[1],
    )
    genesis.save(config.genesis_path)
    (home / CONFIG_FILE).write_text(config.to_toml())
    return config


def create_localnet(home: Path, api_port: int) -> Config:
    write_home = home
    write_home.mkdir(parents=True, exist_ok=True)
    write_private(home / PASSPHRASE_FILE, LOCALNET_PASSPHRASE + "\n")
    keys = Keystore(home / "keys")
    addresses = {}
    for name in DEMO_ACCOUNTS:
        addresses[name] = parse_address(keys.create(name, LOCALNET_PASSPHRASE, fast=True).address)
    assets = tuple(
        GenesisAsset(p.symbol, p.name, p.decimals, p.cap, addresses[p.issuer]) for p in DEMO_POINTS
    )
    balances = tuple(
        GenesisBalance(addresses[who], p.symbol, amount)
        for p in DEMO_POINTS
        for who, amount in p.grants
    )
    return init_home(
        home,
        chain_id=LOCALNET_CHAIN_ID,
        passphrase=LOCALNET_PASSPHRASE,
        moniker="validator-0",
        api_port=api_port,
        passphrase_file=PASSPHRASE_FILE,
        fast_kdf=True,
        genesis_extra=(assets, balances),
        empty_block_interval_ms=2_000,
    )


def reset(home: Path) -> None:
    if home.exists():
        shutil.rmtree(home)
