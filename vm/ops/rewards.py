"""Issuance by measurement: content and activity rewards paid by an oracle, and device
rewards paid for what an authorised device measured.

Theory of operation. Both modes create new points with `ledger.issue` (so the type's cap,
the issuer's daily quota and the recipient's checks apply) on behalf of the issuer, who
publishes the terms on chain and names who may trigger payment:

- Content and activity rewards (one program per symbol, `reward.program` by the issuer):
  the program names one oracle address and a per-account daily cap. The oracle, which
  must also hold the governance role "oracle", sends `reward.batch` with up to 256
  (account, amount, reason) items; for each item the points paid to that account on the
  current day (`ledger.day_of(block time)`) may not pass the cap. The batch is all or
  nothing: the first item over the cap fails the whole transaction with
  daily_cap_exceeded, naming the item's index.
- Device rewards (one program per symbol, `device.program` by the issuer): a unit, a rate
  as an exact fraction (payment = quantity * rate_num // rate_den), a period length in
  blocks and two quotas per period (per device, per program; 0 = none). The issuer
  registers device keys for the program (`device.register`); registration is the
  device's permission, scoped to that program (the governance role "device" is not
  needed). A device sends `device.report` with a measurement id, which is paid once per
  device.

Periods count from the program's start: period(h) = base + (h - start) // period_blocks,
where start is the height the program was defined at and base is 0. When the issuer
changes period_blocks, a new period begins at once (start = that height, base = the
period then current + 1), so period numbers only grow and a counter is never reused.

State keys (tables in vm/tables.py):

    o + symbol                                -> [oracle(20), daily cap, active]
    r + symbol + 0 + account                  -> [day, points rewarded to it that day]
    D + symbol                                -> [unit, rate_num, rate_den, period_blocks,
                                                  device_quota, period_quota, active,
                                                  start height, base period]
    e + symbol + 0 + device(20)               -> [beneficiary (b"" none), active,
                                                  registered height, points paid]
    u + device(20) + measurement id           -> [symbol, height, quantity, points,
                                                  beneficiary]
    q + symbol + 0 + device(20)               -> [period, paid to its reports then]
    q + symbol + 0 + 0*20                     -> [period, paid by the whole program]

Counters are written lazily by the transaction that pays; nothing runs per block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from primitives import codec
from primitives.keys import ADDRESS_SIZE
from vm import codes, governance, ledger, tables
from vm.context import ExecContext
from vm.errors import ExecutionFailure
from vm.ops.fields import (
    ACCOUNT,
    ACCOUNT_OR_NONE,
    ADDRESS,
    AMOUNT,
    BOOL,
    REASON,
    SYMBOL,
    U64,
    Bytes,
    Int,
    ListOf,
    OpBase,
    Str,
    arg,
)
from vm.ops.registry import OpCode
from vm.state import StateReader, StateView

SEP = tables.SEP
MAX_REWARD_ITEMS = 256
MAX_MEASUREMENT_ID = 32
MAX_UNIT = 16
PROGRAM_TOTAL = bytes(ADDRESS_SIZE)  # the "device" of the whole-program period counter


# --- content and activity rewards: state ------------------------------------------------


@dataclass(frozen=True, slots=True)
class RewardProgram:
    symbol: str
    oracle: bytes
    daily_cap: int
    active: bool

    def to_wire(self) -> list[object]:
        return [self.oracle, self.daily_cap, self.active]

    @classmethod
    def from_wire(cls, symbol: str, wire: object) -> RewardProgram:
        f = codec.expect_list(wire, 3, what="reward program")
        return cls(
            symbol,
            codec.expect_bytes(f[0], ADDRESS_SIZE, what="oracle"),
            codec.expect_int(f[1], what="daily cap"),
            codec.expect_bool(f[2], what="active"),
        )


def reward_program_key(symbol: str) -> bytes:
    return tables.REWARD_PROGRAM + symbol.encode()


def reward_used_key(symbol: str, account: bytes) -> bytes:
    """[day, rewarded that day] (vm.ledger.window_used): one key per account."""
    return tables.REWARD_USED + symbol.encode() + SEP + account


def get_reward_program(state: StateReader, symbol: str) -> RewardProgram | None:
    raw = state.get(reward_program_key(symbol))
    if raw is None:
        return None
    return RewardProgram.from_wire(symbol, codec.decode_trusted(raw))


def reward_used(state: StateReader, symbol: str, account: bytes, day: int) -> int:
    return ledger.window_used(state, reward_used_key(symbol, account), day)


def _require_reward_program(state: StateReader, symbol: str) -> RewardProgram:
    program = get_reward_program(state, symbol)
    if program is None:
        raise ExecutionFailure(f"{symbol} has no reward program", codes.UNKNOWN_PROGRAM)
    if not program.active:
        raise ExecutionFailure(
            f"the reward program of {symbol} is inactive", codes.PROGRAM_INACTIVE
        )
    return program


# --- device rewards: state ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceProgram:
    symbol: str
    unit: str
    rate_num: int
    rate_den: int
    period_blocks: int
    device_quota: int  # 0: none
    period_quota: int  # 0: none
    active: bool
    start: int  # height the current period numbering starts at
    base: int  # period number at `start`

    def period_at(self, height: int) -> int:
        # heights only grow, so height >= start on chain; max() keeps a view total
        return self.base + max(height - self.start, 0) // self.period_blocks

    def period_start(self, period: int) -> int:
        """First height of `period` (for views; `period` >= base)."""
        return self.start + (period - self.base) * self.period_blocks

    def payment(self, quantity: int) -> int:
        return quantity * self.rate_num // self.rate_den

    def to_wire(self) -> list[object]:
        return [
            self.unit,
            self.rate_num,
            self.rate_den,
            self.period_blocks,
            self.device_quota,
            self.period_quota,
            self.active,
            self.start,
            self.base,
        ]

    @classmethod
    def from_wire(cls, symbol: str, wire: object) -> DeviceProgram:
        f = codec.expect_list(wire, 9, what="device program")
        return cls(
            symbol,
            codec.expect_str(f[0], max_len=MAX_UNIT, what="unit"),
            codec.expect_int(f[1], 1, what="rate_num"),
            codec.expect_int(f[2], 1, what="rate_den"),
            codec.expect_int(f[3], 1, what="period_blocks"),
            codec.expect_int(f[4], what="device_quota"),
            codec.expect_int(f[5], what="period_quota"),
            codec.expect_bool(f[6], what="active"),
            codec.expect_int(f[7], what="start"),
            codec.expect_int(f[8], what="base"),
        )


@dataclass(frozen=True, slots=True)
class Device:
    symbol: str
    address: bytes
    beneficiary: bytes  # b"": the report names the beneficiary
    active: bool
    registered: int  # height of the last registration
    paid: int  # points paid for this device's reports, all time

    def to_wire(self) -> list[object]:
        return [self.beneficiary, self.active, self.registered, self.paid]

    @classmethod
    def from_wire(cls, symbol: str, address: bytes, wire: object) -> Device:
        f = codec.expect_list(wire, 4, what="device")
        return cls(
            symbol,
            address,
            codec.expect_bytes(f[0], what="beneficiary"),
            codec.expect_bool(f[1], what="active"),
            codec.expect_int(f[2], what="registered"),
            codec.expect_int(f[3], what="paid"),
        )


@dataclass(frozen=True, slots=True)
class Measurement:
    symbol: str
    height: int
    quantity: int
    points: int
    beneficiary: bytes

    def to_wire(self) -> list[object]:
        return [self.symbol, self.height, self.quantity, self.points, self.beneficiary]

    @classmethod
    def from_wire(cls, wire: object) -> Measurement:
        f = codec.expect_list(wire, 5, what="measurement")
        return cls(
            codec.expect_str(f[0], max_len=12, what="symbol"),
            codec.expect_int(f[1], what="height"),
            codec.expect_int(f[2], what="quantity"),
            codec.expect_int(f[3], what="points"),
            codec.expect_bytes(f[4], what="beneficiary"),
        )


def device_program_key(symbol: str) -> bytes:
    return tables.DEVICE_PROGRAM + symbol.encode()


def device_key(symbol: str, device: bytes) -> bytes:
    return tables.DEVICE + symbol.encode() + SEP + device


def measurement_key(device: bytes, measurement_id: bytes) -> bytes:
    return tables.MEASUREMENT + device + measurement_id


def device_used_key(symbol: str, device: bytes) -> bytes:
    """[period, paid in it] to `device`'s reports, or by the whole program for
    PROGRAM_TOTAL (vm.ledger.window_used): one key per device."""
    return tables.DEVICE_USED + symbol.encode() + SEP + device


def get_device_program(state: StateReader, symbol: str) -> DeviceProgram | None:
    raw = state.get(device_program_key(symbol))
    if raw is None:
        return None
    return DeviceProgram.from_wire(symbol, codec.decode_trusted(raw))


def get_device(state: StateReader, symbol: str, device: bytes) -> Device | None:
    raw = state.get(device_key(symbol, device))
    if raw is None:
        return None
    return Device.from_wire(symbol, device, codec.decode_trusted(raw))


def get_measurement(state: StateReader, device: bytes, measurement_id: bytes) -> Measurement | None:
    raw = state.get(measurement_key(device, measurement_id))
    return None if raw is None else Measurement.from_wire(codec.decode_trusted(raw))


def device_used(state: StateReader, symbol: str, device: bytes, period: int) -> int:
    return ledger.window_used(state, device_used_key(symbol, device), period)


def _put(state: StateView, key: bytes, wire: list[object]) -> None:
    state.put(key, codec.encode(wire))


def _require_device_program(state: StateReader, symbol: str) -> DeviceProgram:
    program = get_device_program(state, symbol)
    if program is None:
        raise ExecutionFailure(f"{symbol} has no device program", codes.UNKNOWN_PROGRAM)
    return program


def _require_device(state: StateReader, symbol: str, address: bytes) -> Device:
    device = get_device(state, symbol, address)
    if device is None:
        raise ExecutionFailure(
            f"this key is not a registered device of the {symbol} program", codes.UNKNOWN_DEVICE
        )
    if not device.active:
        raise ExecutionFailure(
            f"this device of the {symbol} program is inactive", codes.DEVICE_INACTIVE
        )
    return device


def _issuer_asset(ctx: ExecContext, symbol: str) -> ledger.PointType:
    asset = ledger.require_asset(ctx.state, symbol)
    ledger.require_issuer(ctx, asset)
    return asset


def _issue(ctx: ExecContext, symbol: str, account: bytes, amount: int, where: str) -> None:
    """ledger.issue, with `where` (an item index) added to a failure's message."""
    try:
        ledger.issue(ctx, symbol, account, amount)
    except ExecutionFailure as exc:
        raise ExecutionFailure(f"{where}: {exc.message}", exc.code) from None


