"""Fixtures for tests against a real anvil: one anvil per test module; tests isolate
themselves with `anvil.run(fn)` (evm_snapshot before, evm_revert after).

A missing anvil fails the tests (it is not a skip): `make test` installs it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scctn_node.bridge.anvil import Anvil, AnvilMissing, start_anvil
from scctn_node.bridge.rpc import EthRpc
from tests.ethereum.world import World, deploy_world


@pytest.fixture(scope="module")
def anvil() -> Iterator[Anvil]:
    try:
        with start_anvil() as node:
            yield node
    except AnvilMissing as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="module")
def world(anvil: Anvil) -> World:
    """Tokens and vaults deployed once per module; tests run isolated on top of them."""

    async def main(rpc: EthRpc) -> World:
        return await deploy_world(anvil, rpc)

    return anvil.run(main, isolate=False)
