"""Property tests of the points ledger: random sequences of operations by random actors,
executed block by block with `execute_block`, with the ledger's invariants checked after
every block:

- per point type, outstanding == issued - redeemed - expired - clawed_back == the sum of
  every holder's spendable balance at that height, and 0 <= outstanding <= cap;
- for a type with expiry, each future expiry bucket equals the stored lots of that
  expiry over all holders, and no bucket or due list at or below the height is left;
- no stored amount is zero or negative, lots are sorted by expiry;
- a failed transaction changes nothing but its sender's nonce (fees are off) and emits
  nothing;
- the same sequence gives the same state (`changes()`) byte for byte, run again or run
  transaction by transaction.

Actors: two issuers and a custodian (roles held without membership), three plain
holders, custody sub-accounts of the custodian as recipients; a single member (CHAIR)
passes governance actions (tier limits, freezes, clawbacks) through `gov.propose`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from primitives import codec
from tests.unit.vm.helpers import block, founded, key
from vm import codes, governance, ledger, tables
from vm.executor import begin_block, execute_block, execute_transaction
from vm.ops.asset import AssetAuthorize, AssetClawback, AssetCreate, AssetFreeze, AssetIssue, Burn
from vm.ops.governance import GovPropose, TierDefine
from vm.ops.transfer import Transfer, TransferBatch
from vm.receipt import Receipt
from vm.state import StateView
from vm.tx import SignedTransaction, Transaction

CHAIR = key(40)
ISSUER_A, ISSUER_B, CUST = key(41), key(42), key(43)
HOLDERS = (key(44), key(45), key(46))
SENDERS = (ISSUER_A, ISSUER_B, CUST, *HOLDERS)  # keys that send transactions
ACCOUNTS = (
    *(k.address() for k in SENDERS),
    CUST.address() + b"user-1",
    CUST.address() + b"user-2",
)
SYMBOLS = ("PA", "PB", "PC")
TIERS = ("default", "gold")
KNOWN_CODES = {v for k, v in vars(codes).items() if k.isupper() and isinstance(v, str)}


def initial_state() -> StateView:
    state = founded((CHAIR, ()))
    governance.set_roles(state, ISSUER_A.address(), governance.ROLES["issuer"])
    governance.set_roles(state, ISSUER_B.address(), governance.ROLES["issuer"])
    governance.set_roles(state, CUST.address(), governance.ROLES["custodian"])
    ledger.set_tier(state, HOLDERS[1].address(), "gold")
    ledger.set_tier(state, CUST.address() + b"user-2", "gold")
    state.release()
    return state


# --- actions -------------------------------------------------------------------------

# indexes, weighted towards the holders (who hold what there is to move)
sender = st.sampled_from((3, 4, 5, 3, 4, 5, 0, 1, 2))
account = st.sampled_from((3, 4, 5, 6, 7, 3, 4, 5, 0, 1, 2))
offset = st.sampled_from((1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 0))  # 0: to oneself (refused)
symbol = st.integers(0, len(SYMBOLS) - 1)
# an amount to spend is a share of what the account holds when its block starts (in
# percent; above 100 is refused), so that a good part of the moves can succeed
share = st.sampled_from((50, 10, 100, 30, 1, 75, 150)).map(lambda p: ("%", p))
# the type's own issuer four times in five, else the other issuer (refused: not_issuer)
issuer = st.sampled_from((True, True, True, True, False))


def rule(bit: int, chance: int) -> st.SearchStrategy[int]:
    """`bit` set `chance` times in four (the likelier value first: failing examples
    shrink towards it)."""
    values = (bit,) * chance + (0,) * (4 - chance)
    return st.sampled_from(values if chance >= 2 else values[::-1])


# transferable mostly and require_auth seldom, so that holders have something to do
rules = st.tuples(
    rule(ledger.REQUIRE_AUTH, 1),
    rule(ledger.TRANSFERABLE, 3),
    rule(ledger.TRADEABLE, 2),
    rule(ledger.FREEZABLE, 2),
    rule(ledger.CLAWBACK, 2),
).map(sum)
expiry_blocks = st.sampled_from((0, 1, 2, 4, 6, 9))
spend_order = st.integers(0, 1)
cap = st.integers(100, 2_000)
# later creates: mostly refused (the symbol exists, or the key lacks the issuer role)
create = st.tuples(
    st.just("create"), st.sampled_from((0, 1, 3)), symbol, rules, expiry_blocks, spend_order, cap
)
# block 1 creates every symbol: PA and PC by ISSUER_A, PB by ISSUER_B
OWNER = (0, 1, 0)  # SENDERS index of each symbol's issuer
first_creates = st.tuples(
    *(
        st.tuples(
            st.just("create"), st.just(who), st.just(sym), rules, expiry_blocks, spend_order, cap
        )
        for sym, who in enumerate(OWNER)
    )
).map(list)
# references resolved against the state a block starts with (Builder): ("holder", k)
# is the k-th (cyclically) account holding the symbol, ("+", k) the account k places
# after the spender; the fixed scenario below uses plain indexes and amounts instead
holder = sender.map(lambda k: ("holder", k))
held_account = account.map(lambda k: ("holder", k))
# issues go to holders half the time, so that holders gather lots of several expiries
issue = st.tuples(
    st.just("issue"), issuer, symbol, st.one_of(account, held_account), st.integers(1, 150)
)
recipient = offset.map(lambda k: ("+", k))
transfer = st.tuples(st.just("transfer"), holder, symbol, recipient, share)
batch = st.tuples(
    st.just("batch"), holder, symbol, st.lists(st.tuples(recipient, share), min_size=1, max_size=4)
)
burn = st.tuples(st.just("burn"), holder, symbol, share)
freeze = st.tuples(
    st.just("freeze"), issuer, symbol, st.sampled_from((-1, 3, 4, 5, 6)), st.booleans()
)
clawback = st.tuples(st.just("clawback"), issuer, symbol, held_account, share)
authorize = st.tuples(st.just("authorize"), issuer, symbol, account, st.booleans())
limit = st.sampled_from((0, 0, 30, 100, 400))
gov_tier = st.tuples(st.just("gov_tier"), symbol, st.sampled_from(TIERS), limit, limit, limit)
gov_freeze = st.tuples(
    st.just("gov_freeze"), symbol, st.sampled_from((-1, 3, 4, 5, 6)), st.booleans()
)
gov_clawback = st.tuples(st.just("gov_clawback"), symbol, held_account, share)

KINDS = {
    "issue": issue,
    "transfer": transfer,
    "batch": batch,
    "burn": burn,
    "freeze": freeze,
    "clawback": clawback,
    "authorize": authorize,
    "gov_tier": gov_tier,
    "gov_freeze": gov_freeze,
    "gov_clawback": gov_clawback,
    "create": create,
}
WEIGHTS = {"issue": 5, "transfer": 5, "batch": 2, "burn": 2, "authorize": 2}
# sampled_from keeps repeated entries (one_of would not weight repeated strategies)
action = st.sampled_from([k for k in KINDS for _ in range(WEIGHTS.get(k, 1))]).flatmap(
    KINDS.__getitem__
)
# a block: empty heights before it (so lots expire), a few issues to current holders
# (so holders gather lots of several expiries), then random actions
funding = st.tuples(st.just("issue"), st.just(True), symbol, held_account, st.integers(1, 100))
block_plan = st.tuples(
    st.integers(0, 2), st.lists(funding, max_size=3), st.lists(action, max_size=12)
).map(lambda t: (t[0], t[1] + t[2]))
# block 1: the creates, then issues by the right issuers to fund the holders
first_issues = st.lists(
    st.tuples(st.just("issue"), st.just(True), symbol, account, st.integers(1, 200)),
    min_size=2,
    max_size=8,
)
first_block = st.tuples(first_creates, first_issues).map(lambda t: t[0] + t[1])
scenario = st.tuples(first_block, st.lists(block_plan, min_size=1, max_size=8))


def issuer_of(sym: int, right: bool) -> Any:
    """The key of the symbol's issuer, or (not `right`) of the other issuer."""
    return SENDERS[OWNER[sym] if right else 1 - OWNER[sym]]


