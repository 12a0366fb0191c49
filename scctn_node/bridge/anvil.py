"""Starts and stops Foundry's anvil, a local Ethereum node, for `scctn bench bridge` and
the tests against a real Ethereum (tests/ethereum/).

anvil is an external binary, found by `find_anvil` in this order: `$SCCTN_ANVIL`; the
pinned npm package (`npm ci`) under the current directory; the same under the source
tree this module lives in (an editable install or a checkout); `anvil` on PATH. A set
`$SCCTN_ANVIL` that names no executable is an error, not a reason to look elsewhere: the
user asked for that binary.

anvil listens on 127.0.0.1 on a port the kernel picks (`--port 0`; the port is read back
from its log, so there is no window for another process to take it), with
`--slots-in-an-epoch 1` so the `finalized` block tag follows the head closely. Accounts
are derived from fixed seeds and funded with anvil_setBalance, so every run sees the same
addresses. `start_anvil` always stops the process it started.
"""

from __future__ import annotations

import os
import re
import shutil
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
from scctn_node.errors import NodeError

ANVIL_ENV_VAR = "SCCTN_ANVIL"
NPM_ANVIL = Path("node_modules") / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
SOURCE_ROOT = Path(__file__).resolve().parents[2]
CHAIN_ID = 31337
FUNDS = 10**24  # wei per test account
T = TypeVar("T")


class AnvilMissing(NodeError):
    code = "anvil_missing"


class AnvilFailed(NodeError):
    """anvil started but exited, or never listened."""

    code = "anvil_failed"


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find_anvil(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The anvil binary: `explicit` if given, else the search in the module docstring."""
    if explicit is not None:
        path = Path(explicit)
        if not _executable(path):
            raise AnvilMissing(f"{path} is not an executable anvil binary")
        return path
    env = os.environ.get(ANVIL_ENV_VAR)
    if env:
        path = Path(env)
        if not _executable(path):
            raise AnvilMissing(f"${ANVIL_ENV_VAR} is {env}, which is not an executable file")
        return path
    tried = []
    for root in (Path.cwd(), SOURCE_ROOT):
        candidate = root / NPM_ANVIL
        tried.append(str(candidate))
        if _executable(candidate):
            return candidate
    on_path = shutil.which("anvil")
    if on_path:
        return Path(on_path)
    raise AnvilMissing(
        f"no anvil binary (looked at ${ANVIL_ENV_VAR}, {', '.join(dict.fromkeys(tried))} and "
        f"PATH): run `npm ci` in the source tree (it installs the pinned "
        f"@foundry-rs/anvil-linux-amd64), or set ${ANVIL_ENV_VAR} to an anvil binary, or put "
        "anvil on PATH (Foundry's foundryup)"
    )


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
            raise AnvilFailed(f"anvil exited with {proc.returncode}: {log.read_text()[-2000:]}")
        time.sleep(0.02)
    raise AnvilFailed(f"anvil did not listen within {timeout}s: {log.read_text()[-2000:]}")


@contextmanager
def start_anvil(
    n_accounts: int = 6,
    extra_args: tuple[str, ...] = (),
    timeout: float = 30.0,
    chain_id: int = CHAIN_ID,
    binary: Path | None = None,
) -> Iterator[Anvil]:
    """Starts anvil (`binary`, else `find_anvil()`), funds `n_accounts` deterministic
    accounts, always stops it."""
    anvil = binary if binary is not None else find_anvil()
    with tempfile.TemporaryDirectory(prefix="anvil-") as tmp:
        log = Path(tmp) / "anvil.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [
                    str(anvil),
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
