"""A 4-validator bridge localnet on a real anvil, for the end-to-end bridge tests:
`scctn localnet`'s own setup (bridge keys, token and vault deployed before genesis,
watchers configured), real node processes, the relayer as `scctn bridge relay`. The
benchmark (scctn_node/bench/bridge.py) builds the same network from the package alone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from primitives import eth
from primitives.keys import PrivateKey, format_address
from scctn_node.bench.bridge import BLOCK_TIME, free_ports, wait_until
from scctn_node.bridge.anvil import Anvil, start_anvil
from scctn_node.bridge.ethkeys import load_v3, write_v3
from scctn_node.bridge.localnet import ANVIL_DEV_KEY, BridgeSetup, load_bridge_info
from scctn_node.bridge.rpc import EthRpc
from scctn_node.bridge.vault import Token, Vault
from scctn_node.keystore import Keystore
from scctn_node.localnet import LOCALNET_PASSPHRASE, Localnet, create_network
from tests.integration.nodeproc import SCCTN, NodeProcess
from vm.ops.catalog import decode_operation
from vm.ops.registry import CODE_BY_NAME
from vm.tx import Transaction

ENV = {"SCCTN_PASSPHRASE": LOCALNET_PASSPHRASE, "SCCTN_ETH_PASSWORD": LOCALNET_PASSPHRASE}


@contextmanager
def bridge_anvil() -> Iterator[Anvil]:
    with start_anvil(extra_args=("--block-time", BLOCK_TIME)) as node:
        yield node


@dataclass
class BridgeNet:
    root: Path
    anvil: Anvil
    net: Localnet
    info: dict[str, Any]
    procs: list[NodeProcess] = field(default_factory=list)
    relayers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    # ------------------------------------------------------------------ nodes
    def start(self) -> BridgeNet:
        self.procs = [NodeProcess(self.net.node_home(n), env=ENV).start() for n in self.net.nodes]
        return self

    def stop(self) -> None:
        for r in self.relayers:
            if r.poll() is None:
                r.send_signal(signal.SIGTERM)
                try:
                    r.wait(10)
                except subprocess.TimeoutExpired:
                    r.kill()
                    r.wait()
        for p in self.procs:
            p.stop()

    @property
    def node(self) -> NodeProcess:
        return self.procs[0]

    def bridge(self) -> dict[str, Any]:
        result: dict[str, Any] = self.node.get("/v1/bridge")
        return result

    def health(self, i: int = 0) -> dict[str, Any]:
        _, body, _ = self.procs[i].request("GET", "/health")
        return dict(body)

    def metrics(self, i: int = 0) -> str:
        _, body, _ = self.procs[i].request("GET", "/metrics")
        return body.decode() if isinstance(body, bytes) else str(body)

    # -------------------------------------------------------- consortium side
    def key(self, name: str) -> PrivateKey:
        return Keystore(self.root / "keys").load(name, LOCALNET_PASSPHRASE)

    def validator_key(self, i: int) -> PrivateKey:
        home = self.net.node_home(self.net.nodes[i])
        return Keystore(home / "keys").load("validator", LOCALNET_PASSPHRASE)

    def address(self, name: str) -> str:
        return format_address(self.key(name).address())

    def balance(self, name: str) -> int:
        symbol = self.bridge()["config"]["symbol"]
        account = self.node.get(f"/v1/accounts/{self.address(name)}?symbols={symbol}")
        return int(account["balances"].get(symbol, 0) or 0)

    def submit(self, key: PrivateKey, *ops: list[Any], check: bool = True) -> dict[str, Any]:
        status = self.node.get("/v1/status")
        account = self.node.get(f"/v1/accounts/{format_address(key.address())}")
        decoded = tuple(decode_operation(op) for op in ops)
        tx = Transaction(
            status["chain_id"],
            key.public.raw,
            account["next_nonce"],
            1_000_000,
            status["height"] + 100,
            "",
            decoded,
        )
        code, body, _ = self.node.post_json("/v1/txs", {"tx": tx.sign(key).encode().hex()})
        assert code in (200, 202), body
        tx_hash = body["hash"]

        def committed() -> dict[str, Any] | None:
            info: dict[str, Any] = self.node.get(f"/v1/txs/{tx_hash}")
            return info if info["status"] in ("committed", "dropped") else None

        info = wait_until(f"tx {tx_hash}", committed, 30)
        if check:
            assert info["status"] == "committed" and info["receipt"]["code"] == "ok", info
        return info

    def transfer(self, sender: str, to: str, amount: int) -> None:
        symbol = self.bridge()["config"]["symbol"]
        op = [int(CODE_BY_NAME["transfer"]), symbol, self.key(to).address(), amount]
        self.submit(self.key(sender), op)

    def withdraw(self, sender: str, recipient: bytes, amount: int) -> int:
        info = self.submit(self.key(sender), [142, recipient, amount])
        for event in info["receipt"]["events"]:
            if event["kind"] == "bridge.withdrawal":
                return int(event["fields"][0])
        raise AssertionError("no withdrawal event")

    def govern(self, op: list[Any], title: str = "bridge") -> None:
        """Pass `op` through governance: alice proposes, bob and shop vote yes."""
        height = self.node.get("/v1/status")["height"]
        propose = [int(CODE_BY_NAME["gov.propose"]), op, title, height + 1000]
        info = self.submit(self.key("alice"), propose)
        pid = next(int(e["fields"][0]) for e in info["receipt"]["events"] if "propos" in e["kind"])
        for voter in ("bob", "shop"):
            self.submit(self.key(voter), [int(CODE_BY_NAME["gov.vote"]), pid, True])

    def outbox_item(self, kind: str, oid: int) -> dict[str, Any] | None:
        items = self.node.get(f"/v1/bridge/outbox?kind={kind}&from={oid}&limit=1")
        return items[0] if items and int(items[0]["id"]) == oid else None

    # --------------------------------------------------------- Ethereum side
    def eth(self, fn: Callable[[EthRpc], Any]) -> Any:
        return self.anvil.run(fn, isolate=False)

    @property
    def vault_address(self) -> bytes:
        return eth.parse_eth_address(self.info["vault"])

    @property
    def depositor(self) -> LocalAccount:
        signer = load_v3(self.info["depositor"]["keyfile"], self.info["password"])
        return Account.from_key(signer.secret)

    @property
    def guardian(self) -> LocalAccount:
        return Account.from_key(ANVIL_DEV_KEY)

    def deposit(self, amount: int, to: str) -> dict[str, Any]:
        from scctn_node.bridge.actions import deposit

        recipient = self.key(to).address()
        account = self.depositor

        async def go(rpc: EthRpc) -> dict[str, Any]:
            return await deposit(rpc, account, self.vault_address, amount, recipient)

        result: dict[str, Any] = self.eth(go)
        return result

    def token_balance(self, who: bytes) -> int:
        async def go(rpc: EthRpc) -> int:
            token = Token.at(rpc, await Vault.at(rpc, self.vault_address).token())
            return int(await token.balance_of(who))

        result: int = self.eth(go)
        return result

    def vault_view(self, fn: str, *args: Any) -> Any:
        async def go(rpc: EthRpc) -> Any:
            return await Vault.at(rpc, self.vault_address).call(fn, *args)

        return self.eth(go)

    # ---------------------------------------------------------------- relayer
    def relayer_keyfile(self) -> Path:
        path = self.root / "eth" / "relayer.json"
        if not path.exists():
            signer = write_v3(path, LOCALNET_PASSPHRASE, n=2**4)

            async def fund(rpc: EthRpc) -> None:
                await rpc.request("anvil_setBalance", [signer.address, hex(10**22)])

            self.eth(fund)
        return path

    def start_relayer(self, data: Path | None = None, *extra: str) -> subprocess.Popen[bytes]:
        keyfile = self.relayer_keyfile()
        data = data or self.root / "relayer"
        log = open(self.root / "relayer.log", "ab")
        proc = subprocess.Popen(
            [
                *SCCTN,
                "bridge",
                "relay",
                "--eth-rpc",
                self.anvil.url,
                "--keyfile",
                str(keyfile),
                "--node",
                self.node.url,
                "--data",
                str(data),
                "--confirmations",
                "1",
                "--poll-interval",
                "0.3",
                *extra,
            ],
            stdout=log,
            stderr=log,
            env={**os.environ, **ENV},
        )
        log.close()
        self.relayers.append(proc)
        return proc

    def relayer_log(self) -> str:
        return (self.root / "relayer.log").read_text(errors="replace")


@contextmanager
def bridge_net(
    root: Path, anvil: Anvil, token: str = "standard", decimals: int = 18, **setup: Any
) -> Iterator[BridgeNet]:
    """A fresh 4-validator bridge localnet on `anvil`, its nodes running."""
    home = root / "net"
    net = create_network(
        home,
        4,
        api_port=(base := free_ports(8)),
        p2p_port=base + 4,
        bridge=BridgeSetup(
            anvil.url,
            token=token,
            token_decimals=decimals,
            confirmations=setup.pop("confirmations", 2),
            poll_interval_ms=setup.pop("poll_interval_ms", 250),
            change_delay=setup.pop("change_delay", 2),
            **setup,
        ),
    )
    info = load_bridge_info(home)
    assert info is not None
    bn = BridgeNet(home, anvil, net, info)
    try:
        bn.start()
        yield bn
    finally:
        bn.stop()


def dump(bn: BridgeNet) -> str:
    """What to print when a test fails: the bridge state and the last log lines."""
    parts = [json.dumps(bn.bridge(), indent=1)]
    for i, n in enumerate(bn.net.nodes):
        log = (bn.net.node_home(n) / "node.log").read_text(errors="replace")
        parts.append(f"--- node{i} ---\n" + "\n".join(log.splitlines()[-15:]))
    rl = bn.root / "relayer.log"
    if rl.exists():
        parts.append("--- relayer ---\n" + "\n".join(rl.read_text().splitlines()[-30:]))
    return "\n".join(parts)
