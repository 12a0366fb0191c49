"""`scctn bridge`: deploy the vault, deposit, withdraw, status, run the relayer, and
Ethereum accounts (V3 keystore files).

Ethereum keys come from an encrypted V3 keystore file (`--keyfile`), its password from
`--password-file`, else $SCCTN_ETH_PASSWORD, else a prompt. Every failure is one line on
stderr and a non-zero exit (1 refused, 2 unreachable or a wrong command line).

eth_account and the bridge modules built on it are imported inside the commands that use
them: they take a third of a second to load, which every `scctn` call would otherwise
pay, bridge or not.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
import trio

from primitives import eth
from primitives.errors import PrimitivesError
from primitives.keys import format_address, parse_address
from scctn_node.cli.common import NodeClient, emit, fail, handle_errors, resolve_node

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def bridge_errors(func: F) -> F:
    """Ethereum-side errors as one stderr line, on top of the CLI's usual handling."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from scctn_node.bridge.actions import BridgeActionError
        from scctn_node.bridge.ethkeys import EthKeyError
        from scctn_node.bridge.relayer import RelayerError
        from scctn_node.bridge.rpc import EthConnectionError, EthRpcError
        from scctn_node.bridge.store import RelayerStoreError
        from scctn_node.bridge.vault import VaultError

        try:
            return func(*args, **kwargs)
        except EthConnectionError as exc:
            click.echo(f"error: eth_unreachable: {exc.message}", err=True)
            sys.exit(2)
        except VaultError as exc:
            click.echo(f"error: vault_reverted: the vault refused it: {exc}", err=True)
            sys.exit(1)
        except EthRpcError as exc:
            click.echo(f"error: eth_rpc_error: {exc.message} (code {exc.code})", err=True)
            sys.exit(1)
        except (BridgeActionError, EthKeyError, RelayerError, RelayerStoreError) as exc:
            click.echo(f"error: {exc.code}: {exc.message}", err=True)
            sys.exit(2 if exc.code in ("node_unreachable",) else 1)

    return handle_errors(wrapper)  # type: ignore[return-value]


