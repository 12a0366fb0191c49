"""Writing the homes of a validator network on one machine (benchmarks, tests, tools).

`write_network` lays out one home per validator under `root` (`node0`, `node1`, ...):
config.toml with API and p2p ports and the full peer list, the shared genesis, and each
validator key in its own keystore, all encrypted with one passphrase file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from genesis.document import GenesisDoc
from primitives.keys import PrivateKey
from scctn_node.config import default_config
from scctn_node.keystore import Keystore


def write_network(
    root: Path,
    genesis: GenesisDoc,
    keys: Sequence[PrivateKey],
    *,
    api_ports: Sequence[int],
    p2p_ports: Sequence[int],
    passphrase: str,
    passphrase_file: Path,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    dial_port: Callable[[int, int], int] | None = None,
) -> list[Path]:
    """`dial_port(i, j)`: the port node i dials to reach node j (default: j's own p2p
    port; tests route links through proxies with it)."""
    homes = []
    for i, key in enumerate(keys):
        home = root / f"node{i}"
        home.mkdir(parents=True, exist_ok=True)
        peers = [
            f"{other.public.hex()}@127.0.0.1:{p2p_ports[j] if dial_port is None else dial_port(i, j)}"
            for j, other in enumerate(keys)
            if j != i
        ]
        sections: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (overrides or {}).items()}
        sections.setdefault("node", {}).update(
            moniker=f"v{i}", passphrase_file=str(passphrase_file)
        )
        sections.setdefault("api", {}).update(port=api_ports[i])
        sections.setdefault("p2p", {}).update(port=p2p_ports[i], peers=peers)
        cfg = default_config(home, **sections)
        (home / "config.toml").write_text(cfg.to_toml())
        genesis.save(home / "genesis.json")
        Keystore(home / "keys").import_seed("validator", key.seed.hex(), passphrase, fast=True)
        homes.append(home)
    return homes
