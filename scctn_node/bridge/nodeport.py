"""The watcher's view of its own node: bridge reads through the node's REST API and
transactions signed by the validator key, admitted through the node's own mempool."""

from __future__ import annotations

from typing import Any

import httpx

from primitives.keys import PrivateKey
from scctn_node.api.routes import state_view
from scctn_node.service import NodeService
from vm.executor import required_gas
from vm.ops.catalog import decode_operation
from vm.tx import Transaction

TX_VALID_BLOCKS = 200


class NodeChainPort:
    def __init__(self, service: NodeService, key: PrivateKey, api_url: str) -> None:
        self.service = service
        self.key = key
        self.chain_id = service.chain.chain_id
        self.validator_key = key.public.raw
        self.api_url = api_url.rstrip("/")
        self._client = httpx.AsyncClient(timeout=10.0)

    async def aclose(self) -> None:
        await self._client.aclose()

    def is_validator(self) -> bool:
        return any(v.public_key == self.validator_key for v in self.service.chain.validators)

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        resp = await self._client.get(self.api_url + path, params=params)
        if resp.status_code == 404:
            return None
        resp.raise_for_status()
        return resp.json()

    async def bridge(self) -> dict[str, Any]:
        doc = await self._get("/v1/bridge")
        return doc if isinstance(doc, dict) else {"configured": False}

    async def deposit(self, nonce: int) -> dict[str, Any] | None:
        doc = await self._get(f"/v1/bridge/deposits/{nonce}")
        return doc if isinstance(doc, dict) else None

    async def outbox(self, kind: str, start: int, limit: int) -> list[dict[str, Any]]:
        doc = await self._get("/v1/bridge/outbox", {"kind": kind, "from": start, "limit": limit})
        if isinstance(doc, dict):  # tolerate {"items": [...]}
            doc = doc.get("items", [])
        return [x for x in (doc or []) if isinstance(x, dict)]

    async def valset(self, which: int | str) -> dict[str, Any] | None:
        doc = await self._get(f"/v1/bridge/valsets/{which}")
        return doc if isinstance(doc, dict) else None

    async def submit(self, op: list[Any]) -> str:
        chain = self.service.chain
        ops = (decode_operation(op),)
        address = self.key.address()
        draft = Transaction(
            chain.chain_id,
            self.validator_key,
            chain.mempool.next_nonce(address),
            0,
            chain.height + TX_VALID_BLOCKS,
            "bridge",
            ops,
        )
        gas = required_gas(state_view(self.service), draft)
        tx = Transaction(
            draft.chain_id, draft.sender, draft.nonce, gas, draft.expiry_height, "bridge", ops
        )
        [result] = await self.service.submit([tx.sign(self.key).encode()])
        if result.error is not None:
            raise result.error
        assert result.tx_hash is not None
        return result.tx_hash.hex()
