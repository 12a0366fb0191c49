"""`scctn query bridge status|deposit N|outbox|withdrawal N|valset N|latest`: the Ethereum
bridge read through the node's API (scctn_node/api/routes/bridge.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from scctn_node.cli.common import NodeClient, emit, handle_errors, node_options, resolve_node


def _status_text(d: dict[str, Any]) -> str:
    if not d["configured"]:
        return f"bridge not configured (height {d['height']})"
    c = d["config"]
    state = "paused" if d["paused"] else "running"
    if d["halted"]:
        h = d["halted"]
        state = f"HALTED: {h['reason']} at deposit {h['nonce']}"
    return "\n".join(
        [
            f"bridge {state} (height {d['height']})",
            f"  ethereum    chain {c['eth_chain_id']}, vault {c['vault'] or '(not set)'}",
            f"  units       {c['symbol']}: {c['wrapped_decimals']} decimals, "
            f"token {c['token_decimals']} (scale {c['scale']})",
            f"  deposits    next nonce {d['next_deposit_nonce']}, minted {d['minted']}, "
            f"quorum {d['quorum']} of {d['validators']}",
            f"  withdrawals next id {d['next_withdrawal_id']}, burned {d['withdrawn']}, "
            f"valid {c['withdraw_ttl']} s",
            f"  valset      {d['valset_nonce']}",
        ]
    )


def _deposit_text(d: dict[str, Any]) -> str:
    lines = [f"deposit {d['nonce']}: {d['status']} (quorum {d['quorum']})"]
    if d["record"]:
        r = d["record"]
        lines.append(
            f"  minted {r['minted']} to {r['credited']} at height {r['height']} "
            f"(tx {r['eth_tx']} log {r['log_index']}, {r['amount']} token units)"
        )
    for a in d["attestations"]:
        lines.append(f"  {a['validator'][:16]}…  {a['digest']}")
    return "\n".join(lines)


def _item_text(i: dict[str, Any]) -> str:
    fields = " ".join(f"{k}={v}" for k, v in i["message"].items())
    quorum = "quorum" if i["quorum"] else f"{i['signed_power']}/{i['total_power']}"
    return f"{i['kind']} {i['id']}: {fields}  [{len(i['signatures'])} signatures, {quorum}]"


def _valset_text(v: dict[str, Any]) -> str:
    lines = [f"valset {v['nonce']} (checkpoint {v['checkpoint']})"]
    lines += [f"  {a}  power {p}" for a, p in zip(v["validators"], v["powers"], strict=True)]
    lines.append(f"  {len(v['signatures'])} signatures from valset {v['nonce'] - 1}")
    return "\n".join(lines)


def register(group: click.Group) -> None:
    @group.group("bridge")
    def bridge() -> None:
        """The Ethereum bridge: status, deposits, the outbox, withdrawals, valsets."""

    @bridge.command("status")
    @node_options
    @handle_errors
    def status(node: str | None, home: Path | None, output: str) -> None:
        """Configuration, pause or halt, and the counters."""
        emit(NodeClient(resolve_node(node, home)).get("/v1/bridge"), output, _status_text)

    @bridge.command("deposit")
    @click.argument("nonce", type=int)
    @node_options
    @handle_errors
    def deposit(nonce: int, node: str | None, home: Path | None, output: str) -> None:
        """One deposit by its vault nonce: attestations, or what was minted."""
        body = NodeClient(resolve_node(node, home)).get(f"/v1/bridge/deposits/{nonce}")
        emit(body, output, _deposit_text)

    @bridge.command("outbox")
    @click.option("--kind", type=click.Choice(["withdrawal", "valset", "change"]), default=None)
    @click.option("--from", "start", type=int, default=1, show_default=True)
    @click.option("--limit", type=int, default=100, show_default=True)
    @node_options
    @handle_errors
    def outbox(
        kind: str | None, start: int, limit: int, node: str | None, home: Path | None, output: str
    ) -> None:
        """Messages for the validators to sign, with their signatures."""
        query = f"?from={start}&limit={limit}" + (f"&kind={kind}" if kind else "")
        body = NodeClient(resolve_node(node, home)).get(f"/v1/bridge/outbox{query}")
        emit(body, output, lambda items: "\n".join(map(_item_text, items)) or "(empty)")

    @bridge.command("withdrawal")
    @click.argument("wid", metavar="ID", type=int)
    @node_options
    @handle_errors
    def withdrawal(wid: int, node: str | None, home: Path | None, output: str) -> None:
        """One withdrawal: message, expiry, signatures."""
        body = NodeClient(resolve_node(node, home)).get(f"/v1/bridge/withdrawals/{wid}")
        emit(body, output, _item_text)

    @bridge.command("valset")
    @click.argument("nonce", default="latest")
    @node_options
    @handle_errors
    def valset(nonce: str, node: str | None, home: Path | None, output: str) -> None:
        """A valset by nonce (default: the latest)."""
        body = NodeClient(resolve_node(node, home)).get(f"/v1/bridge/valsets/{nonce}")
        emit(body, output, _valset_text)
