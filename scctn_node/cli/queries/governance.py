"""`scctn query members`, `scctn query proposal ID`, `scctn query proposals` and
`scctn query params`: governance and chain parameters, read through the node's API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from primitives.keys import format_address
from scctn_node.cli.common import NodeClient, emit, handle_errors, node_options, resolve_node


def _members_text(d: dict[str, Any]) -> str:
    lines = [f"{d['count']} members, {d['threshold']} votes pass a proposal (height {d['height']})"]
    for m in d["members"]:
        roles = ",".join(m["roles"]) or "-"
        lines.append(f"  {m['address']}  {m['name']:<20} {roles}")
    return "\n".join(lines)


def _proposal_line(p: dict[str, Any]) -> str:
    return (
        f"#{p['id']:<5} {p['status']:<9} yes {p['yes']}/{p['needed']} no {p['no']}"
        f"  deadline {p['deadline']}  {p['action'].get('op', '?')}: {p['title']}"
    )


def _proposal_text(p: dict[str, Any]) -> str:
    lines = [
        f"proposal {p['id']}: {p['title']}",
        f"  status    {p['status']}" + (f" ({p['result']})" if p["result"] else ""),
        f"  proposer  {p['proposer']}  at height {p['created']}, deadline {p['deadline']}",
        f"  votes     yes {p['yes']}  no {p['no']}  needed {p['needed']} of {p['members']}",
        f"  action    {json.dumps(p['action'])}",
    ]
    return "\n".join(lines)


def _params_text(d: dict[str, Any]) -> str:
    lines = [f"chain parameters (height {d['height']})"]
    lines += [f"  {k:<20} {v if v != '' else '(none: no fees)'}" for k, v in d["params"].items()]
    lines.append(f"gas schedule (per op, per list item); base {d['gas']['tx_base_gas']}")
    lines += [f"  {op:<20} {b} {i}" for op, (b, i) in d["gas"]["schedule"].items()]
    return "\n".join(lines)


def register(group: click.Group) -> None:
    @group.command("members")
    @click.argument("address", required=False)
    @node_options
    @handle_errors
    def members(address: str | None, node: str | None, home: Path | None, output: str) -> None:
        """All members and their roles, or one ADDRESS (scc1 address or key name)."""
        client = NodeClient(resolve_node(node, home))
        if address:
            from scctn_node.cli.tx import resolve_address

            addr = format_address(resolve_address(address, home))
            body = client.get(f"/v1/members/{addr}")
            emit(
                body,
                output,
                lambda m: (
                    f"{m['address']}  {m['name'] or '(not a member)'}  "
                    f"{','.join(m['roles']) or '-'}"
                ),
            )
        else:
            emit(client.get("/v1/members"), output, _members_text)

    @group.command("proposal")
    @click.argument("proposal_id", type=int)
    @node_options
    @handle_errors
    def proposal(proposal_id: int, node: str | None, home: Path | None, output: str) -> None:
        """One proposal: its action, votes, threshold and status."""
        body = NodeClient(resolve_node(node, home)).get(f"/v1/proposals/{proposal_id}")
        emit(body, output, _proposal_text)

    @group.command("proposals")
    @click.option(
        "--status",
        type=click.Choice(["open", "passed", "failed", "rejected", "expired"]),
        default=None,
        help="only proposals in this status",
    )
    @click.option("--after", type=int, default=0, help="only ids above this")
    @click.option("--limit", type=int, default=100, show_default=True)
    @node_options
    @handle_errors
    def proposals(
        status: str | None, after: int, limit: int, node: str | None, home: Path | None, output: str
    ) -> None:
        """Governance proposals, oldest first."""
        query = f"?after={after}&limit={limit}" + (f"&status={status}" if status else "")
        body = NodeClient(resolve_node(node, home)).get(f"/v1/proposals{query}")
        emit(
            body,
            output,
            lambda d: "\n".join(_proposal_line(p) for p in d["proposals"]) or "(no proposals)",
        )

    @group.command("params")
    @node_options
    @handle_errors
    def params(node: str | None, home: Path | None, output: str) -> None:
        """Chain parameters (gas, fees, voting period) and the gas schedule."""
        emit(NodeClient(resolve_node(node, home)).get("/v1/params"), output, _params_text)
