"""Throughput of the VM alone: no signatures, no network, no disk.

Transactions are built (unsigned: the executor trusts what it is given, signatures are
checked at admission) before the clock starts, then executed with
`vm.executor.execute_block` on a `StateView` over an in-memory dict, in blocks of
`block` transactions. After each block its net writes (`StateView.changes()`, the list
the node hands to the state tree) are applied to the dict, as a commit would.

Two workloads:

- transfers: plain `transfer` of one point of a type without expiry, senders taken
  round robin;
- mixed: on a point type whose points expire after a few blocks (spent oldest first)
  and with holder tiers defined (so the tier checks and the daily-sent counters run),
  the issuer issues to a holder, who then transfers, pays 10 holders in one
  `transfer.batch` and burns. Lots expire while the run goes on, so breakage is booked
  at block starts and swept from holders as they are touched.

Figures are per second of the timed region (execution plus `changes()` and the dict
commit); `exec_*` figures count `execute_block` alone. Every receipt must be "ok".
"""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from primitives.keys import address_of
from vm import codes, governance, ledger
from vm.context import BlockContext, ExecContext
from vm.executor import execute_block
from vm.ops.asset import AssetCreate, AssetIssue, Burn
from vm.ops.governance import TierDefine
from vm.ops.registry import Operation
from vm.ops.transfer import Transfer, TransferBatch
from vm.state import StateView
from vm.tx import SignedTransaction, Transaction

CHAIN_ID = "scctn-bench-vm"
T0_MS = 1_700_000_000_000
BLOCK_MS = 1_000
NO_SIGNATURE = bytes(64)
EXPIRY_BLOCKS = 4  # mixed workload: lots live 4 blocks, so breakage happens in the run
BATCH = 10


@dataclass(frozen=True, slots=True)
class VmSettings:
    txs: int = 100_000
    accounts: int = 1_000
    block: int = 5_000
    profile: bool = False


class DictReader:
    """The committed state: a plain dict (what the store's snapshot is to the node)."""

    __slots__ = ("data",)

    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}

    def get(self, key: bytes) -> bytes | None:
        return self.data.get(key)

    def commit(self, changes: list[tuple[bytes, bytes | None]]) -> None:
        data = self.data
        for k, v in changes:
            if v is None:
                data.pop(k, None)
            else:
                data[k] = v


class Senders:
    """Public keys (any 32 bytes will do: nothing is signed) and their next nonces."""

    def __init__(self, count: int, salt: int) -> None:
        self.keys = [bytes([salt]) + i.to_bytes(4, "big") * 7 + bytes(3) for i in range(count)]
        self.nonces = [0] * count
        self.addresses = [address_of(k) for k in self.keys]

    def tx(self, i: int, *ops: Operation, gas: int = 100_000) -> SignedTransaction:
        tx = Transaction(CHAIN_ID, self.keys[i], self.nonces[i], gas, 10**12, "", ops)
        self.nonces[i] += 1
        return SignedTransaction.build(tx, NO_SIGNATURE)


def _block(height: int) -> BlockContext:
    return BlockContext(CHAIN_ID, height, T0_MS + height * BLOCK_MS)


def _setup(issuer: Senders, holders: Senders, height: int) -> DictReader:
    """Height 1: the issuer's role and two point types, each holder funded in both."""
    reader = DictReader()
    state = StateView(reader)
    governance.add_member(state, issuer.addresses[0], "issuer")
    governance.set_roles(state, issuer.addresses[0], governance.ROLES["issuer"])
    state.release()
    gov = governance.GOVERNANCE
    txs = [
        issuer.tx(0, AssetCreate("PTS", "Points", 0, 10**15)),
        issuer.tx(
            0,
            AssetCreate("EXP", "Expiring", 0, 10**15, expiry_blocks=EXPIRY_BLOCKS, spend_order=0),
        ),
    ]
    for i in range(len(holders.keys)):
        txs.append(issuer.tx(0, AssetIssue("PTS", holders.addresses[i], 10**9)))
        txs.append(issuer.tx(0, AssetIssue("EXP", holders.addresses[i], 10_000)))
    _check(execute_block(state, txs, _block(height)), "setup")
    # tiers for EXP: every holder is in the default tier, whose limits are checked (and
    # whose daily counters are written) on each send; a second tier exists beside it
    ctx = ExecContext(state=state, block=_block(height), sender=gov)
    TierDefine("default", "EXP", 10**12, 10**6, 10**12).execute(ctx)
    TierDefine("gold", "EXP", 10**13, 10**7, 10**13).execute(ctx)
    state.release()
    reader.commit(state.changes())
    return reader


def _check(receipts: Sequence[Any], what: str) -> None:
    bad = [r for r in receipts if r.code != codes.OK]
    if bad:
        raise RuntimeError(
            f"{what}: {len(bad)} transactions failed, first: {bad[0].code} {bad[0].message}"
        )