# --- operations ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RewardProgramSet(OpBase):
    """Define or update the content and activity reward program of a point type (its
    issuer only): the oracle that may pay rewards and the per-account daily cap."""

    CODE: ClassVar[OpCode] = OpCode.REWARD_PROGRAM
    symbol: str = arg(SYMBOL)
    oracle: bytes = arg(ADDRESS, "the oracle's key (it also needs the oracle role)")
    daily_cap_per_account: int = arg(Int(1), "most points one account may get a day")
    active: bool = arg(BOOL, "false pauses the program", True)

    def execute(self, ctx: ExecContext) -> None:
        _issuer_asset(ctx, self.symbol)
        program = RewardProgram(self.symbol, self.oracle, self.daily_cap_per_account, self.active)
        _put(ctx.state, reward_program_key(self.symbol), program.to_wire())
        ctx.emit(
            "reward.program", self.symbol, self.oracle, self.daily_cap_per_account, self.active
        )


@dataclass(frozen=True, slots=True)
class RewardBatch(OpBase):
    """Pay rewards (new points) to many accounts, sent by the program's oracle; all or
    nothing, within each account's daily cap."""

    CODE: ClassVar[OpCode] = OpCode.REWARD_BATCH
    symbol: str = arg(SYMBOL)
    items: tuple[tuple[bytes, int, str], ...] = arg(
        ListOf((("account", ACCOUNT), ("amount", AMOUNT), ("reason", REASON)), MAX_REWARD_ITEMS),
        "an account, an amount and a reason code",
        flag="reward",
    )

    def execute(self, ctx: ExecContext) -> None:
        state = ctx.state
        program = _require_reward_program(state, self.symbol)
        governance.require_role(ctx, "oracle")
        if ctx.sender != program.oracle:
            raise ExecutionFailure(
                f"only the oracle of the {self.symbol} reward program may pay its rewards",
                codes.NOT_AUTHORIZED,
            )
        day = ledger.day_of(ctx.block.time_ms)
        for i, (account, amount, reason) in enumerate(self.items):
            if amount <= 0:
                raise ExecutionFailure(f"item {i}: amount must be positive", codes.INVALID_AMOUNT)
            key = reward_used_key(self.symbol, account)
            if ledger.window_add(state, key, day, amount, program.daily_cap) is None:
                used = ledger.window_used(state, key, day) + amount
                raise ExecutionFailure(
                    f"item {i}: the account would get {used} {self.symbol} today, over the "
                    f"daily cap of {program.daily_cap}",
                    codes.DAILY_CAP_EXCEEDED,
                )
            _issue(ctx, self.symbol, account, amount, f"item {i}")
            ctx.emit("reward.paid", self.symbol, account, amount, reason, day)


