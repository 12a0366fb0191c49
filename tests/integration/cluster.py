"""A validator network of real processes on loopback, for tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from pathlib import Path

from genesis.document import GenesisAsset, GenesisBalance, GenesisDoc, GenesisValidator
from primitives.keys import PrivateKey
from scctn_node.devnet import write_network
from scctn_node.localnet import write_private
from tests.integration.nodeproc import NodeProcess, free_port

CHAIN_ID = "scctn-cluster"
PASSPHRASE = "cluster"


def sender_key(i: int) -> PrivateKey:
    return PrivateKey(bytes([0x40 + i]) * 32)


class Cluster:
    """`n` validators, each a `scctn start` process with its own home under `root`.

    - `route(i, j, port)`, if given, returns the port node i dials to reach node j (whose
      p2p port is `port`), e.g. a proxy the test owns for the pair (i -> j); by default
      node i dials node j directly.
    - Validators listed in `external` get a key, a port and a place in genesis and in
      every peer list, but no process: the test plays them (`start()` skips them and
      `alive()` never lists them).
    - `base_timeout_ms` is the view-change timeout: how long backups wait for the primary.
    """

    def __init__(
        self,
        root: Path,
        n: int,
        senders: int = 4,
        *,
        route: Callable[[int, int, int], int] | None = None,
        external: Collection[int] = (),
        base_timeout_ms: int = 1500,
    ) -> None:
        self.root = root
        self.external = frozenset(external)
        self.keys = [PrivateKey(bytes([0x10 + i]) * 32) for i in range(n)]
        self.p2p_ports = [free_port() for _ in range(n)]
        write_private(root / "pass", PASSPHRASE + "\n")
        issuer = sender_key(99)
        doc = GenesisDoc(
            CHAIN_ID,
            int(time.time() * 1000),
            tuple(GenesisValidator(f"v{i}", k.public.raw) for i, k in enumerate(self.keys)),
            (GenesisAsset("PTS", "Points", 0, 10**15, issuer.address()),),
            tuple(GenesisBalance(sender_key(i).address(), "PTS", 10**9) for i in range(senders)),
        )
        homes = write_network(
            root,
            doc,
            self.keys,
            api_ports=[free_port() for _ in range(n)],
            p2p_ports=self.p2p_ports,
            passphrase=PASSPHRASE,
            passphrase_file=root / "pass",
            overrides={
                "chain": {"empty_block_interval_ms": 500, "block_interval_ms": 100},
                "consensus": {"base_timeout_ms": base_timeout_ms, "status_interval_ms": 500},
            },
            dial_port=lambda i, j: self._dial_port(i, j, route),
        )
        self.nodes: list[NodeProcess] = [NodeProcess(home) for home in homes]

    def _dial_port(self, i: int, j: int, route: Callable[[int, int, int], int] | None) -> int:
        return self.p2p_ports[j] if route is None else route(i, j, self.p2p_ports[j])

    def start(self) -> Cluster:
        for i, node in enumerate(self.nodes):
            if i not in self.external:
                node.start()
        return self

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def alive(self) -> list[NodeProcess]:
        return [n for n in self.nodes if n.proc is not None and n.proc.poll() is None]

    def statuses(self) -> list[dict[str, object]]:
        return [n.get("/v1/status") for n in self.alive()]

    def wait_converged(self, min_height: int, timeout: float = 60.0) -> tuple[int, str]:
        """Wait until every live node has committed `min_height` and they agree on the
        state root at a common height; returns (height, root)."""
        deadline = time.monotonic() + timeout
        while True:
            heights = [int(s["height"]) for s in self.statuses()]  # type: ignore[call-overload]
            common = min(heights)
            if common >= min_height:
                roots = {
                    n.get(f"/v1/blocks/{common}?full=false")["state_root_after"]
                    for n in self.alive()
                }
                if len(roots) == 1:
                    return common, roots.pop()
                raise AssertionError(f"state roots differ at height {common}: {roots}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"heights {heights} did not reach {min_height}")
            time.sleep(0.2)
