"""`python -m scctn_node` runs the `scctn` command."""

from scctn_node.cli.main import main

main()