@dataclass(frozen=True, slots=True)
class DeviceProgramSet(OpBase):
    """Define or update the device reward program of a point type (its issuer only): the
    unit, the rate in points per unit, the period and the quotas per period."""

    CODE: ClassVar[OpCode] = OpCode.DEVICE_PROGRAM
    symbol: str = arg(SYMBOL)
    unit: str = arg(Str(MAX_UNIT, 1), "what is measured: kg, kWh, ...")
    rate_num: int = arg(Int(1), "points per unit = rate_num / rate_den")
    rate_den: int = arg(Int(1), "points per unit = rate_num / rate_den", cli_default=1)
    period_blocks: int = arg(Int(1), "length of a quota period in blocks")
    device_quota: int = arg(U64, "most points per device per period; 0 none", 0)
    period_quota: int = arg(U64, "most points for the whole program per period; 0 none", 0)
    active: bool = arg(BOOL, "false pauses the program", True)

    def execute(self, ctx: ExecContext) -> None:
        _issuer_asset(ctx, self.symbol)
        height = ctx.block.height
        old = get_device_program(ctx.state, self.symbol)
        if old is None:
            start, base = height, 0
        elif old.period_blocks != self.period_blocks:
            start, base = height, old.period_at(height) + 1
        else:
            start, base = old.start, old.base
        program = DeviceProgram(
            self.symbol,
            self.unit,
            self.rate_num,
            self.rate_den,
            self.period_blocks,
            self.device_quota,
            self.period_quota,
            self.active,
            start,
            base,
        )
        _put(ctx.state, device_program_key(self.symbol), program.to_wire())
        ctx.emit(
            "device.program",
            self.symbol,
            self.unit,
            self.rate_num,
            self.rate_den,
            self.period_blocks,
            self.device_quota,
            self.period_quota,
            self.active,
        )


