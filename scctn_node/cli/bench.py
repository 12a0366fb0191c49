"""`scctn bench`: benchmarks that print their figures (never part of the tests)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from scctn_node.cli.common import fail, handle_errors


@click.group("bench")
def bench() -> None:
    """Throughput and latency benchmarks; each prints its figures."""


@bench.command("tps")
@click.option("--txs", default=60_000, show_default=True, help="transfers to commit")
@click.option("--senders", default=300, show_default=True)
@click.option("--batch", default=1_000, show_default=True, help="transfers per API request")
@click.option(
    "--clients", default=2, show_default=True, help="client processes (at least one per validator)"
)
@click.option("--validators", default=1, show_default=True, help="validator processes (PBFT)")
def tps(txs: int, senders: int, batch: int, clients: int, validators: int) -> None:
    """Transfers/s and latency end to end through the REST API, on N validators."""
    from scctn_node.bench.tps import TpsSettings, main

    main(TpsSettings(txs=txs, senders=senders, batch=batch, clients=clients, validators=validators))


@bench.command("vm")
@click.option("--txs", default=100_000, show_default=True, help="transactions per workload")
@click.option("--accounts", default=1_000, show_default=True, help="holders sending")
@click.option("--block", default=5_000, show_default=True, help="transactions per block")
@click.option("--profile", is_flag=True, help="print a cProfile summary of each workload")
def vm_bench(txs: int, accounts: int, block: int, profile: bool) -> None:
    """The VM alone: transfers/s, and a mixed workload's tx/s and ops/s (in memory)."""
    from scctn_node.bench.vm import VmSettings, main

    if txs < 1 or accounts < 1 or block < 1:
        raise click.BadParameter("--txs, --accounts and --block must be positive")
    main(VmSettings(txs=txs, accounts=accounts, block=block, profile=profile))


@bench.command("contracts")
@click.option("--iterations", default=300_000, show_default=True, help="loop iterations")
@click.option("--calls", default=20_000, show_default=True, help="calls of a small contract")
@click.option("--rounds", default=3, show_default=True, help="best of this many runs")
def contracts_bench(iterations: int, calls: int, rounds: int) -> None:
    """The contract machine: instructions/s of a loop, time per contract call on the test
    host, and contract.call transactions per second through the VM and the ledger."""
    from scctn_node.bench.contracts import ContractSettings, main

    if iterations < 1 or calls < 1 or rounds < 1:
        raise click.BadParameter("--iterations, --calls and --rounds must be positive")
    main(ContractSettings(iterations=iterations, calls=calls, rounds=rounds))
    from scctn_node.bench.contract_calls import CallSettings, bench_calls

    _print(
        "contract calls through the VM (contract.call transactions, no signatures)",
        bench_calls(CallSettings(calls=calls)),
    )


@bench.command("merkle")
@click.option("--keys", "total_keys", default=1_000_000, show_default=True)
@click.option("--update", "update_keys", default=1_000, show_default=True)
@click.option("--rounds", default=20, show_default=True)
def merkle(total_keys: int, update_keys: int, rounds: int) -> None:
    """State-tree update time: UPDATE keys in a state of KEYS keys, on LevelDB."""
    from scctn_node.storage import bench as storage_bench

    _print(
        "state tree",
        storage_bench.run(total_keys=total_keys, update_keys=update_keys, rounds=rounds),
    )


@bench.command("bridge")
@click.option("--deposits", default=40, show_default=True)
@click.option("--withdrawals", default=40, show_default=True)
@click.option("--confirmations", default=2, show_default=True)
@click.option(
    "--anvil",
    "anvil_path",
    type=click.Path(path_type=Path),
    default=None,
    help="anvil binary (default: $SCCTN_ANVIL, node_modules/ here or in the source tree "
    "(`npm ci`), then PATH)",
)
@handle_errors
def bridge_bench(
    deposits: int, withdrawals: int, confirmations: int, anvil_path: Path | None
) -> None:
    """Deposits and withdrawals per minute end to end on anvil with 4 validators."""
    from scctn_node.bench.bridge import BridgeBenchSettings, run
    from scctn_node.bridge.anvil import AnvilMissing, find_anvil

    if deposits < 1 or withdrawals < 1 or confirmations < 0:
        raise click.BadParameter("--deposits and --withdrawals >= 1, --confirmations >= 0")
    try:
        binary = find_anvil(anvil_path)
    except AnvilMissing as exc:
        fail(exc.code, exc.message, 2)
    _print(
        "bridge on anvil (4 validators, a block per second)",
        run(BridgeBenchSettings(deposits, withdrawals, confirmations, anvil=binary)),
    )


def _optional(module: str) -> Callable[..., dict[str, Any]] | None:
    try:
        return importlib.import_module(module).run  # type: ignore[no-any-return]
    except ImportError:
        return None


@bench.command("consensus")
def consensus_bench() -> None:
    """PBFT engine: blocks/s of 4 simulated replicas, stubbed and real signatures."""
    run = _optional("consensus.bench")
    if run is None:
        raise click.ClickException("the consensus benchmark is not part of this build")
    importlib.import_module("consensus.bench").main([])


@bench.command("p2p")
def p2p_bench() -> None:
    """Encrypted link messages/s and gossip delivery latency."""
    run = _optional("p2p.bench")
    if run is None:
        raise click.ClickException("the p2p benchmark is not part of this build")
    importlib.import_module("p2p.bench").main([])


@bench.command("all")
@click.pass_context
def all_benches(ctx: click.Context) -> None:
    """Every benchmark in turn (make bench)."""
    ctx.invoke(vm_bench)
    ctx.invoke(contracts_bench)
    ctx.invoke(tps)
    ctx.invoke(tps, validators=4)
    ctx.invoke(merkle)
    for name, cmd in (("consensus.bench", consensus_bench), ("p2p.bench", p2p_bench)):
        if _optional(name) is not None:
            ctx.invoke(cmd)


def _print(title: str, figures: dict[str, Any]) -> None:
    click.echo(title)
    for k, v in figures.items():
        click.echo(f"  {k:<22} {v:,.2f}" if isinstance(v, float) else f"  {k:<22} {v}")
