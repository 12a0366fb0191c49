"""The `scctn` command."""

from __future__ import annotations

import click

from scctn_node.cli.bench import bench
from scctn_node.cli.bridge import bridge_group
from scctn_node.cli.contract import contract_group
from scctn_node.cli.genesis_cmds import genesis_group
from scctn_node.cli.keys import keys_group
from scctn_node.cli.node_cmds import init, localnet, start
from scctn_node.cli.queries import register_all
from scctn_node.cli.query import query_group, status
from scctn_node.cli.tx import tx_group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option("0.1.0", prog_name="scctn")
def cli() -> None:
    """SCCTN node: a permissioned PBFT chain for alliance points, bridged to Ethereum."""


for command in (
    init,
    start,
    localnet,
    keys_group,
    genesis_group,
    tx_group,
    query_group,
    status,
    bench,
    contract_group,
    bridge_group,
):
    cli.add_command(command)


register_all(query_group)


def main() -> None:
    cli(prog_name="scctn")
