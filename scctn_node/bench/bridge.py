"""`scctn bench bridge`: deposits and withdrawals per minute end to end on anvil with a
4-validator localnet (watchers attesting and signing, `scctn bridge relay` relaying).

Deposits: N `deposit` transactions sent back to back on Ethereum; the clock stops when
the consortium chain has minted all N. Withdrawals: M `bridge.withdraw` burns on the
consortium chain; the clock stops when the vault has released all M. Both include the
confirmation depth (anvil mines a block every second), so the figures are bounded by it;
the per-item latency of a single deposit and withdrawal is printed as well.

Needs only this package and an anvil binary (`scctn_node.bridge.anvil.find_anvil`:
$SCCTN_ANVIL, node_modules from `npm ci`, or PATH; or `--anvil PATH`). The network is
what `scctn localnet --bridge-eth-rpc` builds (`create_network` with a `BridgeSetup`: the
vault deployed before genesis, the watchers configured) in a temporary directory, its four
nodes run by the localnet `Launcher`, the relayer is `python -m scctn_node bridge relay`.
Every process it starts is stopped when it ends, fails, or is interrupted (Ctrl-C or
SIGTERM); the temporary directory goes with them.

`wait_until`, `free_ports` and `BLOCK_TIME` are shared with the end-to-end bridge tests
(tests/ethereum/bridge_net.py), which build the same network.
"""

from __future__ import annotations

import contextlib
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from eth_account import Account
from eth_account.signers.local import LocalAccount

from primitives import eth
from primitives.keys import PrivateKey, format_address
from scctn_node.bridge.actions import deposit
from scctn_node.bridge.anvil import Anvil, find_anvil, start_anvil
from scctn_node.bridge.ethkeys import load_v3, write_v3
from scctn_node.bridge.localnet import BridgeSetup, load_bridge_info
from scctn_node.bridge.rpc import EthRpc
from scctn_node.bridge.vault import Token, Vault, sign_transaction
from scctn_node.cli.common import NodeClient
from scctn_node.errors import NodeError
from scctn_node.keystore import Keystore
from scctn_node.launcher import Child, Launcher, tail
from scctn_node.localnet import LOCALNET_PASSPHRASE, PASSPHRASE_FILE, Localnet, create_network
from vm.ops.bridge import BridgeWithdraw
from vm.tx import Transaction

T = TypeVar("T")
BLOCK_TIME = "1"  # seconds between anvil blocks (confirmations x this = mint latency)
VALIDATORS = 4
TOKEN_UNIT = 10**18  # one test token (18 decimals): the amount of every deposit
CHAIN_UNIT = 10**8  # one wrapped token on the chain (8 decimals): every withdrawal
SCALE = TOKEN_UNIT // CHAIN_UNIT  # token units per chain unit


class BenchFailed(NodeError):
    code = "bench_failed"


@dataclass(frozen=True, slots=True)
class BridgeBenchSettings:
    deposits: int = 40
    withdrawals: int = 40
    confirmations: int = 2
    anvil: Path | None = None  # None: find_anvil()'s search
    start_timeout: float = 120.0  # seconds for the four nodes to be up


