"""Building a transaction from JSON operations, for clients without a msgpack encoder:
the node returns the canonical body and the bytes to sign; the client signs them with its
own key (the node never sees it) and submits `92 || body || c440 || signature` (hex) to
`POST /v1/txs`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request

from primitives.errors import DecodeError, InvalidAddress
from primitives.keys import address_of, parse_address
from scctn_node.api.routes import state_view
from scctn_node.errors import BadRequest
from vm.errors import InvalidTransaction
from vm.executor import required_gas
from vm.ops.catalog import operation_from_json
from vm.tx import MAX_MEMO, MAX_OPS, Transaction, signing_bytes

if TYPE_CHECKING:
    from scctn_node.service import NodeService

BUILD_EXAMPLE = {
    "sender": "<Ed25519 public key, 64 hex digits>",
    "ops": [{"op": "transfer", "symbol": "ALP", "to": "scc1...", "amount": 2500}],
    "memo": "",
    "valid_for": 1000,
}


def _resolve(text: str) -> bytes:
    try:
        return parse_address(text)
    except InvalidAddress as exc:
        raise DecodeError(exc.message) from None


def routes(service: NodeService) -> APIRouter:
    router = APIRouter(tags=["transactions"])
    chain = service.chain

    @router.post(
        "/v1/txs/build",
        summary="Encode a transaction from JSON operations; returns the bytes to sign",
        openapi_extra={
            "requestBody": {"content": {"application/json": {"example": BUILD_EXAMPLE}}}
        },
    )
    async def build(request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError as exc:
            raise BadRequest("body is not valid JSON") from exc
        if not isinstance(body, dict):
            raise BadRequest("body must be a JSON object")
        try:
            sender = bytes.fromhex(str(body.get("sender", "")))
        except ValueError:
            sender = b""
        if len(sender) != 32:
            raise BadRequest("sender: the Ed25519 public key as 64 hex digits", "bad_request")
        raw_ops = body.get("ops")
        if not isinstance(raw_ops, list) or not 1 <= len(raw_ops) <= MAX_OPS:
            raise BadRequest(f"ops: a list of 1 to {MAX_OPS} operations", "bad_request")
        memo = body.get("memo", "")
        valid_for = body.get("valid_for", 1000)
        if not isinstance(memo, str) or len(memo) > MAX_MEMO:
            raise BadRequest(f"memo: text up to {MAX_MEMO} characters", "bad_request")
        if type(valid_for) is not int or not 1 <= valid_for <= 1_000_000:
            raise BadRequest("valid_for: 1 to 1,000,000 blocks", "bad_request")
        try:
            ops = tuple(operation_from_json(op, _resolve) for op in raw_ops)
        except (DecodeError, InvalidTransaction) as exc:
            raise BadRequest(exc.message, "bad_operation") from exc
        address = address_of(sender)
        state = state_view(service)
        draft = Transaction(
            chain.chain_id,
            sender,
            chain.mempool.next_nonce(address),
            0,
            chain.height + valid_for,
            memo,
            ops,
        )
        gas = body.get("gas_limit")
        if gas is None:
            gas = required_gas(state, draft)
        elif type(gas) is not int or not 1 <= gas <= chain.params.max_tx_gas:
            raise BadRequest(f"gas_limit: 1 to {chain.params.max_tx_gas}", "bad_request")
        tx = Transaction(
            draft.chain_id, sender, draft.nonce, int(gas), draft.expiry_height, memo, ops
        )
        encoded = tx.encode()
        return {
            "body": encoded.hex(),
            "sign_bytes": signing_bytes(encoded).hex(),
            "nonce": tx.nonce,
            "gas_limit": tx.gas_limit,
            "expiry_height": tx.expiry_height,
            "ops": [op.to_json() for op in ops],
            "submit": "POST /v1/txs with {'tx': '92' + body + 'c440' + signature hex}",
        }

    return router
