"""A localnet with the bridge (`scctn localnet --bridge-eth-rpc URL`): each validator gets
a secp256k1 bridge key (`bridge` in its keystore), the test token and the vault are
deployed on the given Ethereum endpoint for those keys, and genesis carries the bridge
section (the keys with their binding proofs, the vault) so the watchers start at once.

On a local Ethereum (anvil, chain 31337) the deployer is anvil's first well-known dev
account unless a keystore is given; an Ethereum demo account `depositor` (V3 keystore in
`<home>/eth/`, password "localnet") gets ETH and test tokens for deposits. Everything is
written to `<home>/bridge.json`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trio
from eth_account import Account
from eth_account.signers.local import LocalAccount

from genesis.document import GenesisBridge, GenesisBridgeKey
from primitives import eth
from scctn_node.bridge.actions import (
    LOCAL_CHAIN_IDS,
    BridgeActionError,
    Deployment,
    default_params,
    deploy_bridge,
)
from scctn_node.bridge.ethkeys import EthSigner, key_binding_proof, write_v3
from scctn_node.bridge.rpc import EthRpc, EthRpcError
from scctn_node.bridge.vault import VaultError
from scctn_node.errors import ConfigError
from scctn_node.keystore import Keystore

BRIDGE_FILE = "bridge.json"
BRIDGE_KEY = "bridge"
# anvil's and hardhat's first dev account (public knowledge; local networks only)
ANVIL_DEV_KEY = bytes.fromhex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
DEMO_PASSWORD = "localnet"
DEMO_TOKENS = 1_000_000  # whole tokens minted to the demo depositor


@dataclass(frozen=True, slots=True)
class BridgeSetup:
    eth_rpc: str
    token: str = "standard"  # standard | scctn-like
    token_decimals: int = 18
    wrapped_decimals: int = 8
    confirmations: int = 2
    poll_interval_ms: int = 500
    withdraw_ttl: int = 86_400
    deployer: LocalAccount | None = None  # default: anvil's dev account (local chains)
    change_delay: int = 3_600
    large_delay: int = 3_600
    large_amount: int | None = None  # token units; None: the default (nothing is queued)


def bridge_keys(
    node_homes: list[Path], chain_id: str, validator_keys: list[bytes], passphrase: str
) -> list[GenesisBridgeKey]:
    """Create each validator's bridge key and its binding proof."""
    out = []
    for home, public_key in zip(node_homes, validator_keys, strict=True):
        keys = Keystore(home / "keys")
        keys.create(BRIDGE_KEY, passphrase, fast=True, key_type="secp256k1")
        signer = EthSigner.from_secret(keys.load_secp256k1(BRIDGE_KEY, passphrase))
        proof = key_binding_proof(signer, chain_id, public_key)
        out.append(GenesisBridgeKey(public_key, signer.address_bytes, proof))
    return out


async def _deploy(
    setup: BridgeSetup, valset: eth.Valset, depositor: EthSigner
) -> tuple[Deployment, LocalAccount]:
    async with EthRpc(setup.eth_rpc) as rpc:
        chain_id = await rpc.chain_id()
        deployer = setup.deployer
        if deployer is None:
            if chain_id not in LOCAL_CHAIN_IDS:
                raise ConfigError(
                    f"Ethereum chain {chain_id} is not a local test network: "
                    "give the deployer's keystore (--bridge-deployer-keyfile)"
                )
            deployer = Account.from_key(ANVIL_DEV_KEY)
        me = bytes.fromhex(deployer.address[2:])
        params = default_params(me, setup.wrapped_decimals)
        from dataclasses import replace

        params = replace(params, change_delay=setup.change_delay, large_delay=setup.large_delay)
        if setup.large_amount is not None:
            params = replace(params, large_amount=setup.large_amount)
        if chain_id in LOCAL_CHAIN_IDS:
            for who in (depositor.address, deployer.address):
                try:
                    await rpc.request("anvil_setBalance", [who, hex(10**22)])
                except EthRpcError:
                    pass  # not anvil: the dev accounts are funded already
        deployment = await deploy_bridge(
            rpc,
            deployer,
            valset,
            params,
            test_token=setup.token,
            token_decimals=setup.token_decimals,
            mint_to=[depositor.address_bytes],
            mint_amount=DEMO_TOKENS * 10**setup.token_decimals,
        )
        return deployment, deployer


def deploy_for_localnet(
    home: Path, setup: BridgeSetup, chain_id: str, keys: list[GenesisBridgeKey]
) -> tuple[GenesisBridge, dict[str, Any]]:
    """Deploy the token and the vault for the genesis valset; the genesis bridge section
    and each node's `[bridge]` config section."""
    addresses = sorted(k.eth_address for k in keys)
    valset = eth.Valset(1, tuple(addresses), tuple(1 for _ in addresses))
    eth_dir = home / "eth"
    eth_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    depositor = write_v3(eth_dir / "depositor.json", DEMO_PASSWORD, n=2**4)
    try:
        deployment, deployer = trio.run(_deploy, setup, valset, depositor)
    except (EthRpcError, VaultError, BridgeActionError) as exc:
        raise ConfigError(
            f"deploying the bridge on {setup.eth_rpc} failed: {getattr(exc, 'message', exc)}"
        ) from exc
    genesis_bridge = GenesisBridge(
        eth_chain_id=deployment.eth_chain_id,
        vault=eth.parse_eth_address(deployment.vault),
        token_decimals=deployment.token_decimals,
        wrapped_decimals=setup.wrapped_decimals,
        withdraw_ttl=setup.withdraw_ttl,
        validators=tuple(keys),
    )
    section = {
        "eth_rpc": setup.eth_rpc,
        "key": BRIDGE_KEY,
        "confirmations": setup.confirmations,
        "finality": "depth",
        "poll_interval_ms": setup.poll_interval_ms,
        "start_block": max(deployment.block - 1, 0),
    }
    info = {
        **deployment.to_json(),
        "eth_rpc": setup.eth_rpc,
        "deployer": deployer.address,
        "guardian": deployer.address,
        "depositor": {"address": depositor.address, "keyfile": str(eth_dir / "depositor.json")},
        "password": DEMO_PASSWORD,
        "validators": [eth.to_checksum(a) for a in addresses],
    }
    (home / BRIDGE_FILE).write_text(json.dumps(info, indent=2) + "\n")
    return genesis_bridge, section


def load_bridge_info(home: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads((home / BRIDGE_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return None
    return data
