"""`scctn query reward-program SYMBOL` and `scctn query device SYMBOL DEVICE`: the reward
programs of vm/ops/rewards.py, read through the node's API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from primitives.keys import format_address
from scctn_node.cli.common import NodeClient, emit, handle_errors, node_options, resolve_node


def _program_text(d: dict[str, Any]) -> str:
    state = "active" if d["active"] else "inactive"
    return (
        f"{d['symbol']} reward program ({state})\n"
        f"  oracle      {d['oracle']}\n"
        f"  daily cap   {d['daily_cap_per_account']} per account (day {d['day']})"
    )


def _device_text(d: dict[str, Any]) -> str:
    state = "active" if d["active"] else "inactive"
    quota = d["device_quota"] or "none"
    text = (
        f"{d['device']} device of {d['symbol']} ({state}, registered at {d['registered_height']})\n"
        f"  beneficiary {d['beneficiary'] or '(named by each report)'}\n"
        f"  paid        {d['paid']} {d['symbol']} in all\n"
        f"  period {d['period']}  paid {d['period_paid']} (quota {quota})"
    )
    if "measurement" in d:
        m = d["measurement"]
        text += f"\n  measurement {m['measurement_id']}: {'paid' if m['paid'] else 'not paid'}"
    return text


def register(group: click.Group) -> None:
    @group.command("reward-program")
    @click.argument("symbol")
    @node_options
    @handle_errors
    def reward_program(symbol: str, node: str | None, home: Path | None, output: str) -> None:
        """The content-reward program of SYMBOL: its oracle, daily cap and state."""
        body = NodeClient(resolve_node(node, home)).get(f"/v1/rewards/{symbol}")
        emit(body, output, _program_text)

    @group.command("device")
    @click.argument("symbol")
    @click.argument("device")
    @click.option("--measurement", help="also say whether this measurement id (hex) was paid")
    @node_options
    @handle_errors
    def device(
        symbol: str,
        device: str,
        measurement: str | None,
        node: str | None,
        home: Path | None,
        output: str,
    ) -> None:
        """A device registered for SYMBOL's device program (DEVICE: scc1 address or key
        name): its beneficiary, state and payments this period."""
        from scctn_node.cli.tx import resolve_address

        client = NodeClient(resolve_node(node, home))
        addr = format_address(resolve_address(device, home))
        body = client.get(f"/v1/devices/{symbol}/{addr}")
        if measurement is not None:
            body["measurement"] = client.get(
                f"/v1/devices/{symbol}/{addr}/measurements/{measurement}"
            )
        emit(body, output, _device_text)