def run(fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    return trio.run(fn, *args)


def eth_address(text: str, what: str = "address") -> bytes:

    try:
        return eth.parse_eth_address(text)
    except PrimitivesError as exc:
        fail("bad_address", f"{what}: {getattr(exc, 'message', exc)}", 2)


def load_account(keyfile: str, password_file: str | None) -> Any:
    from eth_account import Account

    from scctn_node.bridge.ethkeys import load_v3, read_password

    signer = load_v3(keyfile, read_password(password_file))
    return Account.from_key(signer.secret)


async def _rpc_checked(url: str, expect_chain: int | None) -> Any:
    from scctn_node.bridge.rpc import EthRpc

    rpc = EthRpc(url)
    chain_id = await rpc.chain_id()
    if expect_chain is not None and chain_id != expect_chain:
        await rpc.aclose()
        fail("wrong_chain", f"the endpoint is Ethereum chain {chain_id}, expected {expect_chain}")
    return rpc


def _bridge_info(client: NodeClient) -> dict[str, Any]:
    info = client.get("/v1/bridge")
    if not isinstance(info, dict) or not info.get("configured"):
        fail("bridge_not_configured", "the node's bridge is not configured")
    return info


def bridge_setup(eth_rpc: str, token: str, confirmations: int, deployer_keyfile: str | None) -> Any:
    """What `scctn localnet --bridge-eth-rpc` deploys with (errors as ConfigError)."""
    from scctn_node.bridge.ethkeys import EthKeyError
    from scctn_node.bridge.localnet import BridgeSetup
    from scctn_node.errors import ConfigError

    deployer = None
    if deployer_keyfile:
        try:
            deployer = load_account(deployer_keyfile, None)
        except EthKeyError as exc:
            raise ConfigError(exc.message) from exc
    return BridgeSetup(eth_rpc, token=token, confirmations=confirmations, deployer=deployer)


eth_rpc_opt = click.option(
    "--eth-rpc", envvar="SCCTN_ETH_RPC", required=True, help="Ethereum JSON-RPC URL"
)
keyfile_opt = click.option(
    "--keyfile", envvar="SCCTN_ETH_KEYFILE", required=True, help="Ethereum V3 keystore file"
)
password_opt = click.option(
    "--password-file",
    default=None,
    help="file with the keystore password (else $SCCTN_ETH_PASSWORD)",
)
node_opt = click.option("--node", default=None, help="consortium node API URL")
home_opt = click.option("--home", type=click.Path(path_type=Path), default=None)
out_opt = click.option("--output", "-o", type=click.Choice(["json", "text"]), default="text")
vault_opt = click.option(
    "--vault", "vault_text", default=None, help="default: the node's configured vault"
)


def _vault_target(
    vault_text: str | None, node: str | None, home: Path | None
) -> tuple[bytes, int | None]:
    """The vault to act on and the Ethereum chain id it must be on: `--vault` alone gives
    no chain id to check (the caller checks that a contract is there), the node's bridge
    configuration gives both."""
    if vault_text:
        return eth_address(vault_text, "vault"), None
    config = _bridge_info(NodeClient(resolve_node(node, home)))["config"]
    return eth_address(config["vault"]), int(config["eth_chain_id"])


@click.group("bridge")
def bridge_group() -> None:
    """The Ethereum bridge: deploy, deposit, withdraw, status, relay, accounts."""


# ------------------------------------------------------------------- accounts
@bridge_group.group("account")
def account_group() -> None:
    """Ethereum accounts in V3 keystore files."""


@account_group.command("new")
@click.option("--out", "out_path", required=True, help="keystore file to create")
@password_opt
@out_opt
@bridge_errors
def account_new(out_path: str, password_file: str | None, output: str) -> None:
    """Create a new Ethereum key in an encrypted V3 keystore file."""
    from scctn_node.bridge.ethkeys import read_password, write_v3

    signer = write_v3(out_path, read_password(password_file, confirm=True))
    emit({"address": signer.address, "file": out_path}, output, lambda d: d["address"])


@account_group.command("show")
@click.argument("keyfile")
@out_opt
@bridge_errors
def account_show(keyfile: str, output: str) -> None:
    """The address of a V3 keystore file (no password needed)."""

    try:
        doc = json.loads(Path(keyfile).read_text())
        address = "0x" + str(doc["address"]).removeprefix("0x")
    except (OSError, ValueError, KeyError, TypeError):
        fail("invalid_eth_keystore", f"{keyfile!r} is not a readable V3 keystore")
    checksum = eth.to_checksum(eth_address(address))
    emit({"address": checksum}, output, lambda d: d["address"])


# --------------------------------------------------------------------- deploy
@bridge_group.command("deploy")
@eth_rpc_opt
@keyfile_opt
@password_opt
@node_opt
@home_opt
@click.option("--validators", default=None, help="first valset: comma-separated 0x addresses")
@click.option("--valset-nonce", type=int, default=1, show_default=True)
@click.option("--token", "token_text", default=None, help="the ERC-20 to bridge (0x address)")
@click.option(
    "--test-token",
    type=click.Choice(["standard", "scctn-like"]),
    default=None,
    help="deploy a test token first (local networks only)",
)
@click.option("--token-decimals", type=int, default=18, show_default=True)
@click.option("--chain-decimals", type=int, default=None, help="default: the node's, else 8")
@click.option("--guardian", default=None, help="pause role (default: the deployer)")
@click.option("--per-tx-cap", default=None, help="token units")
@click.option("--daily-limit", default=None, help="token units")
@click.option("--large-amount", default=None, help="token units; above it a time lock")
@click.option("--large-delay", type=int, default=3600, show_default=True)
@click.option("--change-delay", type=int, default=3600, show_default=True)
@click.option("--mint-to", multiple=True, help="test token: mint to this address")
@click.option("--mint-amount", default="0", help="test token: token units per --mint-to")
@out_opt
@bridge_errors
def deploy_cmd(
    eth_rpc: str,
    keyfile: str,
    password_file: str | None,
    node: str | None,
    home: Path | None,
    validators: str | None,
    valset_nonce: int,
    token_text: str | None,
    test_token: str | None,
    token_decimals: int,
    chain_decimals: int | None,
    guardian: str | None,
    per_tx_cap: str | None,
    daily_limit: str | None,
    large_amount: str | None,
    large_delay: int,
    change_delay: int,
    mint_to: tuple[str, ...],
    mint_amount: str,
    output: str,
) -> None:
    """Deploy the vault for the node's current valset (or --validators)."""
    from dataclasses import replace

    from scctn_node.bridge.actions import default_params, deploy_bridge

    if (token_text is None) == (test_token is None):
        fail("bad_arguments", "give exactly one of --token or --test-token", 2)
    if validators:
        addrs = sorted(eth_address(a.strip(), "validator") for a in validators.split(","))
        valset = eth.Valset(valset_nonce, tuple(addrs), tuple(1 for _ in addrs))
    else:
        client = NodeClient(resolve_node(node, home))
        doc = client.get("/v1/bridge/valsets/latest")
        if not isinstance(doc, dict) or not doc.get("validators"):
            fail("no_valset", "the node has no bridge valset yet: pass --validators", 1)
        valset = eth.Valset(
            int(doc["nonce"]),
            tuple(eth_address(a) for a in doc["validators"]),
            tuple(int(p) for p in doc["powers"]),
        )
        if chain_decimals is None:
            info = client.get("/v1/bridge")
            if isinstance(info, dict) and info.get("configured"):
                chain_decimals = int(info["config"]["wrapped_decimals"])
    try:
        valset.check()
    except PrimitivesError as exc:
        fail("bad_valset", getattr(exc, "message", str(exc)), 2)
    account = load_account(keyfile, password_file)
    me = bytes.fromhex(account.address[2:])
    params = default_params(eth_address(guardian, "guardian") if guardian else me)
    params = replace(params, chain_decimals=8 if chain_decimals is None else chain_decimals)
    params = replace(params, large_delay=large_delay, change_delay=change_delay)
    params = replace(
        params,
        per_tx_cap=_uint(per_tx_cap, "per-tx-cap") if per_tx_cap else params.per_tx_cap,
        daily_limit=_uint(daily_limit, "daily-limit") if daily_limit else params.daily_limit,
        large_amount=_uint(large_amount, "large-amount") if large_amount else params.large_amount,
    )

    async def main() -> dict[str, Any]:
        rpc = await _rpc_checked(eth_rpc, None)
        try:
            d = await deploy_bridge(
                rpc,
                account,
                valset,
                params,
                token=eth_address(token_text, "token") if token_text else None,
                test_token=test_token,
                token_decimals=token_decimals,
                mint_to=[eth_address(a, "mint-to") for a in mint_to],
                mint_amount=_uint(mint_amount, "mint-amount"),
            )
        finally:
            await rpc.aclose()
        return {**d.to_json(), "valset_nonce": valset.nonce}

    result = run(main)
    emit(
        result,
        output,
        lambda d: f"vault {d['vault']} (token {d['token']}) on chain {d['eth_chain_id']}",
    )


def _uint(text: str, what: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        fail("bad_arguments", f"{what}: {text!r} is not an integer", 2)
    if value < 0:
        fail("bad_arguments", f"{what}: must not be negative", 2)
    return value


# -------------------------------------------------------------------- deposit
@bridge_group.command("deposit")
@eth_rpc_opt
@keyfile_opt
@password_opt
@node_opt
@home_opt
@vault_opt
@click.option(
    "--amount", required=True, help="token units (e.g. 10**18 for 1 token of 18 decimals)"
)
@click.option("--to", "recipient", required=True, help="the scc1... account to credit")
@out_opt
@bridge_errors
def deposit_cmd(
    eth_rpc: str,
    keyfile: str,
    password_file: str | None,
    node: str | None,
    home: Path | None,
    vault_text: str | None,
    amount: str,
    recipient: str,
    output: str,
) -> None:
    """Approve and deposit tokens into the vault for a consortium account."""
    from scctn_node.bridge.actions import deposit

    try:
        to = parse_address(recipient)
    except PrimitivesError as exc:
        fail("bad_address", f"--to: {getattr(exc, 'message', exc)}", 2)
    vault, expect = _vault_target(vault_text, node, home)
    value = _uint(amount, "amount")
    account = load_account(keyfile, password_file)

    async def main() -> dict[str, Any]:
        rpc = await _rpc_checked(eth_rpc, expect)
        try:
            return await deposit(rpc, account, vault, value, to)
        finally:
            await rpc.aclose()

    result = run(main)
    result["recipient"] = format_address(to)
    emit(result, output, lambda d: f"deposit {d['nonce']} of {d['amount']} in {d['tx']}")


# ------------------------------------------------------------------- withdraw
@bridge_group.command("withdraw")
@click.option("--from", "sender", required=True, help="key name of the holder")
@click.option("--to", "recipient", required=True, help="Ethereum 0x address to receive")
@click.option("--amount", type=int, required=True, help="chain units of wrapped SCCTN to burn")
@node_opt
@home_opt
@click.option("--passphrase-file", default=None)
@click.option("--relay", is_flag=True, help="wait for signatures and submit to the vault yourself")
@click.option("--eth-rpc", envvar="SCCTN_ETH_RPC", default=None)
@click.option("--keyfile", envvar="SCCTN_ETH_KEYFILE", default=None)
@password_opt
@click.option("--timeout", type=float, default=120.0, show_default=True)
@out_opt
@bridge_errors
def withdraw_cmd(
    sender: str,
    recipient: str,
    amount: int,
    node: str | None,
    home: Path | None,
    passphrase_file: str | None,
    relay: bool,
    eth_rpc: str | None,
    keyfile: str | None,
    password_file: str | None,
    timeout: float,
    output: str,
) -> None:
    """Burn wrapped SCCTN here for an Ethereum address; optionally relay it yourself."""
    from scctn_node.cli.keys import get_passphrase, keystore_for
    from scctn_node.cli.tx import _needed_gas, wait_for
    from vm.ops.catalog import decode_operation
    from vm.tx import Transaction

    to = eth_address(recipient, "--to")
    if amount <= 0:
        fail("bad_amount", "--amount must be positive", 2)
    if relay and not (eth_rpc and keyfile):
        fail("bad_arguments", "--relay needs --eth-rpc and --keyfile", 2)
    client = NodeClient(resolve_node(node, home))
    _bridge_info(client)
    key = keystore_for(home).load(sender, get_passphrase(home, passphrase_file))
    status = client.get("/v1/status")
    account = client.get(f"/v1/accounts/{format_address(key.address())}")
    ops = (decode_operation([142, to, amount]),)
    draft = Transaction(
        status["chain_id"],
        key.public.raw,
        account["next_nonce"],
        0,
        status["height"] + 100,
        "",
        ops,
    )
    tx = Transaction(
        draft.chain_id,
        draft.sender,
        draft.nonce,
        _needed_gas(client, draft),
        draft.expiry_height,
        "",
        ops,
    )
    sent = client.post("/v1/txs", {"tx": tx.sign(key).encode().hex()})
    done = wait_for(client, sent["hash"], timeout)
    receipt = done["receipt"]
    if receipt["code"] != "ok":
        fail(receipt["code"], f"the burn failed: {receipt['message']}")
    wid = _withdrawal_id(receipt)
    result: dict[str, Any] = {"id": wid, "tx": sent["hash"], "height": done["height"]}
    if relay:
        assert eth_rpc is not None and keyfile is not None
        result["vault_tx"] = _relay_one(client, wid, eth_rpc, keyfile, password_file, timeout)
    emit(
        result,
        output,
        lambda d: (
            f"withdrawal {d['id']} queued"
            + (f", released in {d['vault_tx']}" if d.get("vault_tx") else "")
        ),
    )


def _withdrawal_id(receipt: dict[str, Any]) -> int:
    for event in receipt.get("events", []):
        if event.get("kind") == "bridge.withdrawal":
            return int(event["fields"][0])
    fail("no_withdrawal", "the receipt has no bridge.withdrawal event")


def _relay_one(
    client: NodeClient,
    wid: int,
    eth_rpc: str,
    keyfile: str,
    password_file: str | None,
    timeout: float,
) -> str:
    """Wait for a quorum of signatures of the vault's current set, then send `withdraw`."""
    from scctn_node.bridge.actions import open_vault
    from scctn_node.bridge.relayer import quorum_signatures
    from scctn_node.bridge.watcher import message_from_json

    info = _bridge_info(client)
    account = load_account(keyfile, password_file)
    vault_address = eth_address(info["config"]["vault"])
    chain_id = int(info["config"]["eth_chain_id"])

    async def main() -> str:
        rpc = await _rpc_checked(eth_rpc, chain_id)
        try:
            vault = await open_vault(rpc, vault_address)
            deadline = time.monotonic() + timeout
            while True:
                if await vault.used(wid):
                    fail("already_released", f"withdrawal {wid} was already relayed by someone")
                nonce = int(await vault.valset_nonce())
                doc = client.get(f"/v1/bridge/valsets/{nonce}")
                current = message_from_json("valset", doc)
                [item] = client.get(f"/v1/bridge/outbox?kind=withdrawal&from={wid}&limit=1")
                w = message_from_json("withdrawal", item["message"])
                assert isinstance(current, eth.Valset) and isinstance(w, eth.Withdrawal)
                digest = eth.message_digest(chain_id, vault_address, w)
                chosen = quorum_signatures(digest, current, item.get("signatures", []))
                if chosen is not None:
                    receipt = await vault.withdraw(account, w, current, *chosen)
                    return "0x" + receipt.tx_hash.hex()
                if time.monotonic() > deadline:
                    fail(
                        "timeout",
                        f"withdrawal {wid}: no quorum of signatures after {timeout:.0f} s",
                    )
                await trio.sleep(0.5)
        finally:
            await rpc.aclose()

    return run(main)


# ---------------------------------------------------------------------- pause
@bridge_group.command("pause")
@eth_rpc_opt
@keyfile_opt
@password_opt
@node_opt
@home_opt
@vault_opt
@out_opt
@bridge_errors
def pause_cmd(
    eth_rpc: str,
    keyfile: str,
    password_file: str | None,
    node: str | None,
    home: Path | None,
    vault_text: str | None,
    output: str,
) -> None:
    """Pause the vault now (the guardian's key). Unpausing takes a signed VaultChange."""
    from scctn_node.bridge.actions import open_vault

    vault_address, expect = _vault_target(vault_text, node, home)
    account = load_account(keyfile, password_file)

    async def main() -> str:
        rpc = await _rpc_checked(eth_rpc, expect)
        try:
            vault = await open_vault(rpc, vault_address)
            receipt = await vault.pause(account)
            if not await vault.paused():  # never report a pause that did not happen
                fail("not_paused", f"the vault is not paused after {receipt.tx_hash.hex()}")
            return "0x" + receipt.tx_hash.hex()
        finally:
            await rpc.aclose()

    tx = run(main)
    emit({"paused": True, "tx": tx}, output, lambda d: f"vault paused in {d['tx']}")


# --------------------------------------------------------------------- status
@bridge_group.command("status")
@node_opt
@home_opt
@click.option("--eth-rpc", envvar="SCCTN_ETH_RPC", default=None, help="also read the vault")
@out_opt
@bridge_errors
def status_cmd(node: str | None, home: Path | None, eth_rpc: str | None, output: str) -> None:
    """The bridge on both sides, and the invariant locked >= minted."""
    from scctn_node.bridge.actions import vault_status
    from scctn_node.bridge.watcher import outstanding

    client = NodeClient(resolve_node(node, home))
    info = client.get("/v1/bridge")
    result: dict[str, Any] = {"chain": info}
    if eth_rpc and isinstance(info, dict) and info.get("configured"):
        config = info["config"]

        async def main() -> dict[str, Any]:
            rpc = await _rpc_checked(eth_rpc, int(config["eth_chain_id"]))
            try:
                return await vault_status(rpc, eth_address(config["vault"]))
            finally:
                await rpc.aclose()

        vault = run(main)
        minted = outstanding(info)
        result["vault"] = vault
        result["invariant"] = {
            "locked_chain_units": vault["locked_chain_units"],
            "outstanding_chain_units": minted,
            "ok": vault["locked_chain_units"] >= minted,
        }
    emit(result, output, _status_text)
    if "invariant" in result and not result["invariant"]["ok"]:
        sys.exit(1)


def _status_text(d: dict[str, Any]) -> str:
    c = d["chain"]
    if not c.get("configured"):
        return "bridge: not configured"
    lines = [
        f"chain: vault {c['config']['vault']} on Ethereum {c['config']['eth_chain_id']}, "
        f"next deposit {c['next_deposit_nonce']}, next withdrawal {c['next_withdrawal_id']}, "
        f"valset {c['valset_nonce']}, paused {c['paused']}, "
        f"halted {c['halted']['reason'] if c.get('halted') else 'no'}",
    ]
    if "vault" in d:
        v = d["vault"]
        lines.append(
            f"vault: locked {v['locked']} token units ({v['locked_chain_units']} chain units), "
            f"deposits {v['deposit_nonce']}, valset {v['valset_nonce']}, paused {v['paused']}"
        )
        i = d["invariant"]
        lines.append(
            f"invariant: locked {i['locked_chain_units']} >= outstanding "
            f"{i['outstanding_chain_units']}: {'ok' if i['ok'] else 'VIOLATED'}"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------- relay
@bridge_group.command("relay")
@eth_rpc_opt
@keyfile_opt
@password_opt
@node_opt
@home_opt
@click.option(
    "--data",
    "data_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="relayer LevelDB directory",
)
@click.option("--confirmations", type=int, default=2, show_default=True)
@click.option("--poll-interval", type=float, default=2.0, show_default=True)
@click.option("--bump-after", type=float, default=30.0, show_default=True, help="seconds")
@click.option("--max-fee-gwei", type=int, default=500, show_default=True)
@click.option("--once", is_flag=True, help="one round, then exit")
@bridge_errors
def relay_cmd(
    eth_rpc: str,
    keyfile: str,
    password_file: str | None,
    node: str | None,
    home: Path | None,
    data_dir: Path,
    confirmations: int,
    poll_interval: float,
    bump_after: float,
    max_fee_gwei: int,
    once: bool,
) -> None:
    """Carry signed valsets, vault changes and withdrawals to the vault (anyone may)."""
    from scctn_node.bridge.relayer import NodeApi, Relayer, RelayerSettings
    from scctn_node.bridge.rpc import EthRpc
    from scctn_node.bridge.store import RelayerStore
    from scctn_node.logging import setup_logging

    setup_logging("text", "info")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    account = load_account(keyfile, password_file)
    settings = RelayerSettings(
        confirmations=confirmations,
        poll_interval=poll_interval,
        bump_after=bump_after,
        max_fee=max_fee_gwei * 10**9,
        once=once,
    )
    store = RelayerStore.open(data_dir)

    async def main() -> None:
        node_api = NodeApi(resolve_node(node, home))
        rpc = EthRpc(eth_rpc)
        relayer = Relayer(settings, node_api, rpc, account, store)
        try:
            await relayer.setup()
            click.echo(
                f"relayer {account.address} for vault 0x{relayer._v().address.hex()}", err=True
            )
            await relayer.run()
        finally:
            await rpc.aclose()
            await node_api.aclose()

    try:
        run(main)
    except KeyboardInterrupt:
        pass
    finally:
        store.close()
