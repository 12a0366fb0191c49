"""The contract endpoints (scctn_node/api/routes/contracts.py) over a state built by
executing real transactions, served by a stand-in for the node service."""

from __future__ import annotations

from primitives.keys import format_address
from scctn_node.api.routes import contracts as contract_routes
from tests.unit.contracts.contract_chain import ALICE, BOB, COUNTER, ISSUER, Chain
from tests.unit.node.standin import TestClient, client, get_json
from vm.contracts import asm
from vm.contracts import ledger_host as lh
from vm.ops.contract import ContractDelegate


def _setup() -> tuple[TestClient, bytes, bytes]:
    c = Chain()
    counter = c.deploy(ALICE, COUNTER, b"\x05")
    issuer = c.deploy(ALICE, ISSUER)
    c.ok(ALICE, ContractDelegate("PTS", issuer, 500, True))
    assert c.call(BOB, counter, 42).ok
    # a byte-string key, written straight into the state for the read test
    lh.sstore(c.state, counter, b"key", b"\x01\x02")
    return client(c.state, contract_routes, height=c.height), counter, issuer


def test_contract_view_storage_and_delegation() -> None:
    client, counter, issuer = _setup()
    addr = format_address(counter)
    code = asm.assemble(COUNTER)
    d = get_json(client, f"/v1/contracts/{addr}")
    assert d["code_hash"] == lh.code_hash(code).hex()
    assert d["deployer"] == format_address(ALICE.address())
    assert d["salt"] == "05"
    assert d["code"] == code.hex()
    assert asm.assemble(d["disassembly"]) == code
    assert get_json(client, f"/v1/contracts/{addr}/storage/1")["value"] == 42
    assert get_json(client, f"/v1/contracts/{addr}/storage/2")["value"] == 0
    assert get_json(client, f"/v1/contracts/{addr}/storage/0x6b6579")["value"] == "0x0102"
    assert (
        get_json(client, f"/v1/contracts/{addr}/storage/zz", 400)["code"] == "malformed_storage_key"
    )
    d = get_json(client, f"/v1/contracts/{format_address(issuer)}/delegations/PTS")
    assert (d["cap"], d["issued"], d["active"]) == (500, 0, True)
    missing = format_address(b"\x09" * 20)
    assert get_json(client, f"/v1/contracts/{missing}", 404)["code"] == "contract_not_found"


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