def wait_until(what: str, fn: Callable[[], T], timeout: float = 60.0, every: float = 0.2) -> T:
    """Poll `fn` until it returns something truthy; its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(every)


def free_ports(n: int) -> int:
    """A base port with `n` consecutive free ports (a localnet uses base + i)."""
    for _ in range(200):
        base = random.randrange(20_000, 60_000 - n)
        socks = []
        try:
            for i in range(n):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", base + i))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no block of free ports")


@dataclass
class _Bench:
    """One run's handles: the network's home, anvil, node0's API, the relayers started."""

    home: Path
    anvil: Anvil
    info: dict[str, Any]  # <home>/bridge.json
    node: NodeClient  # node0
    relayers: list[subprocess.Popen[bytes]]

    # ---------------------------------------------------------------- reading
    def bridge(self) -> dict[str, Any]:
        result: dict[str, Any] = self.node.get("/v1/bridge")
        return result

    def eth(self, fn: Callable[[EthRpc], Awaitable[T]]) -> T:
        return self.anvil.run(fn, isolate=False)

    @property
    def vault_address(self) -> bytes:
        return eth.parse_eth_address(self.info["vault"])

    def alice(self) -> PrivateKey:
        return Keystore(self.home / "keys").load("alice", LOCALNET_PASSPHRASE)

    def depositor(self) -> LocalAccount:
        signer = load_v3(self.info["depositor"]["keyfile"], self.info["password"])
        account: LocalAccount = Account.from_key(signer.secret)
        return account

    def released(self, who: bytes, amount: int) -> bool:
        """Whether `who` holds `amount` token units; fails if the relayer has exited."""

        async def go(rpc: EthRpc) -> int:
            token = Token.at(rpc, await Vault.at(rpc, self.vault_address).token())
            return int(await token.balance_of(who))

        self.check_relayers()
        return self.eth(go) == amount

    # --------------------------------------------------------------- deposits
    def deposit_one(self, amount: int) -> None:
        account, vault, recipient = self.depositor(), self.vault_address, self.alice().address()

        async def go(rpc: EthRpc) -> None:
            await deposit(rpc, account, vault, amount, recipient)

        self.eth(go)

    def deposit_many(self, count: int, amount: int) -> None:
        """`count` deposits to alice sent back to back (consecutive nonces, one approval)."""
        account, vault_address = self.depositor(), self.vault_address
        recipient = self.alice().address()

        async def go(rpc: EthRpc) -> None:
            vault = Vault.at(rpc, vault_address)
            token = Token.at(rpc, await vault.token())
            await token.approve(account, vault_address, amount * count)
            me = bytes.fromhex(account.address[2:])
            nonce = await rpc.get_transaction_count(me, "pending")
            data = vault.encode("deposit", amount, recipient)
            first = await sign_transaction(rpc, account, to=vault_address, data=data, nonce=nonce)
            await rpc.send_raw_transaction(first.raw)
            for i in range(1, count):
                tx = await sign_transaction(
                    rpc, account, to=vault_address, data=data, nonce=nonce + i, gas=first.gas
                )
                await rpc.send_raw_transaction(tx.raw)

        self.eth(go)

    # ------------------------------------------------------------ withdrawals
    def withdraw_many(self, count: int, amount: int, recipient: bytes) -> None:
        """`count` `bridge.withdraw` burns from alice, submitted together to /v1/txs."""
        key = self.alice()
        status = self.node.get("/v1/status")
        nonce = self.node.get(f"/v1/accounts/{format_address(key.address())}")["next_nonce"]
        op = BridgeWithdraw(eth_recipient=recipient, amount=amount)
        for i in range(count):
            tx = Transaction(
                status["chain_id"],
                key.public.raw,
                nonce + i,
                1_000_000,
                status["height"] + 200,
                "",
                (op,),
            )
            # a refusal raises the node's error (NodeClient)
            self.node.post("/v1/txs", {"tx": tx.sign(key).encode().hex()})

    # ---------------------------------------------------------------- relayer
    def start_relayer(self) -> None:
        """`scctn bridge relay` with a fresh funded key, logging to <home>/relayer.log.

        It stays in our process group: a Ctrl-C in the terminal reaches it directly, so
        it stops even if we are interrupted again while stopping it."""
        keyfile = self.home / "eth" / "relayer.json"
        signer = write_v3(keyfile, LOCALNET_PASSPHRASE, n=2**4)

        async def fund(rpc: EthRpc) -> None:
            await rpc.set_balance(signer.address_bytes, 10**22)

        self.eth(fund)
        command = [sys.executable, "-m", "scctn_node", "bridge", "relay"]
        command += ["--eth-rpc", self.anvil.url, "--keyfile", str(keyfile)]
        command += ["--password-file", str(self.home / PASSPHRASE_FILE)]
        command += ["--node", self.node.base, "--data", str(self.home / "relayer")]
        command += ["--confirmations", "1", "--poll-interval", "0.3"]
        with open(self.home / "relayer.log", "ab") as log:
            self.relayers.append(
                subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            )

    def check_relayers(self) -> None:
        """A relayer that has exited fails the run now, not at the wait's timeout."""
        for proc in self.relayers:
            if proc.poll() is not None:
                last = "\n".join(tail(self.home / "relayer.log"))
                raise BenchFailed(f"the relayer exited with code {proc.returncode}:\n{last}")


def _stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait(what: str, fn: Callable[[], object], timeout: float, every: float) -> None:
    try:
        wait_until(what, fn, timeout, every)
    except TimeoutError as exc:
        raise BenchFailed(f"{exc} ({timeout:.0f} s)", code="bench_timeout") from None


