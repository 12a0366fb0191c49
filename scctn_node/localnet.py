"""Node homes: one validator's home (`scctn init`), and a local development network of N
validators with demo accounts and funded point types (`scctn localnet`).

Layout of a localnet home (default `./localnet-data`):

    <home>/localnet.json   the manifest: chain id, and per node its directory, moniker,
                           public key, API URL and p2p address (written last: a home
                           without it is incomplete)
    <home>/genesis.json    the one genesis, with every validator (each node holds a copy)
    <home>/passphrase.txt  "localnet": the passphrase of every key below
    <home>/keys/           the demo accounts alice, bob, carol, shop
    <home>/config.toml     client settings only, so `scctn tx ... --home <home>` finds the
                           demo keys, their passphrase and node0's API; nothing runs here
    <home>/node.json       while `scctn localnet` runs: the launcher's pid and node0's API
    <home>/node<i>/        a complete, self-contained node home: config.toml, genesis.json,
                           passphrase.txt, keys/validator.json, data/, node.log, node.json

Node i listens for its API on `api_port + i` and for p2p on `p2p_port + i`, and lists
every other node as a peer (`<public key>@host:port`; its own key is left out). For
docker-compose (`compose=True`) every node listens on 0.0.0.0 at the default ports inside
its own container and reaches the others by service name `validator<i>`.

Every key is encrypted with the passphrase "localnet" under the fast KDF: this is a
throwaway development network, never a place for real keys. A home written before
localnets had several validators (one flat home, `config.toml` and `keys/validator.json`
at the top) is still recognised and runs as it is.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from genesis import builder
from genesis.document import (
    GenesisAsset,
    GenesisBalance,
    GenesisDoc,
    GenesisMember,
    GenesisValidator,
)
from primitives.keys import parse_address
from scctn_node.config import CONFIG_FILE, Config, default_config

if TYPE_CHECKING:
    from scctn_node.bridge.localnet import BridgeSetup
from scctn_node.errors import ConfigError
from scctn_node.keystore import Keystore

LOCALNET_CHAIN_ID = "scctn-localnet"
LOCALNET_PASSPHRASE = "localnet"
PASSPHRASE_FILE = "passphrase.txt"
MANIFEST_FILE = "localnet.json"
DEMO_ACCOUNTS = ("alice", "bob", "carol", "shop")
DEFAULT_API_PORT = 26657
DEFAULT_P2P_PORT = 26756
COMPOSE_SERVICE = "validator{i}"  # docker-compose.yml names its services this way
COMPOSE_API_PORT = 26657  # inside each container (the Dockerfile's EXPOSE and HEALTHCHECK)
COMPOSE_P2P_PORT = 26656
LOCALNET_EMPTY_BLOCK_MS = 2_000


@dataclass(frozen=True, slots=True)
class DemoPoints:
    symbol: str
    name: str
    decimals: int
    cap: int
    issuer: str
    grants: tuple[tuple[str, int], ...]
    unit_value: int = 0  # millionths of CNY per base unit (the issuer's liability value)


DEMO_POINTS = (
    DemoPoints(
        "ALP",
        "Alliance Points",
        2,
        10**15,
        "alice",
        (("alice", 100_000_000), ("bob", 5_000_000), ("carol", 5_000_000)),
        10_000,  # 1.00 ALP = 1 CNY
    ),
    DemoPoints(
        "CAFE", "Corner Cafe Stamps", 0, 1_000_000, "shop", (("shop", 10_000), ("bob", 12)), 500_000
    ),
)


@dataclass(frozen=True, slots=True)
class LocalNode:
    """One node of a localnet as the manifest records it."""

    name: str  # directory under the localnet home: node0, node1, ...
    moniker: str  # validator name in genesis: validator-0, ...
    public_key: str  # hex: validator key and p2p identity
    api: str  # URL the API is reached at from the host
    p2p: str  # host:port the other nodes dial


@dataclass(frozen=True, slots=True)
class Localnet:
    home: Path
    chain_id: str
    nodes: tuple[LocalNode, ...]
    compose: bool = False
    legacy: bool = False  # one flat home from before multi-validator localnets

    def node_home(self, node: LocalNode) -> Path:
        return self.home if self.legacy else self.home / node.name


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
    members: tuple[GenesisMember, ...] = (),
    extra_keys: tuple[str, ...] = (),
    empty_block_interval_ms: int = 5_000,
    genesis: GenesisDoc | None = None,
    api_host: str = "127.0.0.1",
    p2p_host: str = "127.0.0.1",
    p2p_port: int = 26656,
    peers: Sequence[str] = (),
    bridge: dict[str, object] | None = None,
) -> Config:
    """Create config, keys and genesis in `home`.

    Without `genesis`, a one-validator genesis (this node) with `genesis_extra` is written;
    with one, that document is used as it is (`chain_id` and `genesis_extra` are ignored).
    A validator key already in `home/keys` (made with `scctn keys new validator`, so its
    public key could go into a shared genesis first) is kept; otherwise one is created.
    """
    home.mkdir(parents=True, exist_ok=True)
    config = default_config(
        home,
        node={"moniker": moniker, "passphrase_file": passphrase_file},
        api={"host": api_host, "port": api_port},
        p2p={"host": p2p_host, "port": p2p_port, "peers": list(peers)},
        chain={"empty_block_interval_ms": empty_block_interval_ms},
        bridge=bridge or {},
    )
    keys = Keystore(config.keys_dir)
    if (config.keys_dir / f"{config.node.validator_key}.json").exists():
        keys.load(config.node.validator_key, passphrase)  # wrong passphrase: fail now
        validator = keys.show(config.node.validator_key)
    else:
        validator = keys.create(config.node.validator_key, passphrase, fast=fast_kdf)
    for name in extra_keys:
        keys.create(name, passphrase, fast=fast_kdf)
    if genesis is None:
        genesis = GenesisDoc(
            chain_id=chain_id,
            genesis_time_ms=int(time.time() * 1000),
            validators=(GenesisValidator(moniker, bytes.fromhex(validator.public_key)),),
            assets=genesis_extra[0],
            balances=genesis_extra[1],
            members=members,
        )
    genesis.save(config.genesis_path)
    (home / CONFIG_FILE).write_text(config.to_toml())
    return config


# the founding members of the demo alliance and their roles (carol is a plain holder)
DEMO_MEMBERS = (
    ("alice", "Alice's Alliance Co", ("issuer", "custodian", "oracle", "platform")),
    ("bob", "Bob's Bakery", ("merchant",)),
    ("shop", "Corner Cafe", ("issuer", "merchant")),
)


def demo_genesis_parts(
    keys: Keystore,
) -> tuple[tuple[GenesisAsset, ...], tuple[GenesisBalance, ...], tuple[GenesisMember, ...]]:
    """Create the demo account keys in `keys`; the demo point types, their grants and the
    founding members."""
    addresses = {}
    for name in DEMO_ACCOUNTS:
        addresses[name] = parse_address(keys.create(name, LOCALNET_PASSPHRASE, fast=True).address)
    assets = tuple(
        GenesisAsset(
            p.symbol,
            p.name,
            p.decimals,
            p.cap,
            addresses[p.issuer],
            currency="CNY" if p.unit_value else "",
            unit_value=p.unit_value,
        )
        for p in DEMO_POINTS
    )
    balances = tuple(
        GenesisBalance(addresses[who], p.symbol, amount)
        for p in DEMO_POINTS
        for who, amount in p.grants
    )
    members = tuple(GenesisMember(addresses[who], name, roles) for who, name, roles in DEMO_MEMBERS)
    return assets, balances, members


def create_localnet(home: Path, api_port: int) -> Config:
    """A one-validator localnet in one flat home (demo keys next to the validator key).

    Tests use it for a quick single node; `scctn localnet` writes the multi-node layout
    (`create_network`), which also runs with one validator.
    """
    home.mkdir(parents=True, exist_ok=True)
    write_private(home / PASSPHRASE_FILE, LOCALNET_PASSPHRASE + "\n")
    parts = demo_genesis_parts(Keystore(home / "keys"))
    return init_home(
        home,
        chain_id=LOCALNET_CHAIN_ID,
        passphrase=LOCALNET_PASSPHRASE,
        moniker="validator-0",
        api_port=api_port,
        passphrase_file=PASSPHRASE_FILE,
        fast_kdf=True,
        genesis_extra=parts[:2],
        members=parts[2],
        empty_block_interval_ms=LOCALNET_EMPTY_BLOCK_MS,
    )


def _addresses(i: int, api_port: int, p2p_port: int, compose: bool) -> tuple[str, int, str, int]:
    """(API host, API port, p2p host others dial, p2p port) of node i."""
    if compose:
        return "0.0.0.0", COMPOSE_API_PORT, COMPOSE_SERVICE.format(i=i), COMPOSE_P2P_PORT
    return "127.0.0.1", api_port + i, "127.0.0.1", p2p_port + i


def create_network(
    home: Path,
    validators: int,
    *,
    api_port: int = DEFAULT_API_PORT,
    p2p_port: int = DEFAULT_P2P_PORT,
    compose: bool = False,
    bridge: BridgeSetup | None = None,
) -> Localnet:
    """Write a localnet of `validators` nodes under `home` (see the module docstring).

    With `compose=True` the API URLs in the manifest are the host ports docker-compose.yml
    publishes (api_port + i on 127.0.0.1). With `bridge`, every validator gets a bridge
    key and the vault is deployed on `bridge.eth_rpc` first (scctn_node/bridge/localnet.py).
    """
    if compose:
        api_port = DEFAULT_API_PORT  # the host ports docker-compose.yml publishes
    if validators < 1:
        raise ConfigError("--validators must be at least 1", code="invalid_argument")
    if (home / MANIFEST_FILE).exists() or is_initialized(home):
        raise ConfigError(f"{home} already holds a localnet", code="already_initialized")
    home.mkdir(parents=True, exist_ok=True)
    write_private(home / PASSPHRASE_FILE, LOCALNET_PASSPHRASE + "\n")
    names = [f"node{i}" for i in range(validators)]
    public_keys = [
        Keystore(home / name / "keys").create("validator", LOCALNET_PASSPHRASE, fast=True)
        for name in names
    ]
    doc = builder.new_draft(LOCALNET_CHAIN_ID, int(time.time() * 1000))
    for i, info in enumerate(public_keys):
        doc = builder.add_validator(doc, f"validator-{i}", bytes.fromhex(info.public_key))
    assets, balances, members = demo_genesis_parts(Keystore(home / "keys"))
    for member in members:
        doc = builder.add_member(doc, member)
    for asset in assets:
        doc = builder.add_asset(doc, asset)
    for balance in balances:
        doc = builder.add_balance(doc, balance)
    bridge_section: dict[str, object] | None = None
    if bridge is not None:
        from scctn_node.bridge.localnet import bridge_keys, deploy_for_localnet

        keys = bridge_keys(
            [home / name for name in names],
            doc.chain_id,
            [bytes.fromhex(k.public_key) for k in public_keys],
            LOCALNET_PASSPHRASE,
        )
        genesis_bridge, bridge_section = deploy_for_localnet(home, bridge, doc.chain_id, keys)
        doc = builder.set_bridge(doc, genesis_bridge)
    doc = builder.finalize(doc)
    doc.save(home / "genesis.json")
    nodes = []
    addrs = [_addresses(i, api_port, p2p_port, compose) for i in range(validators)]
    for i, name in enumerate(names):
        api_host, api_p, _, p2p_p = addrs[i]
        peers = [
            f"{public_keys[j].public_key}@{addrs[j][2]}:{addrs[j][3]}"
            for j in range(validators)
            if j != i
        ]
        node_home = home / name
        write_private(node_home / PASSPHRASE_FILE, LOCALNET_PASSPHRASE + "\n")
        init_home(
            node_home,
            chain_id=doc.chain_id,
            passphrase=LOCALNET_PASSPHRASE,
            moniker=f"validator-{i}",
            api_host=api_host,
            api_port=api_p,
            p2p_host="0.0.0.0" if compose else "127.0.0.1",
            p2p_port=p2p_p,
            peers=peers,
            passphrase_file=PASSPHRASE_FILE,
            fast_kdf=True,
            genesis=doc,
            empty_block_interval_ms=LOCALNET_EMPTY_BLOCK_MS,
            bridge=bridge_section,
        )
        reach = f"http://127.0.0.1:{api_port + i}" if compose else f"http://{api_host}:{api_p}"
        nodes.append(
            LocalNode(
                name, f"validator-{i}", public_keys[i].public_key, reach, f"{addrs[i][2]}:{p2p_p}"
            )
        )
    # Client settings for `scctn tx/query/status --home <home>`: node0's API, the passphrase.
    client = default_config(
        home,
        node={"moniker": "localnet-client", "passphrase_file": PASSPHRASE_FILE},
        api={"port": api_port},
    )
    (home / CONFIG_FILE).write_text(
        "# Client settings for `scctn ... --home` on this localnet; the nodes live in node*/.\n"
        + client.to_toml()
    )
    net = Localnet(home, doc.chain_id, tuple(nodes), compose)
    _write_manifest(net)
    return net


def _write_manifest(net: Localnet) -> None:
    data = {
        "chain_id": net.chain_id,
        "compose": net.compose,
        "nodes": [
            {
                "name": n.name,
                "moniker": n.moniker,
                "public_key": n.public_key,
                "api": n.api,
                "p2p": n.p2p,
            }
            for n in net.nodes
        ],
    }
    tmp = net.home / (MANIFEST_FILE + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, net.home / MANIFEST_FILE)


def load_network(home: Path) -> Localnet | None:
    """The localnet in `home`, None if there is none; ConfigError if it is incomplete."""
    manifest = home / MANIFEST_FILE
    if manifest.exists():
        try:
            data = json.loads(manifest.read_text())
            nodes = tuple(
                LocalNode(n["name"], n["moniker"], n["public_key"], n["api"], n["p2p"])
                for n in data["nodes"]
            )
            return Localnet(home, data["chain_id"], nodes, bool(data.get("compose", False)))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                f"{manifest} is damaged ({exc!r}); start over with --reset",
                code="localnet_incomplete",
            ) from exc
    if (home / "keys" / "validator.json").exists() and is_initialized(home):
        return _legacy(home)
    if (home / PASSPHRASE_FILE).exists():
        raise ConfigError(
            f"{home} holds an incomplete localnet (no {MANIFEST_FILE}); start over with --reset",
            code="localnet_incomplete",
        )
    return None


def _legacy(home: Path) -> Localnet:
    from scctn_node.config import load_config

    cfg = load_config(home, env={})
    key = Keystore(cfg.keys_dir).show(cfg.node.validator_key)
    node = LocalNode(
        ".",
        cfg.node.moniker,
        key.public_key,
        f"http://{cfg.api.host}:{cfg.api.port}",
        f"{cfg.p2p.host}:{cfg.p2p.port}",
    )
    return Localnet(home, LOCALNET_CHAIN_ID, (node,), legacy=True)


def looks_like_localnet(home: Path) -> bool:
    return any((home / f).exists() for f in (MANIFEST_FILE, CONFIG_FILE, PASSPHRASE_FILE))


def reset(home: Path) -> None:
    """Delete a localnet home; refuses a directory that does not look like one."""
    if not home.exists():
        return
    if home.is_dir() and not any(home.iterdir()):
        home.rmdir()
        return
    if not looks_like_localnet(home):
        raise ConfigError(
            f"refusing to delete {home}: it does not look like a localnet home",
            code="not_a_localnet",
        )
    shutil.rmtree(home)
