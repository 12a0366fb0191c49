"""Running a node: open the data directory, load the validator key, start the service and
the API server under one trio nursery, stop cleanly on SIGINT/SIGTERM.

On start the node writes `<home>/node.json` (pid, chain id, API URL) so tools and tests
find it without guessing ports.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path

import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve

from genesis.document import load_genesis
from primitives.keys import PrivateKey
from scctn_node.api.app import create_app
from scctn_node.bridge.runner import start_watcher as start_bridge_watcher
from scctn_node.chain.chain import Chain
from scctn_node.chain.mempool import MempoolConfig
from scctn_node.chain.store import ChainStore
from scctn_node.config import Config
from scctn_node.consensus_driver import ConsensusDriver
from scctn_node.errors import ConfigError
from scctn_node.keystore import Keystore, passphrase_from_env_or_file
from scctn_node.metrics import NodeMetrics
from scctn_node.network import (
    consensus_health,
    consensus_status,
    start_network,
    validator_links,
)
from scctn_node.service import NodeService
from scctn_node.statesync import discard_interrupted_install
from scctn_node.storage.kv import LevelDBStore

log = logging.getLogger("scctn.node")

NODE_INFO_FILE = "node.json"


def load_validator_key(config: Config) -> PrivateKey:
    pass_file = config.node.passphrase_file
    path = (config.home / pass_file) if pass_file else None
    passphrase = passphrase_from_env_or_file(file=path)
    if passphrase is None:
        raise ConfigError(
            "no passphrase for the validator key: set SCCTN_PASSPHRASE or [node] passphrase_file"
        )
    return Keystore(config.keys_dir).load(config.node.validator_key, passphrase)


def open_chain(config: Config, key: PrivateKey) -> Chain:
    genesis = load_genesis(config.genesis_path)
    config.db_path.parent.mkdir(parents=True, exist_ok=True)
    kv = LevelDBStore(config.db_path)
    if discard_interrupted_install(kv):  # a state sync cut short by a crash: start clean
        log.warning("discarded a state-sync install that a crash interrupted")
    store = ChainStore(kv)
    mempool = MempoolConfig(
        max_txs=config.mempool.max_txs,
        max_per_account=config.mempool.max_per_account,
        nonce_window=config.mempool.nonce_window,
        max_tx_gas=genesis.params.max_tx_gas,
    )
    return Chain(
        store,
        genesis,
        key.public.raw,
        mempool,
        checkpoint_interval=config.consensus.checkpoint_interval,
        window=config.consensus.window,
    )


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def write_node_info(config: Config, chain_id: str, api_url: str) -> None:
    info = {"pid": os.getpid(), "chain_id": chain_id, "api": api_url}
    tmp = config.home / (NODE_INFO_FILE + ".tmp")
    tmp.write_text(json.dumps(info) + "\n")
    os.replace(tmp, config.home / NODE_INFO_FILE)


def read_node_info(home: Path) -> dict[str, object] | None:
    try:
        data: dict[str, object] = json.loads((home / NODE_INFO_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return None
    return data


async def run_node(
    config: Config, key: PrivateKey, on_started: Callable[[str, Chain], None] | None = None
) -> None:
    chain = open_chain(config, key)
    metrics = NodeMetrics()
    service = NodeService(
        chain,
        metrics,
        block_interval_ms=config.chain.block_interval_ms,
        empty_block_interval_ms=config.chain.empty_block_interval_ms,
    )
    app = create_app(
        service, max_body_bytes=config.api.max_body_bytes, max_batch=config.api.max_batch
    )
    sock = _bind(config.api.host, config.api.port)
    host, port = sock.getsockname()[:2]
    hc = HypercornConfig()
    hc.bind = [f"fd://{os.dup(sock.fileno())}"]  # hypercorn owns (and closes) the duplicate
    hc.accesslog = None
    hc.errorlog = logging.getLogger("hypercorn.error")
    hc.keep_alive_timeout = 30
    hc.graceful_timeout = 2
    shutdown = trio.Event()
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(service.run)
            network = await start_network(nursery, config, key, chain, service)
            driver = ConsensusDriver(
                chain,
                key,
                config.consensus,
                network.transport,
                block_interval_ms=config.chain.block_interval_ms,
                empty_block_interval_ms=config.chain.empty_block_interval_ms,
                on_commit=service.on_commit,
                commit_lock=service.commit_lock,
                metrics=metrics,
            )
            driver.retain_blocks = config.storage.retain_blocks
            network.attach(driver)
            service.on_admitted.append(lambda items, from_peer: driver.wake())
            service.consensus_status = lambda: consensus_status(driver, network)
            service.consensus_health = lambda: consensus_health(driver, network)
            service.validator_links = lambda: validator_links(driver, network)
            await nursery.start(driver.run)
            await nursery.start(_serve, app, hc, shutdown)
            api_url = f"http://{host}:{port}"
            await start_bridge_watcher(nursery, config, key, service, api_url)
            write_node_info(config, chain.chain_id, api_url)
            log.info(
                "node started",
                extra={
                    "chain_id": chain.chain_id,
                    "height": chain.height,
                    "api": api_url,
                    "validators": len(chain.validators),
                },
            )
            if on_started is not None:
                on_started(api_url, chain)
            with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for signum in signals:
                    log.info("stopping on %s", signal.Signals(signum).name)
                    break
            shutdown.set()
            await trio.sleep(0.2)
            nursery.cancel_scope.cancel()
    finally:
        height = chain.height
        sock.close()
        chain.store.kv.close()
        (config.home / NODE_INFO_FILE).unlink(missing_ok=True)
        log.info("node stopped at height %d", height)


async def _serve(
    app: object,
    hc: HypercornConfig,
    shutdown: trio.Event,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    await serve(app, hc, shutdown_trigger=shutdown.wait, task_status=task_status)  # type: ignore[arg-type]
