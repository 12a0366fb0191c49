"""`scctn bench bridge`: deposits and withdrawals per minute end to end on anvil with a
4-validator localnet (watchers attesting and signing, `scctn bridge relay` relaying).

Deposits: N `deposit` transactions sent back to back on Ethereum; the clock stops when
the consortium chain has minted all N. Withdrawals: M `bridge.withdraw` burns on the
consortium chain; the clock stops when the vault has released all M. Both include the
confirmation depth (anvil mines a block every second), so the figures are bounded by it;
the per-item latency of a single deposit and withdrawal is printed as well.

Runs from a source checkout: it needs anvil from node_modules (`npm ci`) and reuses the
test harness (tests/ethereum/bridge_net.py).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class BridgeBenchSettings:
    deposits: int = 40
    withdrawals: int = 40
    confirmations: int = 2


def _send_deposits(bn: Any, count: int, amount: int) -> None:
    from scctn_node.bridge.rpc import EthRpc
    from scctn_node.bridge.vault import Token, Vault, sign_transaction

    account = bn.depositor
    vault_address = bn.vault_address
    recipient = bn.key("alice").address()

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

    bn.eth(go)


def _withdraw_many(bn: Any, count: int, amount: int, recipient: bytes) -> None:
    """`count` burns from alice, submitted together (consecutive nonces)."""
    from primitives.keys import format_address
    from vm.ops.catalog import decode_operation
    from vm.tx import Transaction

    key = bn.key("alice")
    status = bn.node.get("/v1/status")
    nonce = bn.node.get(f"/v1/accounts/{format_address(key.address())}")["next_nonce"]
    raws = []
    for i in range(count):
        op = decode_operation([142, recipient, amount])
        tx = Transaction(
            status["chain_id"],
            key.public.raw,
            nonce + i,
            1_000_000,
            status["height"] + 200,
            "",
            (op,),
        )
        raws.append(tx.sign(key).encode().hex())
    for raw in raws:
        code, body, _ = bn.node.post_json("/v1/txs", {"tx": raw})
        if code not in (200, 202):
            raise RuntimeError(f"burn refused: {body}")


def run(settings: BridgeBenchSettings) -> dict[str, Any]:
    import sys

    root = str(Path(__file__).resolve().parents[2])
    if root not in sys.path:  # the harness lives in the source tree's tests/
        sys.path.insert(0, root)
    from tests.ethereum.bridge_net import bridge_anvil, bridge_net, wait_until

    unit = 10**18
    scale = 10**10
    out: dict[str, Any] = {"validators": 4, "confirmations": settings.confirmations}
    with (
        tempfile.TemporaryDirectory(prefix="scctn-bench-bridge-") as tmp,
        bridge_anvil() as anvil,
        bridge_net(Path(tmp), anvil, confirmations=settings.confirmations) as bn,
    ):
        # one deposit alone: its latency
        t0 = time.monotonic()
        bn.deposit(unit, "alice")
        wait_until("a mint", lambda: bn.bridge()["next_deposit_nonce"] == 2, 120, 0.05)
        out["deposit_latency_s"] = time.monotonic() - t0

        n = settings.deposits
        t0 = time.monotonic()
        _send_deposits(bn, n, unit)
        wait_until("the mints", lambda: bn.bridge()["next_deposit_nonce"] == n + 2, 600, 0.1)
        elapsed = time.monotonic() - t0
        out["deposits"] = n
        out["deposits_s"] = elapsed
        out["deposits_per_min"] = n / elapsed * 60

        bn.start_relayer()
        one = bytes.fromhex("00" * 19 + "01")
        t0 = time.monotonic()
        bn.withdraw("alice", one, 10**8)
        wait_until("a release", lambda: bn.token_balance(one) == 10**8 * scale, 120, 0.05)
        out["withdrawal_latency_s"] = time.monotonic() - t0

        m = settings.withdrawals
        many = bytes.fromhex("00" * 19 + "02")
        t0 = time.monotonic()
        _withdraw_many(bn, m, 10**8, many)
        wait_until("the releases", lambda: bn.token_balance(many) == m * 10**8 * scale, 600, 0.1)
        elapsed = time.monotonic() - t0
        out["withdrawals"] = m
        out["withdrawals_s"] = elapsed
        out["withdrawals_per_min"] = m / elapsed * 60
        assert bn.bridge()["halted"] is None
    return out
