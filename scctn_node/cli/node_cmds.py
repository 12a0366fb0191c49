"""`scctn init`, `scctn start`, `scctn localnet`."""

from __future__ import annotations

from pathlib import Path

import click

from genesis.document import GenesisDoc, load_genesis
from scctn_node.cli.common import fail, handle_errors
from scctn_node.cli.genesis_cmds import plural
from scctn_node.cli.keys import default_home, get_passphrase
from scctn_node.config import load_config, parse_peer
from scctn_node.keystore import Keystore, KeystoreError
from scctn_node.launcher import Launcher
from scctn_node.localnet import (
    DEFAULT_API_PORT,
    DEFAULT_P2P_PORT,
    DEMO_ACCOUNTS,
    DEMO_POINTS,
    Localnet,
    create_network,
    init_home,
    is_initialized,
    load_network,
    reset,
)


@click.command("init")
@click.option("--home", type=click.Path(path_type=Path), default=None)
@click.option("--chain-id", default="scctn-devnet", show_default=True)
@click.option(
    "--genesis",
    "genesis_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="use this final genesis (assembled with `scctn genesis`) instead of a new "
    "one-validator genesis; --chain-id is then taken from it",
)
@click.option(
    "--moniker",
    default=None,
    help="node name (default: this key's validator name in --genesis, else validator-0)",
)
@click.option("--api-port", type=int, default=26657, show_default=True)
@click.option("--p2p-host", default="127.0.0.1", show_default=True, help="p2p listen address")
@click.option("--p2p-port", type=int, default=26656, show_default=True)
@click.option(
    "--peer",
    "peers",
    multiple=True,
    help="another validator, <64-hex public key>@host:port (repeat for each)",
)
@click.option(
    "--passphrase-file",
    default=None,
    help="file with the key passphrase; recorded in config.toml for `start`",
)
@handle_errors
def init(
    home: Path | None,
    chain_id: str,
    genesis_file: Path | None,
    moniker: str | None,
    api_port: int,
    p2p_host: str,
    p2p_port: int,
    peers: tuple[str, ...],
    passphrase_file: str | None,
) -> None:
    """Write config.toml, an encrypted validator key (unless keys/validator.json exists)
    and genesis.json: a one-validator genesis, or the shared one given by --genesis."""
    home = home or default_home()
    if is_initialized(home):
        fail("already_initialized", f"{home} already holds a node; use another --home", 1)
    for peer in peers:
        parse_peer(peer)
    genesis = load_genesis(genesis_file) if genesis_file is not None else None
    passphrase = get_passphrase(None, passphrase_file, confirm=True)
    pf = str(Path(passphrase_file).resolve()) if passphrase_file else ""
    if genesis is not None and moniker is None:
        moniker = _genesis_name(home, genesis)
    config = init_home(
        home,
        chain_id=genesis.chain_id if genesis else chain_id,
        passphrase=passphrase,
        moniker=moniker or "validator-0",
        api_port=api_port,
        p2p_host=p2p_host,
        p2p_port=p2p_port,
        peers=peers,
        passphrase_file=pf,
        genesis=genesis,
    )
    if genesis is not None and genesis_file is not None:
        # The member's file byte for byte, so checksums of the shared file still match.
        config.genesis_path.write_bytes(genesis_file.read_bytes())
        key = Keystore(config.keys_dir).show(config.node.validator_key).public_key
        if all(v.public_key.hex() != key for v in genesis.validators):
            click.echo(
                f"warning: this node's validator key {key} is not a validator in "
                f"{genesis_file}; it can only follow the chain",
                err=True,
            )
    chain = genesis.chain_id if genesis else chain_id
    click.echo(f"initialized {home} for chain {chain}")
    if genesis is not None:
        click.echo(f"genesis hash {genesis.hash().hex()}")
    click.echo(f"start it with: scctn start --home {home}")


def _genesis_name(home: Path, genesis: GenesisDoc) -> str | None:
    """The validator name genesis gives the key already in `home/keys`, if any."""
    try:
        key = Keystore(home / "keys").show("validator").public_key
    except KeystoreError:
        return None
    return next((v.name for v in genesis.validators if v.public_key.hex() == key), None)


@click.command("start")
@click.option("--home", type=click.Path(path_type=Path), default=None)
@click.option("--log-format", type=click.Choice(["text", "json"]), default=None)
@handle_errors
def start(home: Path | None, log_format: str | None) -> None:
    """Run the node in the foreground until SIGINT or SIGTERM."""
    import trio  # the node's stack loads only for the commands that run one

    from scctn_node.logging import setup_logging
    from scctn_node.node import load_validator_key, run_node

    config = load_config(home or default_home())
    setup_logging(log_format or config.log.format, config.log.level)
    key = load_validator_key(config)
    trio.run(run_node, config, key)


