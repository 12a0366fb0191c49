"""The reward endpoints (scctn_node/api/routes/rewards.py) over a state built by executing
real transactions, served by a stand-in for the node service."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from primitives.keys import format_address
from scctn_node.api.routes import rewards as reward_routes
from scctn_node.errors import NodeError
from tests.unit.vm.helpers import CHAIN, founded, key, signed
from vm import codes, ledger
from vm.context import BlockContext
from vm.executor import execute_transaction
from vm.ops.asset import AssetCreate
from vm.ops.rewards import (
    DeviceProgramSet,
    DeviceRegister,
    DeviceReport,
    RewardBatch,
    RewardProgramSet,
)
from vm.state import StateView

with warnings.catch_warnings():  # starlette prefers httpx2, which is not installed here
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ISSUER, ORACLE, DEVICE, BOB = key(1), key(2), key(3), key(4)
TIME = 20_000 * ledger.DAY_MS + 5


@dataclass
class _Header:
    time_ms: int


class _Store:
    def __init__(self, state: StateView, height: int) -> None:
        self.state = state
        self._height = height

    def header(self, height: int) -> _Header | None:
        return _Header(TIME) if height == self._height else None


class _Chain:
    def __init__(self, state: StateView, height: int) -> None:
        self.store = _Store(state, height)
        self.height = height
        self.genesis = None


class _Service:
    def __init__(self, state: StateView, height: int) -> None:
        self.chain = _Chain(state, height)


def _client() -> TestClient:
    state = founded((ISSUER, ("issuer",)), (ORACLE, ("oracle",)))
    block = BlockContext(CHAIN, 120, TIME)
    txs = [
        signed(ISSUER, 0, AssetCreate("PTS", "Points", 0, 10**9)),
        signed(ISSUER, 1, RewardProgramSet("PTS", ORACLE.address(), 100, True)),
        signed(ORACLE, 0, RewardBatch("PTS", ((BOB.address(), 30, "post"),))),
        signed(ISSUER, 2, DeviceProgramSet("PTS", "kWh", 3, 1, 100, 50, 0, True)),
        signed(ISSUER, 3, DeviceRegister("PTS", DEVICE.address(), BOB.address(), True)),
        signed(DEVICE, 0, DeviceReport("PTS", b"\x01\x02", 4, b"")),
    ]
    for stx in txs:
        assert execute_transaction(state, stx, block).code == codes.OK
    app = FastAPI()

    @app.exception_handler(NodeError)
    async def _error(request: Request, exc: NodeError) -> JSONResponse:
        return JSONResponse({"code": exc.code, "message": exc.message}, exc.http_status)

    app.include_router(reward_routes.routes(_Service(state, 120)))  # type: ignore[arg-type]
    return TestClient(app)


def _get(client: TestClient, path: str, status: int = 200) -> Any:
    r = client.get(path)
    assert r.status_code == status, r.text
    return r.json()


def test_reward_endpoints() -> None:
    client = _client()
    day = ledger.day_of(TIME)
    assert _get(client, "/v1/rewards/PTS") == {
        "symbol": "PTS",
        "oracle": format_address(ORACLE.address()),
        "daily_cap_per_account": 100,
        "active": True,
        "day": day,
    }
    bob = format_address(BOB.address())
    used = _get(client, f"/v1/rewards/PTS/used?account={bob}")
    assert (used["day"], used["used"], used["remaining"]) == (day, 30, 70)
    assert _get(client, f"/v1/rewards/PTS/used?account={bob}&day={day - 1}")["used"] == 0
    assert _get(client, "/v1/rewards/NOPE", 404)["code"] == "program_not_found"
    assert _get(client, "/v1/rewards/PTS/used?account=nope", 400)["code"] == "invalid_address"


def test_device_endpoints() -> None:
    client = _client()
    program = _get(client, "/v1/devices/PTS")
    assert (program["unit"], program["rate_num"], program["period"], program["period_paid"]) == (
        "kWh",
        3,
        0,
        12,
    )
    dev = format_address(DEVICE.address())
    d = _get(client, f"/v1/devices/PTS/{dev}")
    assert (d["beneficiary"], d["paid"], d["period_paid"], d["device_quota"]) == (
        format_address(BOB.address()),
        12,
        12,
        50,
    )
    m = _get(client, f"/v1/devices/PTS/{dev}/measurements/0102")
    assert (m["paid"], m["points"], m["quantity"]) == (True, 12, 4)
    assert _get(client, f"/v1/devices/PTS/{dev}/measurements/0103")["paid"] is False
    assert _get(client, f"/v1/devices/PTS/{dev}/measurements/zz", 400)["code"] == (
        "malformed_measurement_id"
    )
    other = format_address(BOB.address())
    assert _get(client, f"/v1/devices/PTS/{other}", 404)["code"] == "device_not_found"
    assert _get(client, "/v1/devices/NOPE", 404)["code"] == "program_not_found"
