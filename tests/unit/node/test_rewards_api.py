"""The reward endpoints (scctn_node/api/routes/rewards.py) over a state built by executing
real transactions, served by a stand-in for the node service."""

from __future__ import annotations

from primitives.keys import format_address
from scctn_node.api.routes import rewards as reward_routes
from tests.unit.node.standin import TestClient, client, get_json
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

ISSUER, ORACLE, DEVICE, BOB = key(1), key(2), key(3), key(4)
TIME = 20_000 * ledger.DAY_MS + 5


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
    return client(state, reward_routes, height=120, time_ms=TIME)


def test_reward_endpoints() -> None:
    client = _client()
    day = ledger.day_of(TIME)
    assert get_json(client, "/v1/rewards/PTS") == {
        "symbol": "PTS",
        "oracle": format_address(ORACLE.address()),
        "daily_cap_per_account": 100,
        "active": True,
        "day": day,
    }
    bob = format_address(BOB.address())
    used = get_json(client, f"/v1/rewards/PTS/used?account={bob}")
    assert (used["day"], used["used"], used["remaining"]) == (day, 30, 70)
    assert get_json(client, f"/v1/rewards/PTS/used?account={bob}&day={day - 1}")["used"] == 0
    assert get_json(client, "/v1/rewards/NOPE", 404)["code"] == "program_not_found"
    assert get_json(client, "/v1/rewards/PTS/used?account=nope", 400)["code"] == "invalid_address"


def test_device_endpoints() -> None:
    client = _client()
    program = get_json(client, "/v1/devices/PTS")
    assert (program["unit"], program["rate_num"], program["period"], program["period_paid"]) == (
        "kWh",
        3,
        0,
        12,
    )
    dev = format_address(DEVICE.address())
    d = get_json(client, f"/v1/devices/PTS/{dev}")
    assert (d["beneficiary"], d["paid"], d["period_paid"], d["device_quota"]) == (
        format_address(BOB.address()),
        12,
        12,
        50,
    )
    m = get_json(client, f"/v1/devices/PTS/{dev}/measurements/0102")
    assert (m["paid"], m["points"], m["quantity"]) == (True, 12, 4)
    assert get_json(client, f"/v1/devices/PTS/{dev}/measurements/0103")["paid"] is False
    assert get_json(client, f"/v1/devices/PTS/{dev}/measurements/zz", 400)["code"] == (
        "malformed_measurement_id"
    )
    other = format_address(BOB.address())
    assert get_json(client, f"/v1/devices/PTS/{other}", 404)["code"] == "device_not_found"
    assert get_json(client, "/v1/devices/NOPE", 404)["code"] == "program_not_found"
