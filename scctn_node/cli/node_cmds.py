"""`scctn init`, `scctn start`, `scctn localnet`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import trio

from scctn_node.cli.common import fail, handle_errors
from scctn_node.cli.keys import default_home, get_passphrase
from scctn_node.config import load_config
from scctn_node.localnet import (
    DEMO_ACCOUNTS,
    DEMO_POINTS,
    create_localnet,
    init_home,
    is_initialized,
    reset,
)
from scctn_node.logging import setup_logging
from scctn_node.node import load_validator_key, run_node


@click.command("init")
@click.option("--home", type=click.Path(path_type=Path), default=None)
@click.option("--chain-id", default="scctn-devnet", show_default=True)
@click.option("--moniker", default="validator-0", show_default=True)
@click.option("--api-port", type=int, default=26657, show_default=True)
@click.option(
    "--passphrase-file",
    default=None,
    help="file with the key passphrase; recorded in config.toml for `start`",
)
@handle_errors
def init(
    home: Path | None, chain_id: str, moniker: str, api_port: int, passphrase_file: str | None
) -> None:
    """Write config.toml, an encrypted validator key and a one-validator genesis."""
    home = home or default_home()
    if is_initialized(home):
        fail("already_initialized", f"{home} already holds a node; use another --home", 1)
    passphrase = get_passphrase(None, passphrase_file, confirm=True)
    pf = str(Path(passphrase_file).resolve()) if passphrase_file else ""
    init_home(
        home,
        chain_id=chain_id,
        passphrase=passphrase,
        moniker=moniker,
        api_port=api_port,
        passphrase_file=pf,
    )
    click.echo(f"initialized {home} for chain {chain_id}")
    click.echo(f"start it with: scctn start --home {home}")


@click.command("start")
@click.option("--home", type=click.Path(path_type=Path), default=None)
@click.option("--log-format", type=click.Choice(["text", "json"]), default=None)
@handle_errors
def start(home: Path | None, log_format: str | None) -> None:
    """Run the node in the foreground until SIGINT or SIGTERM."""
    config = load_config(home or default_home())
    setup_logging(log_format or config.log.format, config.log.level)
    key = load_validator_key(config)
    trio.run(run_node, config, key)


def _banner(home: Path, api: str) -> str:
    from scctn_node.keystore import Keystore

    keys = Keystore(home / "keys")
    lines = [
        "",
        "SCCTN localnet is running",
        f"  API        {api}      (OpenAPI: {api}/docs, {api}/openapi.json)",
        f"  metrics    {api}/metrics    health: {api}/health",
        f"  WebSocket  {api.replace('http', 'ws', 1)}/v1/ws",
        f"  data       {home}   (reset with --reset)",
        "",
        "Demo accounts (keys in the localnet keystore, passphrase file passphrase.txt):",
    ]
    for name in DEMO_ACCOUNTS:
        grants = [f"{a} {p.symbol}" for p in DEMO_POINTS for who, a in p.grants if who == name]
        lines.append(f"  {name:<6} {keys.show(name).address}  {', '.join(grants) or '-'}")
    h = f"--home {home}"
    lines += [
        "",
        "Try:",
        f"  scctn tx transfer {h} --from alice --to bob --symbol ALP --amount 2500 --wait",
        f"  scctn query account {h} bob --prove",
        f"  scctn status {h}",
        "",
        "Ctrl-C stops the network; its state stays in the data directory.",
        "",
    ]
    return "\n".join(lines)


@click.command("localnet")
@click.option(
    "--home", type=click.Path(path_type=Path), default=Path("localnet-data"), show_default=True
)
@click.option("--reset", "do_reset", is_flag=True, help="delete the data directory first")
@click.option("--api-port", type=int, default=26657, show_default=True)
@click.option("--validators", type=int, default=1, show_default=True)
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text")
@handle_errors
def localnet(home: Path, do_reset: bool, api_port: int, validators: int, log_format: str) -> None:
    """A local development network with funded demo accounts."""
    if validators != 1:
        fail("unsupported", "this build runs a one-validator localnet (--validators 1)", 2)
    home = home.resolve()
    if do_reset:
        reset(home)
    if not is_initialized(home):
        create_localnet(home, api_port)
    config = load_config(home)
    setup_logging(log_format, config.log.level)
    key = load_validator_key(config)

    def started(api: str, chain: Any) -> None:
        click.echo(_banner(home, api))

    trio.run(run_node, config, key, started)