def _measure(b: _Bench, settings: BridgeBenchSettings) -> dict[str, Any]:
    out: dict[str, Any] = {"validators": VALIDATORS, "confirmations": settings.confirmations}

    def minted(n: int) -> Callable[[], bool]:
        first = int(b.bridge()["next_deposit_nonce"])
        return lambda: int(b.bridge()["next_deposit_nonce"]) >= first + n

    # one deposit alone: its latency
    done = minted(1)
    t0 = time.monotonic()
    b.deposit_one(TOKEN_UNIT)
    _wait("a mint", done, 120, 0.05)
    out["deposit_latency_s"] = time.monotonic() - t0

    n = settings.deposits
    done = minted(n)
    t0 = time.monotonic()
    b.deposit_many(n, TOKEN_UNIT)
    _wait("the mints", done, 600, 0.1)
    elapsed = time.monotonic() - t0
    out |= {"deposits": n, "deposits_s": elapsed, "deposits_per_min": n / elapsed * 60}

    b.start_relayer()
    one = bytes.fromhex("00" * 19 + "01")
    t0 = time.monotonic()
    b.withdraw_many(1, CHAIN_UNIT, one)
    _wait("a release", lambda: b.released(one, CHAIN_UNIT * SCALE), 120, 0.05)
    out["withdrawal_latency_s"] = time.monotonic() - t0

    m = settings.withdrawals
    many = bytes.fromhex("00" * 19 + "02")
    t0 = time.monotonic()
    b.withdraw_many(m, CHAIN_UNIT, many)
    _wait("the releases", lambda: b.released(many, m * CHAIN_UNIT * SCALE), 600, 0.1)
    elapsed = time.monotonic() - t0
    out |= {"withdrawals": m, "withdrawals_s": elapsed, "withdrawals_per_min": m / elapsed * 60}
    halted = b.bridge()["halted"]
    if halted is not None:
        raise BenchFailed(f"the bridge halted during the run: {halted}")
    return out


class _Finished(Exception):
    """Ends `Launcher.run` once the body is done. The launcher watches its nodes until a
    signal and stops them on its way out of any exception, so this is how a caller with
    nothing left to do leaves (a signal would look like Ctrl-C)."""


def _with_nodes(
    net: Localnet, start_timeout: float, body: Callable[[str], dict[str, Any]]
) -> dict[str, Any]:
    """Run the localnet's nodes with the `scctn localnet` launcher, call `body(node0's
    API URL)` once they are up, stop them; `body`'s value."""
    result: dict[str, Any] = {}

    def on_up(children: list[Child]) -> None:
        result.update(body(children[0].api))
        raise _Finished

    try:
        Launcher(net, start_timeout=start_timeout).run(on_up)
    except _Finished:
        return result
    # run() returns only when SIGINT or SIGTERM stopped it (and the nodes) early
    raise KeyboardInterrupt


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM stops the run like Ctrl-C, through every `finally` that stops a process
    (its default action would end us at once and leave anvil and the relayer running)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def run(settings: BridgeBenchSettings) -> dict[str, Any]:
    binary = find_anvil(settings.anvil)  # before anything starts: AnvilMissing
    relayers: list[subprocess.Popen[bytes]] = []
    with (
        _sigterm_interrupts(),
        tempfile.TemporaryDirectory(prefix="scctn-bench-bridge-") as tmp,
        start_anvil(extra_args=("--block-time", BLOCK_TIME), binary=binary) as anvil,
    ):
        home = Path(tmp) / "net"
        net = _create_network(home, anvil, settings.confirmations)
        info = load_bridge_info(home)
        if info is None:
            raise BenchFailed(f"the localnet wrote no bridge.json in {home}")

        def body(api: str) -> dict[str, Any]:
            bench = _Bench(home, anvil, info, NodeClient(api, timeout=30), relayers)
            try:
                return _measure(bench, settings)
            finally:
                _stop_all(relayers)  # before the nodes it talks to

        try:
            return _with_nodes(net, settings.start_timeout, body)
        finally:
            _stop_all(relayers)  # if an interrupt cut the first attempt short


def _create_network(home: Path, anvil: Anvil, confirmations: int) -> Localnet:
    """The bridge localnet the end-to-end tests use (bridge_net()), on free ports."""
    base = free_ports(2 * VALIDATORS)
    return create_network(
        home,
        VALIDATORS,
        api_port=base,
        p2p_port=base + VALIDATORS,
        bridge=BridgeSetup(
            anvil.url,
            token="standard",
            token_decimals=18,
            confirmations=confirmations,
            poll_interval_ms=250,
            change_delay=2,
        ),
    )