def banner(net: Localnet, nodes: list[tuple[str, int]]) -> str:
    """What `scctn localnet` prints once up; `nodes` holds each node's (API URL, height)."""
    keys = Keystore(net.home / "keys")
    api = nodes[0][0]
    lines = ["", f"SCCTN localnet is running: {plural(len(nodes), 'validator')}"]
    for node, (url, height) in zip(net.nodes, nodes, strict=True):
        where = net.node_home(node)
        lines.append(
            f"  {node.moniker:<12} API {url}   p2p {node.p2p}   home {where}   height {height}"
        )
    lines += [
        f"  explorer   {api}/explorer   (every node serves it)",
        f"  OpenAPI    {api}/docs, {api}/openapi.json",
        f"  metrics    {api}/metrics    health: {api}/health",
        f"  WebSocket  {api.replace('http', 'ws', 1)}/v1/ws",
        f"  data       {net.home}   (logs: node*/node.log; reset with --reset)",
        "",
        f"Demo accounts (keys in {net.home / 'keys'}, passphrase file passphrase.txt):",
    ]
    for name in DEMO_ACCOUNTS:
        grants = [f"{a} {p.symbol}" for p in DEMO_POINTS for who, a in p.grants if who == name]
        lines.append(f"  {name:<6} {keys.show(name).address}  {', '.join(grants) or '-'}")
    from scctn_node.bridge.localnet import load_bridge_info

    bridge = load_bridge_info(net.home)
    if bridge is not None:
        lines += [
            "",
            f"Bridge: vault {bridge['vault']} on Ethereum {bridge['eth_chain_id']} "
            f"({bridge['eth_rpc']}), token {bridge['token']}",
            f"  depositor {bridge['depositor']['address']} keystore "
            f"{bridge['depositor']['keyfile']} (password {bridge['password']}); "
            "see docs/bridge.md",
        ]
    h = f"--home {net.home}"
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


def layout_summary(net: Localnet) -> str:
    lines = [f"localnet {net.chain_id} in {net.home}: {plural(len(net.nodes), 'validator')}"]
    for node in net.nodes:
        lines.append(
            f"  {node.name}: {node.moniker} API {node.api} p2p {node.p2p} key {node.public_key}"
        )
    return "\n".join(lines)


@click.command("localnet")
@click.option(
    "--home", type=click.Path(path_type=Path), default=Path("localnet-data"), show_default=True
)
@click.option("--reset", "do_reset", is_flag=True, help="delete the data directory first")
@click.option(
    "--validators",
    type=click.IntRange(1, 64),
    default=None,
    help="number of validators (default: the existing localnet's, else 1)",
)
@click.option(
    "--api-port",
    type=int,
    default=DEFAULT_API_PORT,
    show_default=True,
    help="node i serves its API on this port + i",
)
@click.option(
    "--p2p-port",
    type=int,
    default=DEFAULT_P2P_PORT,
    show_default=True,
    help="node i listens for p2p on this port + i",
)
@click.option("--init-only", is_flag=True, help="write the node homes and exit")
@click.option(
    "--compose",
    is_flag=True,
    help="write homes for docker-compose.yml (peers at validator<i>, listen on 0.0.0.0) and exit",
)
@click.option("--start-timeout", type=float, default=60.0, show_default=True)
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--bridge-eth-rpc",
    default=None,
    help="new localnets: deploy a test token and the vault there and run the bridge watchers",
)
@click.option(
    "--bridge-token",
    type=click.Choice(["standard", "scctn-like"]),
    default="standard",
    show_default=True,
)
@click.option("--bridge-confirmations", type=int, default=2, show_default=True)
@click.option(
    "--bridge-deployer-keyfile", default=None, help="V3 keystore (default: anvil's dev account)"
)
@handle_errors
def localnet(
    home: Path,
    do_reset: bool,
    validators: int | None,
    api_port: int,
    p2p_port: int,
    init_only: bool,
    compose: bool,
    start_timeout: float,
    log_format: str,
    bridge_eth_rpc: str | None,
    bridge_token: str,
    bridge_confirmations: int,
    bridge_deployer_keyfile: str | None,
) -> None:
    """A local development network: N validator processes, funded demo accounts; with
    --bridge-eth-rpc, bridged to a vault deployed on that Ethereum endpoint."""
    home = home.resolve()
    if do_reset:
        reset(home)
    net = load_network(home)
    if net is None:
        bridge = None
        if bridge_eth_rpc:
            from scctn_node.cli.bridge import bridge_setup

            bridge = bridge_setup(
                bridge_eth_rpc, bridge_token, bridge_confirmations, bridge_deployer_keyfile
            )
        net = create_network(
            home,
            validators or 1,
            api_port=api_port,
            p2p_port=p2p_port,
            compose=compose,
            bridge=bridge,
        )
    elif validators is not None and validators != len(net.nodes):
        fail(
            "localnet_mismatch",
            f"{home} holds a localnet of {plural(len(net.nodes), 'validator')}; run it with "
            f"--validators {len(net.nodes)}, or add --reset to start over with {validators}",
            2,
        )
    elif compose and not net.compose:
        fail("localnet_mismatch", f"{home} holds a localnet not made for compose; use --reset", 2)
    if init_only or compose:
        click.echo(layout_summary(net))
        return
    if net.compose:
        fail("localnet_mismatch", f"{home} is made for docker-compose: run `docker compose up`", 2)
    launcher = Launcher(net, log_format=log_format, start_timeout=start_timeout)
    launcher.run(lambda kids: click.echo(banner(net, [(c.api, c.height) for c in kids])))