@dataclass(frozen=True, slots=True)
class DeviceRegister(OpBase):
    """Authorise (or deactivate) a device key for a point type's device program (its
    issuer only), with the account its reports pay, or none (each report names it)."""

    CODE: ClassVar[OpCode] = OpCode.DEVICE_REGISTER
    symbol: str = arg(SYMBOL)
    device: bytes = arg(ADDRESS, "the device's key")
    beneficiary: bytes = arg(ACCOUNT_OR_NONE, "account paid for its reports; '-' none", b"")
    active: bool = arg(BOOL, "false revokes the device", True)

    def execute(self, ctx: ExecContext) -> None:
        _issuer_asset(ctx, self.symbol)
        _require_device_program(ctx.state, self.symbol)
        if self.device == PROGRAM_TOTAL:
            raise ExecutionFailure("the zero address cannot be a device", codes.INVALID_ACCOUNT)
        old = get_device(ctx.state, self.symbol, self.device)
        paid = 0 if old is None else old.paid
        device = Device(
            self.symbol, self.device, self.beneficiary, self.active, ctx.block.height, paid
        )
        _put(ctx.state, device_key(self.symbol, self.device), device.to_wire())
        ctx.emit("device.registered", self.symbol, self.device, self.beneficiary, self.active)


@dataclass(frozen=True, slots=True)
class DeviceReport(OpBase):
    """A registered device reports a measured quantity; the chain pays points at the
    program's rate, once per measurement id, within the period quotas."""

    CODE: ClassVar[OpCode] = OpCode.DEVICE_REPORT
    symbol: str = arg(SYMBOL)
    measurement_id: bytes = arg(
        Bytes(max_len=MAX_MEASUREMENT_ID), "the measurement's id (1-32 bytes, hex)"
    )
    quantity: int = arg(U64, "measured quantity, in the program's unit")
    beneficiary: bytes = arg(
        ACCOUNT_OR_NONE, "account to pay; '-' for the device's registered one", b""
    )

    def execute(self, ctx: ExecContext) -> None:
        state = ctx.state
        program = _require_device_program(state, self.symbol)
        if not program.active:
            raise ExecutionFailure(
                f"the device program of {self.symbol} is inactive", codes.PROGRAM_INACTIVE
            )
        device = _require_device(state, self.symbol, ctx.sender)
        if not self.measurement_id:
            raise ExecutionFailure("a measurement id needs 1 to 32 bytes", codes.BAD_REQUEST)
        mkey = measurement_key(ctx.sender, self.measurement_id)
        if state.get(mkey) is not None:
            raise ExecutionFailure(
                f"measurement {self.measurement_id.hex()} of this device was already paid",
                codes.MEASUREMENT_PAID,
            )
        beneficiary = self._beneficiary(device)
        points = program.payment(self.quantity)
        if points <= 0:
            raise ExecutionFailure(
                f"{self.quantity} {program.unit} pays less than one point", codes.INVALID_AMOUNT
            )
        if device.paid + points > ledger.AMOUNT_MAX:  # counters stay 64-bit (codec)
            raise ExecutionFailure(f"{points} points is too large a payment", codes.INVALID_AMOUNT)
        period = program.period_at(ctx.block.height)
        self._count(state, ctx.sender, period, points, program.device_quota)
        self._count(state, PROGRAM_TOTAL, period, points, program.period_quota)
        _put(
            state,
            mkey,
            Measurement(
                self.symbol, ctx.block.height, self.quantity, points, beneficiary
            ).to_wire(),
        )
        paid = Device(
            self.symbol,
            ctx.sender,
            device.beneficiary,
            device.active,
            device.registered,
            device.paid + points,
        )
        _put(state, device_key(self.symbol, ctx.sender), paid.to_wire())
        _issue(ctx, self.symbol, beneficiary, points, f"measurement {self.measurement_id.hex()}")
        ctx.emit(
            "device.paid",
            self.symbol,
            ctx.sender,
            self.measurement_id,
            self.quantity,
            points,
            beneficiary,
            period,
        )

    def _beneficiary(self, device: Device) -> bytes:
        if not device.beneficiary:
            if not self.beneficiary:
                raise ExecutionFailure(
                    "this device has no registered beneficiary: the report must name one",
                    codes.INVALID_ACCOUNT,
                )
            return self.beneficiary
        if self.beneficiary and self.beneficiary != device.beneficiary:
            raise ExecutionFailure(
                "this device pays only its registered beneficiary", codes.NOT_AUTHORIZED
            )
        return device.beneficiary

    def _count(self, state: StateView, who: bytes, period: int, points: int, quota: int) -> None:
        key = device_used_key(self.symbol, who)
        used = ledger.window_used(state, key, period) + points
        if used > ledger.AMOUNT_MAX:
            raise ExecutionFailure(f"{points} points is too large a payment", codes.INVALID_AMOUNT)
        if quota and used > quota:
            if who == PROGRAM_TOTAL:
                raise ExecutionFailure(
                    f"the program would pay {used} {self.symbol} in period {period}, over "
                    f"its quota of {quota}",
                    codes.PERIOD_QUOTA_EXCEEDED,
                )
            raise ExecutionFailure(
                f"the device would be paid {used} {self.symbol} in period {period}, over "
                f"its quota of {quota}",
                codes.DEVICE_QUOTA_EXCEEDED,
            )
        state.put(key, codec.encode([period, used]))


OPS = (RewardProgramSet, RewardBatch, DeviceProgramSet, DeviceRegister, DeviceReport)
