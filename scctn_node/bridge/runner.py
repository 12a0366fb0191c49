"""Starting the bridge watcher inside a validator node (when `[bridge] eth_rpc` is set)."""

from __future__ import annotations

import logging
from typing import Any

import trio

from primitives.keys import PrivateKey
from scctn_node.bridge.ethkeys import EthSigner
from scctn_node.bridge.metrics import BridgeMetrics
from scctn_node.bridge.nodeport import NodeChainPort
from scctn_node.bridge.rpc import EthRpc
from scctn_node.bridge.watcher import BridgeWatcher, RpcEthSource, WatcherSettings
from scctn_node.config import Config
from scctn_node.errors import ConfigError
from scctn_node.keystore import Keystore, KeystoreError, passphrase_from_env_or_file
from scctn_node.service import NodeService

log = logging.getLogger("scctn.bridge")

CURSOR_FILE = "bridge-watcher.json"


def load_bridge_signer(config: Config) -> EthSigner:
    """The validator's secp256k1 bridge key (same passphrase as its validator key)."""
    pass_file = config.node.passphrase_file
    passphrase = passphrase_from_env_or_file(file=(config.home / pass_file) if pass_file else None)
    if passphrase is None:
        raise ConfigError("no passphrase for the bridge key: set SCCTN_PASSPHRASE")
    try:
        secret = Keystore(config.keys_dir).load_secp256k1(config.bridge.key, passphrase)
    except KeystoreError as exc:
        raise ConfigError(f"[bridge] key {config.bridge.key!r}: {exc.message}") from exc
    return EthSigner.from_secret(secret)


async def start_watcher(
    nursery: trio.Nursery, config: Config, key: PrivateKey, service: NodeService, api_url: str
) -> BridgeWatcher | None:
    """Start the watcher if configured; its health shows under /health's `bridge`."""
    b = config.bridge
    if not b.eth_rpc:
        return None
    signer = load_bridge_signer(config)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per poll request otherwise
    settings = WatcherSettings(
        confirmations=b.confirmations,
        poll_interval=b.poll_interval_ms / 1000,
        max_log_range=b.max_log_range,
        finality=b.finality,
        start_block=b.start_block,
        cursor_path=config.db_path.parent / CURSOR_FILE,
    )
    rpc = EthRpc(b.eth_rpc)
    watcher = BridgeWatcher(
        settings,
        NodeChainPort(service, key, api_url),
        RpcEthSource(rpc),
        signer,
        BridgeMetrics(service.metrics.registry),
    )

    def probe() -> tuple[list[str], dict[str, Any]]:
        return watcher.health_reasons(), watcher.health()

    service.health_sections["bridge"] = probe
    await nursery.start(watcher.run)
    log.info("bridge watcher started", extra={"eth_rpc": b.eth_rpc, "address": signer.address})
    return watcher
