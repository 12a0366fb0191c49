"""Content and activity rewards (reward.program, reward.batch) and device rewards
(device.program, device.register, device.report): effects, events, every refusal with its
code, day and period edges to the block, all or nothing, supply conservation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from primitives.errors import DecodeError
from primitives.keys import PrivateKey
from tests.unit.vm.helpers import CHAIN, founded, key, signed
from vm import codes, ledger
from vm.context import BlockContext
from vm.executor import execute_transaction
from vm.ops.asset import AssetCreate
from vm.ops.catalog import decode_operation
from vm.ops.registry import Operation
from vm.ops.rewards import (
    PROGRAM_TOTAL,
    DeviceProgramSet,
    DeviceRegister,
    DeviceReport,
    RewardBatch,
    RewardProgramSet,
    device_used,
    get_device,
    get_device_program,
    get_measurement,
    get_reward_program,
    reward_used,
)
from vm.params import DEFAULT_SCHEDULE, op_gas
from vm.receipt import Receipt
from vm.state import StateView

ISSUER, ORACLE, OUTSIDER, DEVICE, BOB, ISSUER2, DEVICE2 = (key(n) for n in range(1, 8))
ROLELESS_ORACLE = key(9)
DAY = ledger.DAY_MS
T0 = 19_000 * DAY  # the start of day 19000


class Chain:
    """A state plus per-key nonces, so a test reads as a sequence of transactions."""

    def __init__(self) -> None:
        self.state = founded(
            (ISSUER, ("issuer",)),
            (ORACLE, ("oracle",)),
            (ISSUER2, ("issuer", "oracle")),
            (OUTSIDER, ("oracle",)),
            (BOB, ("custodian",)),  # BOB.address()/user-1 is a custody account
        )
        self.nonces: dict[bytes, int] = {}

    def run(self, k: PrivateKey, *ops: Operation, height: int = 1, time_ms: int = T0) -> Receipt:
        nonce = self.nonces.get(k.address(), 0)
        self.nonces[k.address()] = nonce + 1
        stx = signed(k, nonce, *ops)
        return execute_transaction(self.state, stx, BlockContext(CHAIN, height, time_ms))

    def ok(self, k: PrivateKey, *ops: Operation, height: int = 1, time_ms: int = T0) -> Receipt:
        r = self.run(k, *ops, height=height, time_ms=time_ms)
        assert r.code == codes.OK, (r.code, r.message)
        return r

    def fails(
        self, code: str, k: PrivateKey, *ops: Operation, height: int = 1, time_ms: int = T0
    ) -> Receipt:
        before = dict(self.state.changes())
        r = self.run(k, *ops, height=height, time_ms=time_ms)
        assert r.code == code, (r.code, r.message)
        assert r.events == ()
        after = dict(self.state.changes())
        after.pop(ledger.nonce_key(k.address()))
        before.pop(ledger.nonce_key(k.address()), None)
        assert after == before  # all or nothing: only the nonce moved
        return r

    def balance(self, k: PrivateKey | bytes, symbol: str = "PTS") -> int:
        account = k if isinstance(k, bytes) else k.address()
        return ledger.get_balance(self.state, account, symbol)

    def conserved(self, symbol: str = "PTS") -> int:
        asset = ledger.require_asset(self.state, symbol)
        held = sum(
            ledger.get_balance(self.state, k.address(), symbol)
            for k in (ISSUER, ORACLE, OUTSIDER, DEVICE, BOB, ISSUER2, DEVICE2, ROLELESS_ORACLE)
        )
        held += ledger.get_balance(self.state, BOB.address() + b"user-1", symbol)
        assert asset.outstanding == held == asset.issued
        return held


def kinds(r: Receipt) -> list[str]:
    return [e.kind for e in r.events]


def with_points(cap: int = 10**12) -> Chain:
    c = Chain()
    c.ok(ISSUER, AssetCreate("PTS", "Points", 0, cap))
    c.ok(ISSUER2, AssetCreate("OTH", "Other", 0, 10**12))
    return c


def with_reward_program(cap: int = 100, oracle: PrivateKey = ORACLE) -> Chain:
    c = with_points()
    c.ok(ISSUER, RewardProgramSet("PTS", oracle.address(), cap, True))
    return c


def items(*rows: tuple[PrivateKey | bytes, int, str]) -> tuple[tuple[bytes, int, str], ...]:
    return tuple((a if isinstance(a, bytes) else a.address(), n, why) for a, n, why in rows)


# --- reward.program ---------------------------------------------------------------------


def test_reward_program_set_by_issuer_with_event() -> None:
    c = with_points()
    r = c.ok(ISSUER, RewardProgramSet("PTS", ORACLE.address(), 50, True))
    assert r.events[-1].kind == "reward.program"
    assert r.events[-1].fields == ("PTS", ORACLE.address(), 50, True)
    program = get_reward_program(c.state, "PTS")
    assert program is not None and (program.oracle, program.daily_cap, program.active) == (
        ORACLE.address(),
        50,
        True,
    )
    c.ok(ISSUER, RewardProgramSet("PTS", ISSUER2.address(), 7, False))  # update in place
    program = get_reward_program(c.state, "PTS")
    assert program is not None and (program.oracle, program.daily_cap, program.active) == (
        ISSUER2.address(),
        7,
        False,
    )


def test_reward_program_refusals() -> None:
    c = with_points()
    c.fails(codes.NOT_ISSUER, OUTSIDER, RewardProgramSet("PTS", ORACLE.address(), 5, True))
    c.fails(codes.NOT_ISSUER, ISSUER2, RewardProgramSet("PTS", ORACLE.address(), 5, True))
    c.fails(codes.NOT_ISSUER, ORACLE, RewardProgramSet("PTS", ORACLE.address(), 5, True))
    c.fails(codes.UNKNOWN_ASSET, ISSUER, RewardProgramSet("NOPE", ORACLE.address(), 5, True))
    with pytest.raises(DecodeError):  # a cap of 0 is not a program
        RewardProgramSet.from_args(["PTS", ORACLE.address(), 0, True])


# --- reward.batch ---------------------------------------------------------------------


def test_batch_pays_each_item_with_reason_and_counts_the_day() -> None:
    c = with_reward_program(cap=100)
    custody = BOB.address() + b"user-1"
    r = c.ok(
        ORACLE,
        RewardBatch("PTS", items((BOB, 30, "post"), (custody, 40, "review"), (BOB, 70, "like"))),
    )
    day = ledger.day_of(T0)
    paid = [e.fields for e in r.events if e.kind == "reward.paid"]
    assert paid == [
        ("PTS", BOB.address(), 30, "post", day),
        ("PTS", custody, 40, "review", day),
        ("PTS", BOB.address(), 70, "like", day),
    ]
    assert kinds(r).count("asset.issued") == 3
    assert c.balance(BOB) == 100 and c.balance(custody) == 40
    assert reward_used(c.state, "PTS", BOB.address(), day) == 100
    assert reward_used(c.state, "PTS", custody, day) == 40
    assert c.conserved() == 140


def test_daily_cap_is_exact_and_the_batch_all_or_nothing() -> None:
    c = with_reward_program(cap=100)
    c.ok(ORACLE, RewardBatch("PTS", items((BOB, 60, "a"))))
    # item 2 would take BOB to 101: nothing of the batch happens, the index is named
    r = c.fails(
        codes.DAILY_CAP_EXCEEDED,
        ORACLE,
        RewardBatch("PTS", items((OUTSIDER, 5, "a"), (BOB, 40, "b"), (BOB, 1, "c"))),
    )
    assert r.message.startswith("item 2:")
    assert c.balance(OUTSIDER) == 0 and c.balance(BOB) == 60
    c.ok(ORACLE, RewardBatch("PTS", items((BOB, 40, "b"))))  # exactly the cap
    assert c.balance(BOB) == 100
    c.fails(codes.DAILY_CAP_EXCEEDED, ORACLE, RewardBatch("PTS", items((BOB, 1, "c"))))
    assert c.conserved() == 100


def test_day_edge_to_the_millisecond() -> None:
    c = with_reward_program(cap=10)
    last_ms = T0 + DAY - 1
    c.ok(ORACLE, RewardBatch("PTS", items((BOB, 10, "a"))), height=2, time_ms=last_ms)
    c.fails(
        codes.DAILY_CAP_EXCEEDED,
        ORACLE,
        RewardBatch("PTS", items((BOB, 1, "a"))),
        height=3,
        time_ms=last_ms,
    )
    c.ok(ORACLE, RewardBatch("PTS", items((BOB, 10, "a"))), height=3, time_ms=T0 + DAY)
    # one counter per account: the new day replaced the old one (state does not grow a key
    # per day)
    assert reward_used(c.state, "PTS", BOB.address(), ledger.day_of(T0)) == 0
    assert reward_used(c.state, "PTS", BOB.address(), ledger.day_of(T0) + 1) == 10
    assert c.balance(BOB) == 20


def test_batch_refusals() -> None:
    c = with_points()
    batch = RewardBatch("PTS", items((BOB, 1, "a")))
    c.fails(codes.UNKNOWN_PROGRAM, ORACLE, batch)
    c.ok(ISSUER, RewardProgramSet("PTS", ORACLE.address(), 10, False))
    c.fails(codes.PROGRAM_INACTIVE, ORACLE, batch)
    c.ok(ISSUER, RewardProgramSet("PTS", ORACLE.address(), 10, True))
    # OUTSIDER holds the oracle role but is not this program's oracle
    c.fails(codes.NOT_AUTHORIZED, OUTSIDER, batch)
    # the issuer is not the oracle either, and has no oracle role
    c.fails(codes.NOT_AUTHORIZED, ISSUER, batch)
    c.fails(codes.INVALID_AMOUNT, ORACLE, RewardBatch("PTS", items((BOB, 1, "a"), (BOB, 0, "z"))))
    # the program's oracle without the governance role "oracle"
    c.ok(ISSUER, RewardProgramSet("PTS", ROLELESS_ORACLE.address(), 10, True))
    r = c.fails(codes.NOT_AUTHORIZED, ROLELESS_ORACLE, batch)
    assert "oracle role" in r.message
    # a new oracle replaces the old one
    c.ok(ISSUER, RewardProgramSet("PTS", ISSUER2.address(), 10, True))
    c.fails(codes.NOT_AUTHORIZED, ORACLE, batch)
    c.ok(ISSUER2, batch)
    assert c.conserved() == 1


def test_batch_respects_cap_and_issuer_quota() -> None:
    c = Chain()
    c.ok(ISSUER, AssetCreate("PTS", "Points", 0, 50))
    c.ok(ISSUER, RewardProgramSet("PTS", ORACLE.address(), 1_000, True))
    r = c.fails(
        codes.CAP_EXCEEDED, ORACLE, RewardBatch("PTS", items((BOB, 30, "a"), (OUTSIDER, 21, "b")))
    )
    assert r.message.startswith("item 1:")
    ledger.set_quota(c.state, ISSUER.address(), "PTS", 25)
    c.fails(codes.QUOTA_EXCEEDED, ORACLE, RewardBatch("PTS", items((BOB, 20, "a"), (BOB, 6, "b"))))
    c.ok(ORACLE, RewardBatch("PTS", items((BOB, 20, "a"), (BOB, 5, "b"))))
    assert c.conserved() == 25


def test_batch_size_limit_and_gas_per_item() -> None:
    row = [BOB.address(), 1, "r"]
    RewardBatch.from_args(["PTS", [row] * 256])
    with pytest.raises(DecodeError):
        RewardBatch.from_args(["PTS", [row] * 257])
    with pytest.raises(DecodeError):
        RewardBatch.from_args(["PTS", []])
    with pytest.raises(DecodeError):  # reason longer than 32 characters
        RewardBatch.from_args(["PTS", [[BOB.address(), 1, "x" * 33]]])
    op = RewardBatch("PTS", items(*[(BOB, 1, "r")] * 10))
    assert op_gas(DEFAULT_SCHEDULE, op) == 1_000 + 10 * 1_000
    c = with_reward_program(cap=1_000)
    c.ok(ORACLE, RewardBatch("PTS", items(*[(BOB, 1, "r")] * 256)))
    assert c.balance(BOB) == 256


# --- device.program / device.register ---------------------------------------------------


def kg_program(**kw: int | bool | str) -> DeviceProgramSet:
    base: dict[str, int | bool | str] = dict(
        symbol="PTS",
        unit="kg",
        rate_num=5,
        rate_den=2,
        period_blocks=100,
        device_quota=0,
        period_quota=0,
        active=True,
    )
    base.update(kw)
    return DeviceProgramSet(**base)  # type: ignore[arg-type]


def with_device(program_height: int = 1, **kw: int | bool | str) -> Chain:
    c = with_points()
    c.ok(ISSUER, kg_program(**kw), height=program_height)
    c.ok(
        ISSUER, DeviceRegister("PTS", DEVICE.address(), BOB.address(), True), height=program_height
    )
    return c


def test_device_program_and_register_with_events() -> None:
    c = with_points()
    r = c.ok(ISSUER, kg_program(device_quota=7, period_quota=9), height=10)
    assert r.events[-1].fields == ("PTS", "kg", 5, 2, 100, 7, 9, True)
    program = get_device_program(c.state, "PTS")
    assert program is not None and (program.start, program.base) == (10, 0)
    r = c.ok(ISSUER, DeviceRegister("PTS", DEVICE.address(), b"", True), height=11)
    assert r.events[-1].kind == "device.registered"
    assert r.events[-1].fields == ("PTS", DEVICE.address(), b"", True)
    device = get_device(c.state, "PTS", DEVICE.address())
    assert device is not None and (device.beneficiary, device.active, device.registered) == (
        b"",
        True,
        11,
    )


def test_device_program_and_register_refusals() -> None:
    c = with_points()
    c.fails(codes.NOT_ISSUER, OUTSIDER, kg_program())
    c.fails(codes.NOT_ISSUER, ISSUER2, kg_program())
    c.fails(codes.UNKNOWN_ASSET, ISSUER, kg_program(symbol="NOPE"))
    register = DeviceRegister("PTS", DEVICE.address(), BOB.address(), True)
    c.fails(codes.UNKNOWN_PROGRAM, ISSUER, register)
    c.ok(ISSUER, kg_program())
    c.fails(codes.NOT_ISSUER, OUTSIDER, register)
    c.fails(codes.NOT_ISSUER, DEVICE, register)  # a device cannot register itself
    c.fails(codes.INVALID_ACCOUNT, ISSUER, DeviceRegister("PTS", PROGRAM_TOTAL, b"", True))
    for bad in (
        ["PTS", "kg", 0, 1, 100, 0, 0, True],  # rate_num 0
        ["PTS", "kg", 1, 0, 100, 0, 0, True],  # rate_den 0
        ["PTS", "kg", 1, 1, 0, 0, 0, True],  # period 0
        ["PTS", "", 1, 1, 100, 0, 0, True],  # no unit
    ):
        with pytest.raises(DecodeError):
            DeviceProgramSet.from_args(bad)


# --- device.report ----------------------------------------------------------------------


def test_report_pays_at_the_rate_once() -> None:
    c = with_device()
    r = c.ok(DEVICE, DeviceReport("PTS", b"m-1", 7, b""), height=12)  # 7 * 5 // 2 = 17
    assert c.balance(BOB) == 17
    assert kinds(r) == ["asset.issued", "device.paid"]
    assert r.events[-1].fields == ("PTS", DEVICE.address(), b"m-1", 7, 17, BOB.address(), 0)
    m = get_measurement(c.state, DEVICE.address(), b"m-1")
    assert m is not None and (m.symbol, m.height, m.quantity, m.points, m.beneficiary) == (
        "PTS",
        12,
        7,
        17,
        BOB.address(),
    )
    device = get_device(c.state, "PTS", DEVICE.address())
    assert device is not None and device.paid == 17
    c.fails(codes.MEASUREMENT_PAID, DEVICE, DeviceReport("PTS", b"m-1", 7, b""), height=13)
    c.fails(codes.MEASUREMENT_PAID, DEVICE, DeviceReport("PTS", b"m-1", 1, b""), height=500)
    # ids are per device: another device may use the same id
    c.ok(ISSUER, DeviceRegister("PTS", DEVICE2.address(), BOB.address(), True))
    c.ok(DEVICE2, DeviceReport("PTS", b"m-1", 2, b""), height=13)
    assert c.balance(BOB) == 22
    assert c.conserved() == 22


def test_payment_rounds_down_and_zero_is_refused() -> None:
    c = with_device(rate_num=1, rate_den=3)
    c.fails(codes.INVALID_AMOUNT, DEVICE, DeviceReport("PTS", b"a", 2, b""))
    c.fails(codes.INVALID_AMOUNT, DEVICE, DeviceReport("PTS", b"a", 0, b""))
    c.ok(DEVICE, DeviceReport("PTS", b"a", 3, b""))  # the refused id was not burnt
    c.ok(DEVICE, DeviceReport("PTS", b"b", 5, b""))
    assert c.balance(BOB) == 2


def test_huge_payment_is_refused_not_crashed() -> None:
    top = 2**64 - 1
    c = with_device(rate_num=top, rate_den=1)
    r = c.fails(codes.INVALID_AMOUNT, DEVICE, DeviceReport("PTS", b"a", top, b""))
    assert "too large" in r.message
    c.fails(codes.CAP_EXCEEDED, DEVICE, DeviceReport("PTS", b"a", 1, b""))  # top > the cap


def test_report_refusals() -> None:
    c = with_points()
    report = DeviceReport("PTS", b"m", 10, b"")
    c.fails(codes.UNKNOWN_PROGRAM, DEVICE, report)
    c.ok(ISSUER, kg_program(active=False))
    c.fails(codes.PROGRAM_INACTIVE, DEVICE, report)
    c.ok(ISSUER, kg_program())
    c.fails(codes.UNKNOWN_DEVICE, DEVICE, report)  # not registered
    c.fails(codes.UNKNOWN_DEVICE, ISSUER, report)  # the issuer is not a device
    c.ok(ISSUER, DeviceRegister("PTS", DEVICE.address(), BOB.address(), False))
    c.fails(codes.DEVICE_INACTIVE, DEVICE, report)
    c.ok(ISSUER, DeviceRegister("PTS", DEVICE.address(), BOB.address(), True))
    # registered for PTS only: OTH has a program of its own but not this device
    c.ok(ISSUER2, kg_program(symbol="OTH"))
    c.fails(codes.UNKNOWN_DEVICE, DEVICE, DeviceReport("OTH", b"m", 10, b""))
    c.fails(codes.BAD_REQUEST, DEVICE, DeviceReport("PTS", b"", 10, b""))
    with pytest.raises(DecodeError):
        DeviceReport.from_args(["PTS", b"x" * 33, 1, b""])
    c.ok(DEVICE, report)  # the device key needs no governance role
    assert c.conserved() == 25


def test_beneficiary_rules() -> None:
    c = with_device()
    # a registered beneficiary is binding: a report may name it, not another account
    c.fails(codes.NOT_AUTHORIZED, DEVICE, DeviceReport("PTS", b"a", 2, OUTSIDER.address()))
    c.ok(DEVICE, DeviceReport("PTS", b"a", 2, BOB.address()))
    assert c.balance(BOB) == 5
    # without one, each report names who is paid (a shared machine paying its users)
    c.ok(ISSUER, DeviceRegister("PTS", DEVICE.address(), b"", True))
    c.fails(codes.INVALID_ACCOUNT, DEVICE, DeviceReport("PTS", b"b", 2, b""))
    c.ok(DEVICE, DeviceReport("PTS", b"b", 2, OUTSIDER.address()))
    assert c.balance(OUTSIDER) == 5
    device = get_device(c.state, "PTS", DEVICE.address())
    assert device is not None and device.paid == 10  # re-registering keeps the total
    assert c.conserved() == 10


def test_device_quota_at_the_period_edge() -> None:
    # program defined at height 10, periods of 100 blocks: period 0 is 10..109
    c = with_device(program_height=10, rate_num=1, rate_den=1, device_quota=50)
    c.ok(DEVICE, DeviceReport("PTS", b"a", 50, b""), height=10)
    c.fails(codes.DEVICE_QUOTA_EXCEEDED, DEVICE, DeviceReport("PTS", b"b", 1, b""), height=109)
    r = c.ok(DEVICE, DeviceReport("PTS", b"b", 50, b""), height=110)
    assert r.events[-1].fields[-1] == 1  # period 1
    c.fails(codes.DEVICE_QUOTA_EXCEEDED, DEVICE, DeviceReport("PTS", b"c", 1, b""), height=209)
    c.ok(DEVICE, DeviceReport("PTS", b"c", 1, b""), height=210)
    # one counter per device: only the current period is kept
    assert device_used(c.state, "PTS", DEVICE.address(), 1) == 0
    assert device_used(c.state, "PTS", DEVICE.address(), 2) == 1
    # another device has a quota of its own
    c.ok(ISSUER, DeviceRegister("PTS", DEVICE2.address(), BOB.address(), True))
    c.ok(DEVICE2, DeviceReport("PTS", b"a", 50, b""), height=210)
    assert c.conserved() == 151


def test_period_quota_covers_all_devices() -> None:
    c = with_device(program_height=10, rate_num=1, rate_den=1, device_quota=0, period_quota=60)
    c.ok(ISSUER, DeviceRegister("PTS", DEVICE2.address(), OUTSIDER.address(), True))
    c.ok(DEVICE, DeviceReport("PTS", b"a", 40, b""), height=50)
    c.fails(codes.PERIOD_QUOTA_EXCEEDED, DEVICE2, DeviceReport("PTS", b"a", 21, b""), height=109)
    c.ok(DEVICE2, DeviceReport("PTS", b"a", 20, b""), height=109)  # exactly the quota
    c.fails(codes.PERIOD_QUOTA_EXCEEDED, DEVICE, DeviceReport("PTS", b"b", 1, b""), height=109)
    c.ok(DEVICE, DeviceReport("PTS", b"b", 60, b""), height=110)
    assert device_used(c.state, "PTS", PROGRAM_TOTAL, 0) == 0  # a new period replaced it
    assert device_used(c.state, "PTS", PROGRAM_TOTAL, 1) == 60
    assert c.conserved() == 120


def test_changing_the_period_starts_a_fresh_period_at_once() -> None:
    c = with_device(program_height=10, rate_num=1, rate_den=1, device_quota=10)
    c.ok(DEVICE, DeviceReport("PTS", b"a", 10, b""), height=20)  # period 0
    # same period length: numbering unchanged, the quota still used up
    c.ok(ISSUER, kg_program(rate_num=1, rate_den=1, device_quota=10), height=30)
    c.fails(codes.DEVICE_QUOTA_EXCEEDED, DEVICE, DeviceReport("PTS", b"b", 1, b""), height=30)
    # a new length: period 1 starts at height 40 and lasts 1000 blocks
    c.ok(ISSUER, kg_program(rate_num=1, rate_den=1, device_quota=10, period_blocks=1000), height=40)
    program = get_device_program(c.state, "PTS")
    assert program is not None and (program.start, program.base) == (40, 1)
    assert program.period_at(40) == 1 and program.period_at(1039) == 1
    assert program.period_at(1040) == 2
    r = c.ok(DEVICE, DeviceReport("PTS", b"b", 10, b""), height=40)
    assert r.events[-1].fields[-1] == 1
    c.fails(codes.DEVICE_QUOTA_EXCEEDED, DEVICE, DeviceReport("PTS", b"c", 1, b""), height=1039)
    c.ok(DEVICE, DeviceReport("PTS", b"c", 1, b""), height=1040)


def test_report_respects_cap_and_leaves_nothing_on_failure() -> None:
    c = Chain()
    c.ok(ISSUER, AssetCreate("PTS", "Points", 0, 30))
    c.ok(ISSUER, kg_program(rate_num=1, rate_den=1, device_quota=100, period_quota=100))
    c.ok(ISSUER, DeviceRegister("PTS", DEVICE.address(), BOB.address(), True))
    c.fails(codes.CAP_EXCEEDED, DEVICE, DeviceReport("PTS", b"a", 31, b""))
    assert get_measurement(c.state, DEVICE.address(), b"a") is None
    assert device_used(c.state, "PTS", DEVICE.address(), 0) == 0
    c.ok(DEVICE, DeviceReport("PTS", b"a", 30, b""))
    assert c.conserved() == 30


def test_operations_round_trip_on_the_wire_and_json() -> None:
    ops: list[Operation] = [
        RewardProgramSet("PTS", ORACLE.address(), 5, True),
        RewardBatch("PTS", items((BOB, 3, "post"), (BOB.address() + b"u", 1, ""))),
        kg_program(device_quota=3),
        DeviceRegister("PTS", DEVICE.address(), b"", False),
        DeviceReport("PTS", bytes(32), 9, BOB.address()),
    ]
    for op in ops:
        assert decode_operation(op.to_wire()) == op
    assert ops[1].to_json()["items"][0]["reason"] == "post"
    assert ops[0].to_json()["op"] == "reward.program"


# --- supply conservation under random use -----------------------------------------------

steps = st.lists(
    st.tuples(
        st.sampled_from(["batch", "report"]),
        st.integers(0, 2),  # who is paid / which device
        st.integers(0, 40),  # amount or quantity
        st.integers(0, 3),  # days or periods ahead
    ),
    max_size=25,
)


@given(steps)
@settings(max_examples=60, deadline=None)
def test_supply_conserved_and_limits_hold(seq: list[tuple[str, int, int, int]]) -> None:
    c = Chain()
    c.ok(ISSUER, AssetCreate("PTS", "Points", 0, 400))
    c.ok(ISSUER, RewardProgramSet("PTS", ORACLE.address(), 30, True))
    c.ok(
        ISSUER,
        kg_program(rate_num=3, rate_den=2, period_blocks=10, device_quota=40, period_quota=60),
    )
    devices = (DEVICE, DEVICE2)
    for d in devices:
        c.ok(ISSUER, DeviceRegister("PTS", d.address(), BOB.address(), True))
    payees = (BOB, OUTSIDER, ISSUER2)
    height, time_ms, n = 1, T0, 0
    for kind, who, amount, ahead in seq:
        height += ahead * 5
        time_ms += ahead * DAY // 2
        n += 1
        if kind == "batch":
            op: Operation = RewardBatch("PTS", items((payees[who], amount, "x")))
            c.run(ORACLE, op, height=height, time_ms=time_ms)
        else:
            d = devices[who % 2]
            c.run(d, DeviceReport("PTS", n.to_bytes(2, "big"), amount, b""), height=height)
    c.conserved()
    for k in payees:
        for day in range(ledger.day_of(T0), ledger.day_of(time_ms) + 1):
            assert reward_used(c.state, "PTS", k.address(), day) <= 30
    for period in range(height // 10 + 2):
        assert device_used(c.state, "PTS", PROGRAM_TOTAL, period) <= 60
        for d in devices:
            assert device_used(c.state, "PTS", d.address(), period) <= 40


def test_state_view_helpers_match_fresh_state() -> None:
    state = StateView(founded((ISSUER, ("issuer",))))
    assert get_reward_program(state, "PTS") is None
    assert get_device_program(state, "PTS") is None
    assert get_device(state, "PTS", DEVICE.address()) is None
    assert reward_used(state, "PTS", BOB.address(), 0) == 0
