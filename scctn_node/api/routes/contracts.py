"""Contract endpoints (vm/ops/contract.py, vm/contracts/).

    GET  /v1/contracts/{address}                 code hash, deployer, salt, code, disassembly
    GET  /v1/contracts/{address}/storage/{key}   one stored value; the key is decimal (an
                                                 integer key) or 0x-hex (a byte-string key)
    GET  /v1/contracts/{address}/delegations/{symbol}  the issuance delegated to it
    POST /v1/contracts/assemble {"source": text} -> {"code": hex, "code_hash": hex, "size"}

Assembling is a pure function (no state): it serves clients without the assembler. Stored
integers are JSON numbers, byte strings hex (with "0x").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request

from primitives.errors import InvalidAddress
from primitives.keys import format_address, parse_address
from scctn_node.api.routes import height, state_view
from scctn_node.errors import BadRequest, NotFound
from vm.contracts import asm
from vm.contracts import code as code_mod
from vm.contracts import ledger_host as lh
from vm.contracts.errors import AsmError, InvalidCode
from vm.contracts.isa import MAX_VALUE_BYTES

if TYPE_CHECKING:
    from scctn_node.service import NodeService

MAX_SOURCE = 256 * 1024
ASSEMBLE_EXAMPLE = {"source": "PUSH 2\nPUSH 3\nADD\nRETURN 1\n"}


def _address_arg(text: str) -> bytes:
    try:
        return parse_address(text)
    except InvalidAddress as exc:
        raise BadRequest(exc.message, exc.code) from exc


def storage_key_arg(text: str) -> int | bytes:
    """A storage key in a path: decimal digits (an integer key) or 0x-hex (bytes)."""
    if text.isdigit():
        value = int(text, 10)
        if value < 2**64:
            return value
    elif text[:2].lower() == "0x":
        try:
            raw = bytes.fromhex(text[2:])
        except ValueError:
            raw = None
        if raw is not None and len(raw) <= MAX_VALUE_BYTES:
            return raw
    raise BadRequest(
        "a storage key is a decimal u64 or 0x-hex bytes (up to 256)", "malformed_storage_key"
    )


def value_json(value: int | bytes) -> Any:
    return value if isinstance(value, int) else "0x" + value.hex()


def contract_view(c: lh.Contract, code: bytes) -> dict[str, Any]:
    try:
        text = asm.disassemble(code)
    except (InvalidCode, AsmError):  # stored code was validated; kept for safety
        text = ""
    return {
        "address": format_address(c.address),
        "code_hash": c.code_hash.hex(),
        "deployer": format_address(c.deployer),
        "salt": c.salt.hex(),
        "deployed_height": c.height,
        "code_size": len(code),
        "code": code.hex(),
        "disassembly": text,
    }


def routes(service: NodeService) -> APIRouter:
    router = APIRouter(tags=["contracts"])

    def _contract(address: str) -> tuple[Any, lh.Contract]:
        state = state_view(service)
        c = lh.get_contract(state, _address_arg(address))
        if c is None:
            raise NotFound(f"no contract at {address}", "contract_not_found")
        return state, c

    @router.get("/v1/contracts/{address}", summary="A contract: code hash, deployer, disassembly")
    async def get_contract(address: str) -> dict[str, Any]:
        state, c = _contract(address)
        body = contract_view(c, lh.get_code(state, c.code_hash) or b"")
        body["height"] = height(service)
        return body

    @router.get(
        "/v1/contracts/{address}/storage/{key}",
        summary="One value in a contract's storage (absent reads 0)",
    )
    async def get_storage(address: str, key: str) -> dict[str, Any]:
        state, c = _contract(address)
        k = storage_key_arg(key)
        return {
            "address": format_address(c.address),
            "key": value_json(k),
            "value": value_json(lh.sload(state, c.address, k)),
            "height": height(service),
        }

    @router.get(
        "/v1/contracts/{address}/delegations/{symbol}",
        summary="The issuance a point type's issuer delegated to a contract",
    )
    async def get_delegation(address: str, symbol: str) -> dict[str, Any]:
        state, c = _contract(address)
        d = lh.get_delegation(state, symbol, c.address)
        if d is None:
            raise NotFound(f"no delegation of {symbol} to {address}", "delegation_not_found")
        return {
            "address": format_address(c.address),
            "symbol": d.symbol,
            "issuer": format_address(d.issuer),
            "cap": d.cap,
            "issued": d.issued,
            "active": d.active,
            "height": height(service),
        }

    @router.post(
        "/v1/contracts/assemble",
        summary="Assemble contract source to bytecode (no state; for clients)",
        openapi_extra={
            "requestBody": {"content": {"application/json": {"example": ASSEMBLE_EXAMPLE}}}
        },
    )
    async def assemble(request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError as exc:
            raise BadRequest("body is not valid JSON") from exc
        source = body.get("source") if isinstance(body, dict) else None
        if not isinstance(source, str):
            raise BadRequest('body must be {"source": "<assembly text>"}')
        if len(source) > MAX_SOURCE:
            raise BadRequest(f"source over {MAX_SOURCE} characters", "too_large")
        try:
            code = asm.assemble(source)
        except AsmError as exc:
            raise BadRequest(str(exc), "asm_error") from exc
        try:
            code_mod.validate(code)
        except InvalidCode as exc:
            raise BadRequest(exc.message, exc.code) from exc
        return {"code": code.hex(), "code_hash": lh.code_hash(code).hex(), "size": len(code)}

    return router
