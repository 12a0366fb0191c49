"""The example contracts in contracts/examples/, assembled from their source and run
through their stories on the in-memory TestHost: who may call what, the points paid,
caps, pro-rata settlement without creating points, and all-or-nothing failures."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from primitives.keys import PrivateKey
from tests.unit.vm.helpers import block, founded, key, signed
from vm import codes, ledger
from vm.contracts.asm import assemble
from vm.contracts.code import Program, validate
from vm.contracts.host import TestHost, TestWorld
from vm.contracts.interp import Outcome, Value
from vm.executor import execute_transaction
from vm.ops.asset import AssetCreate, AssetIssue
from vm.ops.contract import ContractCall, ContractDelegate, ContractDeploy
from vm.ops.registry import Operation
from vm.ops.transfer import Transfer
from vm.receipt import Receipt

EXAMPLES = Path(__file__).resolve().parents[3] / "contracts" / "examples"
GAS = 200_000
DAY_MS = 86_400_000
SYM = "ALP"

OWNER = b"\x0a" * 20
BIN = b"\xb1" * 20
ALICE = b"\x01" * 20
BOB = b"\x02" * 20
CAROL = b"\x03" * 20
STRANGER = b"\xee" * 20
CONTRACT = b"\xc0" * 20


def program(name: str) -> Program:
    return validate(assemble((EXAMPLES / f"{name}.sasm").read_text()))


class Deployed:
    """One example contract at CONTRACT in a TestWorld."""

    def __init__(self, name: str) -> None:
        self.program = program(name)
        self.world = TestWorld()
        self.world.contracts[CONTRACT] = self.program

    def call(self, caller: bytes, *args: Value, gas: int = GAS) -> Outcome:
        return TestHost(CONTRACT, caller, self.world).invoke(self.program, list(args), gas)

    def ok(self, caller: bytes, *args: Value) -> tuple[Value, ...]:
        out = self.call(caller, *args)
        assert out.ok, out.reason
        return out.values

    def fails(self, caller: bytes, *args: Value) -> str:
        before = self.snapshot()
        out = self.call(caller, *args)
        assert not out.ok
        assert self.snapshot() == before  # a failed call changes nothing
        return out.reason

    def balance(self, account: bytes) -> int:
        return self.world.balances.get((account, SYM), 0)

    def fund(self, account: bytes, amount: int) -> None:
        self.world.balances[(account, SYM)] = self.balance(account) + amount

    def events(self) -> list[tuple[bytes, Value]]:
        out = [(topic, value) for _, topic, value in self.world.events]
        self.world.events.clear()
        return out

    def snapshot(self) -> tuple[object, ...]:
        return (
            {k: dict(v) for k, v in self.world.storage.items()},
            dict(self.world.balances),
            len(self.world.events),
            dict(self.world.issuable),
        )


def test_every_example_assembles_and_round_trips() -> None:
    from vm.contracts.asm import disassemble

    for path in sorted(EXAMPLES.glob("*.sasm")):
        code = assemble(path.read_text())
        assert assemble(disassemble(code)) == code, path.name
        validate(code)
    assert {p.stem for p in EXAMPLES.glob("*.sasm")} == {
        "waste_sorting",
        "energy_sharing",
        "civic_participation",
    }


# --- waste sorting: rates per category, registered bins, a daily cap per resident -----

PLASTIC, PAPER = 1, 2


@pytest.fixture
def waste() -> Deployed:
    c = Deployed("waste_sorting")
    c.ok(OWNER, 0, SYM.encode(), 100)  # init: cap 100 points a day per resident
    c.ok(OWNER, 1, PLASTIC, 3)  # 3 points per kg of plastic
    c.ok(OWNER, 1, PAPER, 1)
    c.ok(OWNER, 2, BIN, 1)
    c.world.issuable[(CONTRACT, SYM)] = 1_000  # the issuer's delegation
    c.events()
    return c


def test_waste_pays_rate_times_kg_under_the_delegation(waste: Deployed) -> None:
    assert waste.ok(BIN, 4, ALICE, PLASTIC, 10) == (30,)
    assert waste.ok(BIN, 4, ALICE, PAPER, 7) == (7,)
    assert waste.balance(ALICE) == 37
    assert waste.world.issuable[(CONTRACT, SYM)] == 1_000 - 37
    assert waste.events() == [(b"reward", 30), (b"reward", 7)]
    assert waste.ok(STRANGER, 5, ALICE) == (37,)


def test_waste_daily_cap_per_resident_resets_the_next_day(waste: Deployed) -> None:
    assert waste.ok(BIN, 4, ALICE, PLASTIC, 30) == (90,)
    assert waste.ok(BIN, 4, ALICE, PLASTIC, 10) == (10,)  # 30 earned, 10 left today
    assert waste.events() == [(b"reward", 90), (b"capped", 20), (b"reward", 10)]
    assert waste.ok(BIN, 4, ALICE, PAPER, 5) == (0,)  # capped: nothing issued
    assert waste.events() == [(b"capped", 5)]
    assert waste.ok(BIN, 4, BOB, PAPER, 5) == (5,)  # the cap is per resident
    assert waste.ok(STRANGER, 5, ALICE) == (100,)
    # the day boundary is exact: the last millisecond of the day is still today
    now = waste.world.time_ms
    waste.world.time_ms = (now // DAY_MS + 1) * DAY_MS - 1
    assert waste.ok(BIN, 4, ALICE, PAPER, 5) == (0,)
    waste.world.time_ms += 1
    assert waste.ok(STRANGER, 5, ALICE) == (0,)
    assert waste.ok(BIN, 4, ALICE, PAPER, 5) == (5,)
    assert waste.balance(ALICE) == 105 and waste.balance(BOB) == 5


def test_waste_only_the_owner_configures_and_only_bins_report(waste: Deployed) -> None:
    assert waste.fails(STRANGER, 1, PLASTIC, 100) == "revert: only the owner"
    assert waste.fails(STRANGER, 2, STRANGER, 1) == "revert: only the owner"
    assert waste.fails(STRANGER, 3, 10**6) == "revert: only the owner"
    assert waste.fails(OWNER, 0, b"XYZ", 1) == "revert: already initialised"
    assert waste.fails(STRANGER, 4, ALICE, PLASTIC, 10) == "revert: not a registered bin"
    assert waste.fails(BIN, 4, ALICE, 9, 10) == "revert: unknown category"
    assert waste.fails(OWNER, 3, 2**40) == "revert: cap must be below 2**40"
    assert waste.fails(OWNER, 9) == "revert: unknown entry point"
    waste.ok(OWNER, 2, BIN, 0)  # the bin is retired
    assert waste.fails(BIN, 4, ALICE, PLASTIC, 10) == "revert: not a registered bin"
    waste.ok(OWNER, 1, PLASTIC, 0)  # and so is the category
    waste.ok(OWNER, 2, BIN, 1)
    assert waste.fails(BIN, 4, ALICE, PLASTIC, 10) == "revert: unknown category"


def test_waste_cannot_pay_beyond_the_delegation(waste: Deployed) -> None:
    waste.world.issuable[(CONTRACT, SYM)] = 20
    waste.fails(BIN, 4, ALICE, PLASTIC, 10)  # 30 > 20 left: nothing recorded either
    assert waste.ok(STRANGER, 5, ALICE) == (0,)
    assert waste.ok(BIN, 4, ALICE, PLASTIC, 6) == (18,)


def test_waste_report_gas_is_small(waste: Deployed) -> None:
    out = waste.call(BIN, 4, ALICE, PLASTIC, 10)
    assert out.ok
    # one SSTORE (5,000), five SLOADs, one ISSUE, one EMIT, and the rest
    assert out.gas_used < 10_000, out.gas_used
    assert not waste.call(BIN, 4, ALICE, PLASTIC, 10, gas=out.gas_used - 1).ok


# --- energy sharing: offers in kWh, bids in points, pro-rata settlement --------------

PRICE = 10


@pytest.fixture
def energy() -> Deployed:
    c = Deployed("energy_sharing")
    c.ok(OWNER, 0, SYM.encode(), PRICE)
    c.ok(OWNER, 2, ALICE, 1)
    c.ok(OWNER, 2, BOB, 1)
    for buyer in (CAROL, STRANGER):
        c.fund(buyer, 1_000)
    c.events()
    return c


def buy(c: Deployed, buyer: bytes, points: int) -> None:
    """Deposit and bid, as one transaction would (both or neither)."""
    c.world.balances[(buyer, SYM)] -= points
    c.fund(CONTRACT, points)
    assert c.ok(buyer, 5) == (points,)


def test_energy_supply_exceeds_demand_sellers_share_the_bids(energy: Deployed) -> None:
    energy.ok(ALICE, 4, 3)  # 3 kWh
    energy.ok(BOB, 4, 1)  # 1 kWh: 40 points worth offered
    buy(energy, CAROL, 25)
    buy(energy, STRANGER, 5)
    assert energy.ok(STRANGER, 7, 1) == (1, 4, 30, 0)
    assert energy.ok(OWNER, 3) == (1, 30)  # round 1 closed: all 30 points traded
    assert energy.ok(STRANGER, 7, 1) == (2, 4, 30, 30)
    assert energy.ok(ALICE, 6, 1) == (22, 0)  # floor(30 * 3 / 4)
    assert energy.ok(BOB, 6, 1) == (7, 0)  # floor(30 * 1 / 4)
    assert energy.ok(CAROL, 6, 1) == (0, 0)  # fully spent
    assert energy.balance(ALICE) == 22 and energy.balance(BOB) == 7
    assert energy.balance(CONTRACT) == 1  # the rounding dust stays, still counted as held
    assert energy.world.storage[CONTRACT][b"held"] == 1


def test_energy_demand_exceeds_supply_buyers_filled_pro_rata(energy: Deployed) -> None:
    energy.ok(ALICE, 4, 2)  # 20 points worth
    buy(energy, CAROL, 25)
    buy(energy, STRANGER, 15)
    assert energy.ok(OWNER, 3) == (1, 20)
    assert energy.ok(ALICE, 6, 1) == (20, 0)
    assert energy.ok(CAROL, 6, 1) == (0, 12)  # floor(20 * 25 / 40): spent 13
    assert energy.ok(STRANGER, 6, 1) == (0, 7)  # floor(20 * 15 / 40): spent 8
    assert energy.balance(CAROL) == 1_000 - 13
    assert energy.balance(STRANGER) == 1_000 - 8
    assert energy.balance(CONTRACT) == 1  # 40 in, 20 + 12 + 7 out
    events = energy.events()
    assert (b"traded", 20) in events and (b"refund", 12) in events


def test_energy_rules(energy: Deployed) -> None:
    assert energy.fails(CAROL, 4, 5) == "revert: not a registered household"
    assert energy.fails(ALICE, 4, 0) == "revert: nothing offered"
    assert energy.fails(CAROL, 5).startswith("revert: no deposit")
    assert energy.fails(STRANGER, 3) == "revert: only the owner"
    assert energy.fails(STRANGER, 1, 99) == "revert: only the owner"
    assert energy.fails(OWNER, 1, 0) == "revert: the price must be positive"
    assert energy.fails(OWNER, 0, b"X", 1) == "revert: already initialised"
    energy.ok(ALICE, 4, 1)
    buy(energy, CAROL, 4)
    assert energy.fails(ALICE, 6, 1) == "revert: the round is not closed"
    energy.ok(OWNER, 3)
    assert energy.ok(ALICE, 6, 1) == (4, 0)
    assert energy.fails(ALICE, 6, 1) == "revert: nothing to claim in this round"  # once
    assert energy.fails(BOB, 6, 1) == "revert: nothing to claim in this round"
    energy.ok(OWNER, 2, ALICE, 0)
    assert energy.fails(ALICE, 4, 1) == "revert: not a registered household"


def test_energy_rounds_without_the_other_side(energy: Deployed) -> None:
    buy(energy, CAROL, 50)  # nobody sells: everything comes back
    assert energy.ok(OWNER, 3) == (1, 0)
    assert energy.ok(CAROL, 6, 1) == (0, 50)
    energy.ok(ALICE, 4, 7)  # nobody buys: the seller is paid nothing
    assert energy.ok(OWNER, 3) == (2, 0)
    assert energy.ok(ALICE, 6, 2) == (0, 0)
    assert energy.balance(CONTRACT) == 0 and energy.balance(CAROL) == 1_000


def test_energy_settlement_never_creates_points() -> None:
    rng = random.Random(7)
    for _ in range(30):
        c = Deployed("energy_sharing")
        price = rng.randint(1, 50)
        c.ok(OWNER, 0, SYM.encode(), price)
        sellers = [bytes([0x10 + i]) * 20 for i in range(rng.randint(0, 4))]
        buyers = [bytes([0x40 + i]) * 20 for i in range(rng.randint(0, 4))]
        offered = {s: rng.randint(1, 30) for s in sellers}
        bids = {b: rng.randint(1, 500) for b in buyers}
        for s, kwh in offered.items():
            c.ok(OWNER, 2, s, 1)
            c.ok(s, 4, kwh)
        for b, points in bids.items():
            c.fund(b, points)
            buy(c, b, points)
        _, traded = c.ok(OWNER, 3)
        demand = sum(bids.values())
        assert traded == min(demand, sum(offered.values()) * price)
        paid = sum(int(c.ok(s, 6, 1)[0]) for s in sellers)
        refunded = sum(int(c.ok(b, 6, 1)[1]) for b in buyers)
        assert paid <= traded and refunded <= demand - traded
        assert paid + refunded + c.balance(CONTRACT) == demand  # conserved
        assert c.balance(CONTRACT) <= len(sellers) + len(buyers)  # dust only
        for b, points in bids.items():  # a buyer spends at most the pro-rata share, rounded up
            spent = points - c.balance(b)
            assert spent * demand <= traded * points + demand


def test_energy_huge_offer_cannot_block_the_close(energy: Deployed) -> None:
    energy.ok(ALICE, 4, 2**64 - 1)  # S * price would overflow u64
    buy(energy, CAROL, 30)
    assert energy.ok(OWNER, 3) == (1, 30)
    assert energy.ok(CAROL, 6, 1) == (0, 0)
    assert energy.ok(ALICE, 6, 1) == (30, 0)


# --- civic participation: events, attendance once, credits spent at merchants ---------

VOTE, SURVEY = 1, 2
EVENT_KEY = b"\xe1" * 20
SHOP = b"\x5b" * 20


@pytest.fixture
def civic() -> Deployed:
    c = Deployed("civic_participation")
    c.ok(OWNER, 0, SYM.encode())
    c.fund(CONTRACT, 100)  # the authority's budget
    c.ok(OWNER, 1, VOTE, 10, EVENT_KEY)
    c.ok(OWNER, 1, SURVEY, 5, OWNER)
    c.world.roles.add((SHOP, "merchant"))
    c.events()
    return c


def test_civic_attendance_earns_credits_once(civic: Deployed) -> None:
    assert civic.ok(EVENT_KEY, 2, VOTE, ALICE) == (10,)
    assert civic.ok(OWNER, 2, VOTE, BOB) == (10,)  # the owner may attest any event
    assert civic.ok(OWNER, 2, SURVEY, ALICE) == (5,)
    assert civic.events() == [(b"attended", ALICE), (b"attended", BOB), (b"attended", ALICE)]
    assert civic.fails(EVENT_KEY, 2, VOTE, ALICE) == "revert: already attended"
    assert civic.fails(EVENT_KEY, 2, SURVEY, CAROL) == "revert: only the owner or the event's key"
    assert civic.fails(STRANGER, 2, VOTE, CAROL) == "revert: only the owner or the event's key"
    assert civic.fails(OWNER, 2, 99, CAROL) == "revert: no such event, or closed"
    assert civic.ok(STRANGER, 5, ALICE) == (15,)
    assert civic.ok(STRANGER, 6) == (100, 25)
    assert civic.balance(ALICE) == 0  # credits, not points: spent only at merchants


def test_civic_only_the_owner_manages_events(civic: Deployed) -> None:
    assert civic.fails(STRANGER, 1, 3, 50, STRANGER) == "revert: only the owner"
    assert civic.fails(STRANGER, 0, b"X") == "revert: already initialised"
    civic.ok(OWNER, 1, VOTE, 0, EVENT_KEY)  # closed
    assert civic.fails(EVENT_KEY, 2, VOTE, CAROL) == "revert: no such event, or closed"


def test_civic_credits_never_exceed_the_budget(civic: Deployed) -> None:
    civic.ok(OWNER, 1, 3, 60, OWNER)
    civic.ok(OWNER, 2, 3, ALICE)
    civic.ok(OWNER, 2, VOTE, ALICE)
    civic.ok(OWNER, 2, VOTE, BOB)  # 80 promised of 100
    assert civic.fails(OWNER, 2, 3, BOB) == "revert: budget exhausted: fund the contract"
    civic.fund(CONTRACT, 40)
    assert civic.ok(OWNER, 2, 3, BOB) == (60,)
    assert civic.ok(STRANGER, 6) == (140, 140)


def test_civic_redeem_at_a_merchant_pays_or_burns(civic: Deployed) -> None:
    civic.ok(EVENT_KEY, 2, VOTE, ALICE)
    civic.ok(OWNER, 2, SURVEY, ALICE)
    assert civic.fails(ALICE, 3, STRANGER, 5) == "revert: not an alliance merchant"
    assert civic.fails(ALICE, 3, SHOP, 16) == "revert: not enough credits"
    assert civic.fails(ALICE, 3, SHOP, 0) == "revert: nothing to redeem"
    assert civic.fails(BOB, 3, SHOP, 1) == "revert: not enough credits"
    civic.events()
    assert civic.ok(ALICE, 3, SHOP, 6) == (6,)
    assert civic.balance(SHOP) == 6 and civic.balance(CONTRACT) == 94
    assert civic.events() == [(b"merchant", SHOP), (b"redeemed", 6)]
    assert civic.ok(ALICE, 4, SHOP, 9) == (9,)  # burned: the points leave circulation
    assert civic.balance(SHOP) == 6 and civic.balance(CONTRACT) == 85
    assert civic.events() == [(b"merchant", SHOP), (b"burned", 9)]
    assert civic.ok(STRANGER, 5, ALICE) == (0,)
    assert civic.ok(STRANGER, 6) == (85, 0)


# --- on the ledger: deployed and called through vm.executor ----------------------------

CITY, BIN_KEY, RESIDENT, BUYER, MERCHANT = key(21), key(22), key(23), key(24), key(25)


class Ledger:
    """A state where CITY issues PTS (and holds the issuer role) and MERCHANT is an
    alliance merchant; transactions run through execute_transaction."""

    def __init__(self) -> None:
        self.state = founded((CITY, ("issuer",)), (MERCHANT, ("merchant",)))
        self.nonces: dict[bytes, int] = {}
        self.height = 1
        self.ok(CITY, AssetCreate("PTS", "Points", 0, 10**9))
        self.ok(CITY, AssetIssue("PTS", CITY.address(), 1_000_000))

    def run(self, k: PrivateKey, *ops: Operation) -> Receipt:
        n = self.nonces.get(k.address(), 0)
        self.nonces[k.address()] = n + 1
        return execute_transaction(self.state, signed(k, n, *ops), block(self.height))

    def ok(self, k: PrivateKey, *ops: Operation) -> Receipt:
        r = self.run(k, *ops)
        assert r.code == codes.OK, (r.code, r.message)
        return r

    def deploy(self, name: str) -> bytes:
        code = assemble((EXAMPLES / f"{name}.sasm").read_text())
        r = self.ok(CITY, ContractDeploy(code, b""))
        (address,) = [e.fields[0] for e in r.events if e.kind == "contract.deployed"]
        assert isinstance(address, bytes)
        return address

    def call(self, k: PrivateKey, contract: bytes, *args: int | bytes) -> Receipt:
        return self.run(k, ContractCall(contract, tuple(args), GAS))

    def balance(self, account: bytes) -> int:
        return ledger.get_balance(self.state, account, "PTS", self.height)

    def outstanding(self) -> int:
        asset = ledger.require_asset(self.state, "PTS")
        return int(asset.outstanding)


def returned(r: Receipt) -> tuple[object, ...]:
    (fields,) = [e.fields for e in r.events if e.kind == "contract.returned"]
    return fields[1:]


def contract_events(r: Receipt) -> list[tuple[object, ...]]:
    return [e.fields[1:] for e in r.events if e.kind == "contract.event"]


def test_waste_sorting_on_the_ledger_issues_under_the_delegation() -> None:
    c = Ledger()
    waste = c.deploy("waste_sorting")
    c.ok(CITY, ContractCall(waste, (0, b"PTS", 500), GAS))
    c.ok(CITY, ContractCall(waste, (1, PLASTIC, 3), GAS))
    c.ok(CITY, ContractCall(waste, (2, BIN_KEY.address(), 1), GAS))
    r = c.call(BIN_KEY, waste, 4, RESIDENT.address(), PLASTIC, 10)
    assert r.code == codes.NO_DELEGATION  # the issuer has not delegated yet
    c.ok(CITY, ContractDelegate("PTS", waste, 1_000, True))
    before = c.outstanding()
    r = c.ok(BIN_KEY, ContractCall(waste, (4, RESIDENT.address(), PLASTIC, 10), GAS))
    assert returned(r) == (30,)
    assert contract_events(r) == [(b"reward", 30)]
    assert ("asset.issued", ("PTS", RESIDENT.address(), 30)) in [
        (e.kind, e.fields) for e in r.events
    ]
    assert c.balance(RESIDENT.address()) == 30 and c.outstanding() == before + 30
    # beyond the delegation's cap: rolled back, nothing recorded for the day
    c.ok(CITY, ContractDelegate("PTS", waste, 50, True))
    r = c.call(BIN_KEY, waste, 4, RESIDENT.address(), PLASTIC, 10)
    assert r.code == codes.DELEGATION_EXCEEDED
    assert returned(c.ok(CITY, ContractCall(waste, (5, RESIDENT.address()), GAS))) == (30,)
    r = c.call(RESIDENT, waste, 4, RESIDENT.address(), PLASTIC, 10)
    assert r.code == codes.CONTRACT_REVERTED and "not a registered bin" in r.message


def test_energy_sharing_on_the_ledger_deposit_and_bid_in_one_transaction() -> None:
    c = Ledger()
    energy = c.deploy("energy_sharing")
    c.ok(CITY, ContractCall(energy, (0, b"PTS", 10), GAS))
    c.ok(CITY, ContractCall(energy, (2, RESIDENT.address(), 1), GAS))
    c.ok(CITY, Transfer("PTS", BUYER.address(), 1_000))
    c.ok(RESIDENT, ContractCall(energy, (4, 3), GAS))  # 3 kWh: 30 points at 10
    r = c.ok(BUYER, Transfer("PTS", energy, 45), ContractCall(energy, (5,), GAS))
    assert returned(r) == (45,)
    # a bid without a deposit fails, and so does the whole transaction with it
    r = c.run(BUYER, Transfer("PTS", CITY.address(), 1), ContractCall(energy, (5,), GAS))
    assert r.code == codes.CONTRACT_REVERTED and "no deposit" in r.message
    assert c.balance(BUYER.address()) == 1_000 - 45
    assert returned(c.ok(CITY, ContractCall(energy, (3,), GAS))) == (1, 30)
    assert returned(c.ok(RESIDENT, ContractCall(energy, (6, 1), GAS))) == (30, 0)
    assert returned(c.ok(BUYER, ContractCall(energy, (6, 1), GAS))) == (0, 15)
    assert c.balance(RESIDENT.address()) == 30
    assert c.balance(BUYER.address()) == 1_000 - 30
    assert c.balance(energy) == 0


def test_civic_participation_on_the_ledger_pays_and_burns_at_merchants() -> None:
    c = Ledger()
    civic = c.deploy("civic_participation")
    c.ok(CITY, ContractCall(civic, (0, b"PTS"), GAS))
    c.ok(CITY, Transfer("PTS", civic, 100))  # the budget
    c.ok(CITY, ContractCall(civic, (1, VOTE, 40, CITY.address()), GAS))
    r = c.ok(CITY, ContractCall(civic, (2, VOTE, RESIDENT.address()), GAS))
    assert returned(r) == (40,) and contract_events(r) == [(b"attended", RESIDENT.address())]
    r = c.call(RESIDENT, civic, 3, BUYER.address(), 10)  # not a merchant (governance role)
    assert r.code == codes.CONTRACT_REVERTED and "not an alliance merchant" in r.message
    c.ok(RESIDENT, ContractCall(civic, (3, MERCHANT.address(), 10), GAS))
    assert c.balance(MERCHANT.address()) == 10
    supply = c.outstanding()
    c.ok(RESIDENT, ContractCall(civic, (4, MERCHANT.address(), 30), GAS))
    assert c.outstanding() == supply - 30  # burned: redeemed out of circulation
    assert c.balance(civic) == 60
    assert returned(c.ok(CITY, ContractCall(civic, (6,), GAS))) == (60, 0)
