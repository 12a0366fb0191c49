"""Starts and stops Foundry's anvil (from node_modules, installed by `make test` through
`npm ci`) for tests and benchmarks.

anvil listens on 127.0.0.1 on a port the kernel picks (`--port 0`; the port is read back
from its log, so there is no window for another process to take it), with
`--slots-in-an-epoch 1` so the `finalized` block tag follows the head closely. Accounts
are derived from fixed seeds and funded with anvil_setBalance, so every run sees the same
addresses.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import trio
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak

from scctn_node.bridge.rpc import EthRpc

REPO_ROOT = Path(__file__).resolve().parents[2]
ANVIL = REPO_ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
CHAIN_ID = 31337
FUNDS = 10**24  # wei per test account
T = TypeVar("T")


class AnvilMissing(RuntimeError):
    pass


def seeded_key(label: str) -> bytes:
    """A deterministic secp256k1 private key for a label."""
    return keccak(b"scctn test key " + label.encode())


def seeded_account(label: str) -> LocalAccount:
    account: LocalAccount = Account.from_key(seeded_key(label))
    return account


def address_of(account: LocalAccount) -> bytes:
    return bytes.fromhex(account.address[2:])


@dataclass
class Anvil:
    url: str
    chain_id: int
    process: subprocess.Popen[bytes]
    accounts: list[LocalAccount] = field(default_factory=list)

    def run(self, fn: Callable[[EthRpc], Awaitable[T]], *, isolate: bool = True) -> T:
        """Runs `fn(rpc)` under trio. With `isolate`, the chain is snapshotted before and
        reverted after, so tests sharing one anvil do not see each other's state."""

        async def main() -> T:
            async with EthRpc(self.url) as rpc:
                if not isolate:
                    return await fn(rpc)
                snap = await rpc.snapshot()
                try:
                    return await fn(rpc)
                finally:
                    await rpc.revert(snap)

        return trio.run(main)


def _wait_listening(log: Path, proc: subprocess.Popen[bytes], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    pattern = re.compile(r"Listening on (127\.0\.0\.1:\d+)")
    while time.monotonic() < deadline:
        m = pattern.search(log.read_text(errors="replace"))
        if m:
            return m.group(1)
        if proc.poll() is not None:
            raise RuntimeError(f"anvil exited with {proc.returncode}: {log.read_text()[-2000:]}")
        time.sleep(0.02)
    raise RuntimeError(f"anvil did not listen within {timeout}s: {log.read_text()[-2000:]}")


@contextmanager
def start_anvil(
    n_accounts: int = 6,
    extra_args: tuple[str, ...] = (),
    timeout: float = 30.0,
    chain_id: int = CHAIN_ID,
) -> Iterator[Anvil]:
    """Starts anvil, funds `n_accounts` deterministic accounts, always stops it."""
    if not os.access(ANVIL, os.X_OK):
        raise AnvilMissing(
            f"anvil is not installed at {ANVIL}: run `make test` (or `npm ci` at the repo "
            "root) to install the pinned @foundry-rs/anvil-linux-amd64 from package-lock.json"
        )
    with tempfile.TemporaryDirectory(prefix="anvil-") as tmp:
        log = Path(tmp) / "anvil.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [
                    str(ANVIL),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--chain-id",
                    str(chain_id),
                    "--accounts",
                    "0",
                    "--slots-in-an-epoch",
                    "1",
                    *extra_args,
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            hostport = _wait_listening(log, proc, timeout)
            node = Anvil(f"http://{hostport}", chain_id, proc)
            node.accounts = [seeded_account(f"eth-{i}") for i in range(n_accounts)]

            async def fund(rpc: EthRpc) -> None:
                for a in node.accounts:
                    await rpc.set_balance(address_of(a), FUNDS)

            node.run(fund, isolate=False)
            yield node
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
