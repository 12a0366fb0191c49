"""The contract endpoints (scctn_node/api/routes/contracts.py) over a state built by
executing real transactions, served by a stand-in for the node service."""

from __future__ import annotations

import warnings
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from primitives.keys import format_address
from scctn_node.api.routes import contracts as contract_routes
from scctn_node.errors import NodeError
from tests.unit.contracts.contract_chain import ALICE, BOB, COUNTER, ISSUER, Chain
from vm.contracts import asm
from vm.contracts import ledger_host as lh
from vm.ops.contract import ContractDelegate

with warnings.catch_warnings():  # starlette prefers httpx2, which is not installed here
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


class _Chain:
    def __init__(self, c: Chain) -> None:
        self.store = type("Store", (), {"state": c.state})()
        self.height = c.height


class _Service:
    def __init__(self, c: Chain) -> None:
        self.chain = _Chain(c)


def _setup() -> tuple[TestClient, bytes, bytes]:
    c = Chain()
    counter = c.deploy(ALICE, COUNTER, b"\x05")
    issuer = c.deploy(ALICE, ISSUER)
    c.ok(ALICE, ContractDelegate("PTS", issuer, 500, True))
    assert c.call(BOB, counter, 42).ok
    # a byte-string key, written straight into the state for the read test
    lh.sstore(c.state, counter, b"key", b"\x01\x02")
    app = FastAPI()

    @app.exception_handler(NodeError)
    async def _error(request: Request, exc: NodeError) -> JSONResponse:
        return JSONResponse({"code": exc.code, "message": exc.message}, exc.http_status)

    app.include_router(contract_routes.routes(_Service(c)))  # type: ignore[arg-type]
    return TestClient(app), counter, issuer


def _get(client: TestClient, path: str, status: int = 200) -> Any:
    r = client.get(path)
    assert r.status_code == status, r.text
    return r.json()


def test_contract_view_storage_and_delegation() -> None:
    client, counter, issuer = _setup()
    addr = format_address(counter)
    code = asm.assemble(COUNTER)
    d = _get(client, f"/v1/contracts/{addr}")
    assert d["code_hash"] == lh.code_hash(code).hex()
    assert d["deployer"] == format_address(ALICE.address())
    assert d["salt"] == "05"
    assert d["code"] == code.hex()
    assert asm.assemble(d["disassembly"]) == code
    assert _get(client, f"/v1/contracts/{addr}/storage/1")["value"] == 42
    assert _get(client, f"/v1/contracts/{addr}/storage/2")["value"] == 0
    assert _get(client, f"/v1/contracts/{addr}/storage/0x6b6579")["value"] == "0x0102"
    assert _get(client, f"/v1/contracts/{addr}/storage/zz", 400)["code"] == "malformed_storage_key"
    d = _get(client, f"/v1/contracts/{format_address(issuer)}/delegations/PTS")
    assert (d["cap"], d["issued"], d["active"]) == (500, 0, True)
    missing = format_address(b"\x09" * 20)
    assert _get(client, f"/v1/contracts/{missing}", 404)["code"] == "contract_not_found"


def test_assemble_endpoint() -> None:
    client, _, _ = _setup()
    r = client.post("/v1/contracts/assemble", json={"source": COUNTER})
    assert r.status_code == 200
    code = asm.assemble(COUNTER)
    assert r.json() == {
        "code": code.hex(),
        "code_hash": lh.code_hash(code).hex(),
        "size": len(code),
    }
    r = client.post("/v1/contracts/assemble", json={"source": "PUSH\n"})
    assert r.status_code == 400 and r.json()["code"] == "asm_error"
    r = client.post("/v1/contracts/assemble", json={"src": 1})
    assert r.status_code == 400