@dataclass
class Builder:
    """Turns a block's actions into transactions, given the state at the start of the
    block: the right nonces (every transaction that passes the envelope checks consumes
    its nonce, failed or not) and amounts given as shares of a balance."""

    nonces: dict[bytes, int]
    state: StateView
    h: int = 1

    def holding(self, acct: int, sym: int) -> int:
        return ledger.get_balance(self.state, ACCOUNTS[acct], SYMBOLS[sym], self.h)

    def spender(self, who: Any, sym: int, among: int = len(SENDERS)) -> int:
        """An index, or for ("holder", k) the k-th (cyclically) of the first `among`
        accounts holding `sym` (k itself if none does)."""
        if isinstance(who, int):
            return who
        holders = [i for i in range(among) if self.holding(i, sym) > 0]
        return holders[who[1] % len(holders)] if holders else who[1]

    @staticmethod
    def recipient(to: Any, who: int) -> bytes:
        return ACCOUNTS[to if isinstance(to, int) else (who + to[1]) % len(ACCOUNTS)]

    def amount(self, n: Any, acct: int, sym: int, parts: int = 1) -> int:
        if isinstance(n, int):
            return n
        return max(1, self.holding(acct, sym) * n[1] // (100 * parts))

    def tx(self, k: Any, op: Any) -> SignedTransaction:
        addr = k.address()
        nonce = self.nonces.get(addr, 0)
        self.nonces[addr] = nonce + 1
        tx = Transaction(block(1).chain_id, k.public.raw, nonce, 1_000_000, 10**9, "", (op,))
        return SignedTransaction.build(tx, bytes(64))  # the executor does not verify

    def governed(self, op: Any) -> SignedTransaction:
        return self.tx(CHAIR, GovPropose(op, "p", self.h + 10))

    def build(self, a: tuple[Any, ...]) -> SignedTransaction:
        kind = a[0]
        if kind == "create":
            _, who, sym, rules, expiry, order, cap = a
            op = AssetCreate(SYMBOLS[sym], "P", 0, cap, rules, expiry, order)
            return self.tx(SENDERS[who], op)
        if kind == "issue":
            _, right, sym, to, n = a
            to = self.spender(to, sym, len(ACCOUNTS))
            return self.tx(issuer_of(sym, right), AssetIssue(SYMBOLS[sym], ACCOUNTS[to], n))
        if kind == "transfer":
            _, who, sym, to, n = a
            who = self.spender(who, sym)
            op = Transfer(SYMBOLS[sym], self.recipient(to, who), self.amount(n, who, sym))
            return self.tx(SENDERS[who], op)
        if kind == "batch":
            _, who, sym, items = a
            who = self.spender(who, sym)
            pay = tuple(
                (self.recipient(to, who), self.amount(n, who, sym, len(items))) for to, n in items
            )
            return self.tx(SENDERS[who], TransferBatch(SYMBOLS[sym], pay))
        if kind == "burn":
            _, who, sym, n = a
            who = self.spender(who, sym)
            return self.tx(SENDERS[who], Burn(SYMBOLS[sym], self.amount(n, who, sym)))
        if kind == "freeze":
            _, right, sym, acct, on = a
            target = b"" if acct < 0 else ACCOUNTS[acct]
            return self.tx(issuer_of(sym, right), AssetFreeze(SYMBOLS[sym], target, on, "r"))
        if kind == "clawback":
            _, right, sym, acct, n = a
            acct = self.spender(acct, sym, len(ACCOUNTS))
            op = AssetClawback(SYMBOLS[sym], ACCOUNTS[acct], self.amount(n, acct, sym), "r")
            return self.tx(issuer_of(sym, right), op)
        if kind == "authorize":
            _, right, sym, acct, on = a
            op = AssetAuthorize(SYMBOLS[sym], ACCOUNTS[acct], on)
            return self.tx(issuer_of(sym, right), op)
        if kind == "gov_tier":
            _, sym, tier, max_balance, per_tx, daily = a
            return self.governed(TierDefine(tier, SYMBOLS[sym], max_balance, per_tx, daily))
        if kind == "gov_freeze":
            _, sym, acct, on = a
            target = b"" if acct < 0 else ACCOUNTS[acct]
            return self.governed(AssetFreeze(SYMBOLS[sym], target, on, "gov"))
        assert kind == "gov_clawback"
        _, sym, acct, n = a
        acct = self.spender(acct, sym, len(ACCOUNTS))
        op = AssetClawback(SYMBOLS[sym], ACCOUNTS[acct], self.amount(n, acct, sym), "gov")
        return self.governed(op)


Blocks = list[tuple[int, list[SignedTransaction]]]


def heights(plan: tuple[list[Any], list[Any]]) -> list[tuple[int, list[Any]]]:
    """The scenario as (height, actions) for every height, empty ones included."""
    creates, rest = plan
    out = [(1, creates)]
    h = 1
    for gap, actions in rest:
        for _ in range(gap):
            h += 1
            out.append((h, []))
        h += 1
        out.append((h, actions))
    return out


# --- invariants ----------------------------------------------------------------------


def holdings(state: StateView) -> dict[str, dict[bytes, Any]]:
    """{symbol: {account: stored holding}} from every balance key in the state."""
    out: dict[str, dict[bytes, Any]] = {}
    for k, raw in state.changes():
        if k[:1] != tables.BALANCE or raw is None:
            continue
        n = k[1]
        acct, sym = k[2 : 2 + n], k[2 + n :].decode()
        assert acct in ACCOUNTS, acct  # points reach only the accounts the test uses
        out.setdefault(sym, {})[acct] = codec.decode(raw)
    return out


def check_invariants(state: StateView, h: int) -> None:
    held = holdings(state)
    for sym in SYMBOLS:
        asset = ledger.get_asset(state, sym)
        if asset is None:
            assert sym not in held
            continue
        for counter in (asset.issued, asset.redeemed, asset.expired, asset.clawed_back):
            assert counter >= 0
        outstanding = asset.issued - asset.redeemed - asset.expired - asset.clawed_back
        assert outstanding == asset.outstanding
        assert 0 <= outstanding <= asset.cap
        spendable = sum(ledger.get_balance(state, acct, sym, h) for acct in ACCOUNTS)
        assert spendable == outstanding, (sym, h, spendable, asset)
        by_expiry: dict[int, int] = {}
        for value in held.get(sym, {}).values():
            if asset.expiry_blocks == 0:
                assert type(value) is int and value > 0
                continue
            expiries = [e for e, _ in value]
            assert value and expiries == sorted(set(expiries))
            for e, n in value:
                assert n > 0 and e > 0
                by_expiry[e] = by_expiry.get(e, 0) + n
        if asset.expiry_blocks:
            assert buckets(state, sym, h) == {e: n for e, n in by_expiry.items() if e > h}
    for k, raw in state.changes():  # booked buckets and due lists are gone
        if raw is not None and k[:1] == tables.EXPIRY_DUE:
            assert int.from_bytes(k[1:], "big") > h


def buckets(state: StateView, sym: str, h: int) -> dict[int, int]:
    prefix = tables.EXPIRY_BUCKET + sym.encode() + tables.SEP
    out = {}
    for k, raw in state.changes():
        if k.startswith(prefix) and raw is not None:
            height, n = int.from_bytes(k[len(prefix) :], "big"), codec.decode(raw)
            assert height > h and type(n) is int and n > 0
            out[height] = n
    return out


# --- runs ----------------------------------------------------------------------------


def run_plan(
    plan: tuple[list[Any], list[Any]],
) -> tuple[Blocks, list[tuple[bytes, bytes | None]], list[Receipt]]:
    """Build each block from the state its height starts with, execute it with
    execute_block, check the invariants; returns the blocks built, the final state's
    changes and the receipts."""
    state = initial_state()
    builder = Builder({}, state)
    blocks: Blocks = []
    receipts: list[Receipt] = []
    for h, actions in heights(plan):
        builder.h = h
        txs = [builder.build(a) for a in actions]
        blocks.append((h, txs))
        receipts += execute_block(state, txs, block(h))
        check_invariants(state, h)
    return blocks, state.changes(), receipts


def replay(blocks: Blocks) -> tuple[list[tuple[bytes, bytes | None]], list[Receipt]]:
    state = initial_state()
    receipts: list[Receipt] = []
    for h, txs in blocks:
        receipts += execute_block(state, txs, block(h))
    return state.changes(), receipts


def replay_one_by_one(blocks: Blocks) -> tuple[list[tuple[bytes, bytes | None]], list[Receipt]]:
    """The same blocks, transaction by transaction, checking that a failed one changes
    nothing but its sender's nonce."""
    state = initial_state()
    receipts: list[Receipt] = []
    for h, txs in blocks:
        begin_block(state, block(h))
        for stx in txs:
            before = dict(state.changes())
            r = execute_transaction(state, stx, block(h))
            receipts.append(r)
            assert r.code in KNOWN_CODES, r.code
            if r.ok:
                continue
            assert r.events == ()
            after = dict(state.changes())
            nonce_key = ledger.nonce_key(stx.tx.sender_address)
            assert after.pop(nonce_key) == codec.encode(stx.tx.nonce + 1)
            before.pop(nonce_key, None)
            assert after == before, r.code
    return state.changes(), receipts


@given(scenario)
@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
def test_ledger_invariants_hold_over_random_blocks(plan: tuple[list[Any], list[Any]]) -> None:
    blocks, changes, receipts = run_plan(plan)
    for again, receipts_again in (replay(blocks), replay_one_by_one(blocks)):
        assert again == changes  # byte for byte
        assert [r.encode() for r in receipts_again] == [r.encode() for r in receipts]


# --- a fixed scenario: every rule in play, with the codes it must give -----------------

H0, H1, H2, USER1, USER2 = 3, 4, 5, 6, 7  # indexes into ACCOUNTS (and SENDERS for H0-H2)
A, B = 0, 1  # SENDERS indexes of the issuers
RIGHT = True  # the type's own issuer
PA, PB, PC = 0, 1, 2
FIXED: tuple[list[Any], list[Any]] = (
    [
        # PA: transferable, freezable, clawback; lots live 3 blocks, spent oldest first
        ("create", A, PA, ledger.TRANSFERABLE | ledger.FREEZABLE | ledger.CLAWBACK, 3, 0, 500),
        # PB: require_auth, not transferable; 2 blocks, newest first
        ("create", B, PB, ledger.REQUIRE_AUTH, 2, 1, 300),
        # PC: transferable, never expires, cap 200
        ("create", A, PC, ledger.TRANSFERABLE, 0, 0, 200),
    ],
    [
        (
            0,
            [
                ("issue", RIGHT, PA, H0, 100),
                ("issue", RIGHT, PB, H1, 50),
                ("authorize", RIGHT, PB, H1, True),
            ],
        ),
        (
            0,
            [
                ("issue", RIGHT, PB, H1, 50),
                ("transfer", H0, PA, USER1, 30),
                ("batch", H0, PA, [(USER2, 5), (H1, 5)]),
            ],
        ),
        (
            0,
            [
                ("gov_tier", PA, "default", 0, 10, 0),
                ("transfer", H0, PA, H1, 11),
                ("transfer", H1, PB, B, 1),
                ("transfer", H1, PB, H2, 1),
                ("clawback", RIGHT, PA, USER1, 5),
            ],
        ),
        (
            0,
            [
                ("freeze", RIGHT, PA, H0, True),
                ("transfer", H0, PA, H1, 1),
                ("clawback", RIGHT, PA, USER1, 5),
            ],
        ),
        (2, [("issue", RIGHT, PC, H2, 200), ("issue", RIGHT, PC, H2, 1), ("burn", H2, PC, 50)]),
        (0, [("gov_freeze", PC, -1, True), ("transfer", H2, PC, H1, 1)]),
        (
            3,
            [
                ("gov_clawback", PC, H2, 150),
                ("create", H0, PA, 0, 0, 0, 9),
                ("gov_freeze", PC, -1, False),
                ("transfer", H2, PC, H1, 1),
            ],
        ),
    ],
)
FIXED_CODES = [
    *["ok"] * 3,  # h1: three creates
    "ok",  # h2: PA to H0 (expires at 5)
    codes.HOLDER_NOT_AUTHORIZED,  # PB to H1 before it is authorised
    "ok",  # authorise H1
    "ok",  # h3: PB to H1 (expires at 5)
    "ok",  # H0 -> user-1 (a custody account of a custodian)
    "ok",  # H0 pays user-2 and H1
    "ok",  # h4: governance: at most 10 PA per transaction in the default tier
    codes.TIER_TX_LIMIT,  # 11 PA
    "ok",  # PB holder -> its issuer
    codes.NOT_TRANSFERABLE,  # PB holder -> holder
    "ok",  # the issuer claws back 5 PA from user-1
    "ok",  # h5: freeze H0 in PA
    codes.FROZEN,  # H0 sends
    codes.INSUFFICIENT_BALANCE,  # user-1's PA expired at 5: nothing left to claw back
    "ok",  # h8: PC to H2, the whole cap
    codes.CAP_EXCEEDED,
    "ok",  # H2 burns 50
    "ok",  # h9: governance freezes PC
    codes.FROZEN,  # H2 sends PC
    "ok",  # h13: governance claws back from a frozen type
    codes.NOT_AUTHORIZED,  # a create without the issuer role
    "ok",  # governance unfreezes PC
    codes.INSUFFICIENT_BALANCE,  # H2 has nothing left
]


def test_fixed_scenario_gives_its_codes_and_books() -> None:
    blocks, changes, receipts = run_plan(FIXED)
    assert [r.code for r in receipts] == FIXED_CODES
    assert replay_one_by_one(blocks)[0] == changes
    state = initial_state()
    for h, txs in blocks:
        execute_block(state, txs, block(h))
    counters = {}
    for sym in SYMBOLS:
        a = ledger.get_asset(state, sym)
        assert a is not None
        counters[sym] = (a.issued, a.redeemed, a.expired, a.clawed_back, a.outstanding)
    assert counters == {
        "PA": (100, 0, 95, 5, 0),
        "PB": (50, 0, 50, 0, 0),
        "PC": (200, 50, 0, 150, 0),
    }
