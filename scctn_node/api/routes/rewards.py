"""Read endpoints of the reward programs (vm/ops/rewards.py): content and activity
rewards paid by an oracle, device rewards paid for measurements.

    GET /v1/rewards/{symbol}                                  the reward program
    GET /v1/rewards/{symbol}/used?account=&day=               rewarded that day (default today)
    GET /v1/devices/{symbol}                                  the device program
    GET /v1/devices/{symbol}/{device}                         one registered device
    GET /v1/devices/{symbol}/{device}/measurements/{id_hex}   paid or not

"Today" and "this period" are those of the latest committed block (its time and height).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Query

from primitives.errors import InvalidAddress
from primitives.keys import format_address, parse_address
from scctn_node.api.routes import account_arg, height, state_view
from scctn_node.errors import BadRequest, NotFound
from vm import accounts, ledger
from vm.ops import rewards
from vm.state import StateReader

if TYPE_CHECKING:
    from scctn_node.service import NodeService


def _latest_time_ms(service: NodeService) -> int:
    chain = service.chain
    header = chain.store.header(chain.height)
    return chain.genesis.genesis_time_ms if header is None else int(header.time_ms)


def _device_arg(text: str) -> bytes:
    try:
        return parse_address(text)
    except InvalidAddress as exc:
        raise BadRequest(exc.message, exc.code) from exc


def _id_arg(text: str) -> bytes:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise BadRequest("the measurement id must be hex", "malformed_measurement_id") from None
    if not 1 <= len(raw) <= rewards.MAX_MEASUREMENT_ID:
        raise BadRequest(
            f"the measurement id has 1 to {rewards.MAX_MEASUREMENT_ID} bytes",
            "malformed_measurement_id",
        )
    return raw


def _reward_program(state: StateReader, symbol: str) -> rewards.RewardProgram:
    program = rewards.get_reward_program(state, symbol)
    if program is None:
        raise NotFound(f"{symbol} has no reward program", "program_not_found")
    return program


def _device_program(state: StateReader, symbol: str) -> rewards.DeviceProgram:
    program = rewards.get_device_program(state, symbol)
    if program is None:
        raise NotFound(f"{symbol} has no device program", "program_not_found")
    return program


def reward_program_view(program: rewards.RewardProgram, day: int) -> dict[str, Any]:
    return {
        "symbol": program.symbol,
        "oracle": format_address(program.oracle),
        "daily_cap_per_account": program.daily_cap,
        "active": program.active,
        "day": day,
    }


def device_program_view(
    state: StateReader, program: rewards.DeviceProgram, at: int
) -> dict[str, Any]:
    period = program.period_at(at)
    used = rewards.device_used(state, program.symbol, rewards.PROGRAM_TOTAL, period)
    return {
        "symbol": program.symbol,
        "unit": program.unit,
        "rate_num": program.rate_num,
        "rate_den": program.rate_den,
        "period_blocks": program.period_blocks,
        "device_quota": program.device_quota,
        "period_quota": program.period_quota,
        "active": program.active,
        "height": at,
        "period": period,
        "period_start": program.period_start(period),
        "period_paid": used,
    }


def device_view(
    state: StateReader, program: rewards.DeviceProgram, device: rewards.Device, at: int
) -> dict[str, Any]:
    period = program.period_at(at)
    return {
        "symbol": device.symbol,
        "device": format_address(device.address),
        "beneficiary": accounts.format_account(device.beneficiary) if device.beneficiary else None,
        "active": device.active,
        "registered_height": device.registered,
        "paid": device.paid,
        "height": at,
        "period": period,
        "period_paid": rewards.device_used(state, device.symbol, device.address, period),
        "device_quota": program.device_quota,
    }


def measurement_view(
    symbol: str, device: bytes, mid: bytes, m: rewards.Measurement | None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "symbol": symbol,
        "device": format_address(device),
        "measurement_id": mid.hex(),
        "paid": m is not None,
    }
    if m is not None:
        # ids are paid once per device: `paid_symbol` says under which program
        out |= {
            "paid_symbol": m.symbol,
            "height": m.height,
            "quantity": m.quantity,
            "points": m.points,
            "beneficiary": accounts.format_account(m.beneficiary),
        }
    return out


def routes(service: NodeService) -> APIRouter:
    router = APIRouter(tags=["rewards"])

    @router.get("/v1/rewards/{symbol}", summary="A point type's content-reward program")
    async def reward_program(symbol: str) -> dict[str, Any]:
        state = state_view(service)
        day = ledger.day_of(_latest_time_ms(service))
        return reward_program_view(_reward_program(state, symbol), day)

    @router.get(
        "/v1/rewards/{symbol}/used", summary="Points rewarded to an account on a day (today)"
    )
    async def reward_used(
        symbol: str,
        account: str = Query(..., description="scc1... or scc1.../user"),
        day: int | None = Query(None, ge=0, description="day number (block time // 86400000)"),
    ) -> dict[str, Any]:
        holder = account_arg(account)
        state = state_view(service)
        program = _reward_program(state, symbol)
        if day is None:
            day = ledger.day_of(_latest_time_ms(service))
        used = rewards.reward_used(state, symbol, holder, day)
        return {
            "symbol": symbol,
            "account": accounts.format_account(holder),
            "day": day,
            "used": used,
            "daily_cap_per_account": program.daily_cap,
            "remaining": max(program.daily_cap - used, 0),
        }

    @router.get("/v1/devices/{symbol}", summary="A point type's device-reward program")
    async def device_program(symbol: str) -> dict[str, Any]:
        state = state_view(service)
        return device_program_view(state, _device_program(state, symbol), height(service))

    @router.get("/v1/devices/{symbol}/{device}", summary="A registered device")
    async def device(symbol: str, device: str) -> dict[str, Any]:
        address = _device_arg(device)
        state = state_view(service)
        program = _device_program(state, symbol)
        record = rewards.get_device(state, symbol, address)
        if record is None:
            raise NotFound(f"{device} is not a device of the {symbol} program", "device_not_found")
        return device_view(state, program, record, height(service))

    @router.get(
        "/v1/devices/{symbol}/{device}/measurements/{id_hex}",
        summary="Whether a device's measurement was paid",
    )
    async def measurement(symbol: str, device: str, id_hex: str) -> dict[str, Any]:
        address = _device_arg(device)
        mid = _id_arg(id_hex)
        state = state_view(service)
        _device_program(state, symbol)
        return measurement_view(symbol, address, mid, rewards.get_measurement(state, address, mid))

    return router