def transfer_txs(holders: Senders, count: int) -> list[SignedTransaction]:
    m = len(holders.keys)
    out = []
    for n in range(count):
        i = n % m
        to = holders.addresses[(i * 7 + n // m + 1) % m]
        if to == holders.addresses[i]:
            to = holders.addresses[(i + 1) % m]
        out.append(holders.tx(i, Transfer("PTS", to, 1)))
    return out


def mixed_txs(issuer: Senders, holders: Senders, count: int) -> tuple[list[SignedTransaction], int]:
    """Rounds of (issue to i, i transfers, i pays 10 holders, i burns); returns the
    transactions and the number of ledger operations (a batch of 10 counts 10)."""
    m = len(holders.keys)
    out: list[SignedTransaction] = []
    ops = 0
    n = 0
    while len(out) < count:
        i = n % m
        n += 1
        others = [holders.addresses[(i + k) % m] for k in range(1, BATCH + 2)]
        steps: list[tuple[Senders, int, Operation, int]] = [
            (issuer, 0, AssetIssue("EXP", holders.addresses[i], 100), 1),
            (holders, i, Transfer("EXP", others[BATCH], 10), 1),
            (holders, i, TransferBatch("EXP", tuple((a, 1) for a in others[:BATCH])), BATCH),
            (holders, i, Burn("EXP", 5), 1),
        ]
        for who, j, op, weight in steps:
            if len(out) == count:
                break
            out.append(who.tx(j, op))
            ops += weight
    return out, ops


def _run_blocks(
    reader: DictReader, txs: list[SignedTransaction], block_size: int, first_height: int
) -> tuple[float, float, int]:
    """Execute `txs` in blocks; returns (total seconds, execute_block seconds, blocks)."""
    total = exec_s = 0.0
    height = first_height
    gc.collect()
    for start in range(0, len(txs), block_size):
        chunk = txs[start : start + block_size]
        t0 = time.perf_counter()
        state = StateView(reader)
        receipts = execute_block(state, chunk, _block(height))
        t1 = time.perf_counter()
        reader.commit(state.changes())
        t2 = time.perf_counter()
        _check(receipts, f"block {height}")
        total += t2 - t0
        exec_s += t1 - t0
        height += 1
    return total, exec_s, height - first_height


def _profiled(
    fn: Callable[[], tuple[float, float, int]], top: int = 25
) -> tuple[float, float, int]:
    prof = cProfile.Profile()
    result = prof.runcall(fn)
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    print(out.getvalue())
    return result


def run(settings: VmSettings = VmSettings()) -> dict[str, dict[str, float]]:
    issuer = Senders(1, 0xA0)
    holders = Senders(max(settings.accounts, BATCH + 2), 0xB0)
    reader = _setup(issuer, holders, 1)

    t0 = time.perf_counter()
    transfers = transfer_txs(holders, settings.txs)
    build_s = time.perf_counter() - t0
    go: Callable[[], tuple[float, float, int]] = lambda: _run_blocks(  # noqa: E731
        reader, transfers, settings.block, 2
    )
    total, exec_s, blocks = _profiled(go) if settings.profile else go()
    figures = {
        "transfers": {
            "txs": float(len(transfers)),
            "blocks": float(blocks),
            "transfers_per_s": len(transfers) / total,
            "exec_transfers_per_s": len(transfers) / exec_s,
            "us_per_transfer": total / len(transfers) * 1e6,
            "build_txs_per_s": len(transfers) / build_s,
        }
    }

    mixed, ops = mixed_txs(issuer, holders, settings.txs)
    height = 2 + blocks
    go = lambda: _run_blocks(reader, mixed, settings.block, height)  # noqa: E731
    total, exec_s, blocks = _profiled(go) if settings.profile else go()
    figures["mixed"] = {
        "txs": float(len(mixed)),
        "ops": float(ops),
        "blocks": float(blocks),
        "tx_per_s": len(mixed) / total,
        "ops_per_s": ops / total,
        "exec_tx_per_s": len(mixed) / exec_s,
        "us_per_tx": total / len(mixed) * 1e6,
        "points_expired": float(_expired(reader, "EXP")),
    }
    return figures


def _expired(reader: DictReader, symbol: str) -> int:
    asset = ledger.get_asset(reader, symbol)
    return 0 if asset is None else asset.expired


def main(settings: VmSettings = VmSettings()) -> dict[str, dict[str, float]]:
    figures = run(settings)
    print(
        f"VM alone: {settings.txs:,} transactions per workload, {settings.accounts:,} accounts, "
        f"blocks of {settings.block:,} (no signatures, network or disk)"
    )
    for name, part in figures.items():
        print(f" {name}")
        for k, v in part.items():
            print(f"  {k:<28} {v:,.2f}")
    return figures
