"""Mining: an issuer pays a fixed amount of its points per epoch, shared equally among
the holders of its rights cards of one class ("mining machines"); each holder claims.

Theory of operation (the "reward per share" accumulator of staking contracts, e.g.
Synthetix StakingRewards / MasterChef, with whole epochs instead of seconds). Epoch e
covers heights [start + e*epoch_blocks, start + (e+1)*epoch_blocks) and pays only if it
ends at or before `end`, so a schedule has (end - start) // epoch_blocks epochs. A
schedule keeps

    acc   = sum over folded epochs of amount_per_epoch * SCALE // live cards
    done  = epochs folded into acc so far

and folds lazily: whenever the live count of its class is about to change (card.issue,
card.revoke) or a holder claims, the epochs completed since `done` are added with the
count that held since the last fold (no cards: those epochs pay nobody). So an epoch is
shared among the cards live when it ends, and no block does work that grows with the
number of cards or holders. Each card records, per schedule, the accumulator value it
has been paid up to (`paid`); a claim issues floor((acc - paid) / SCALE) new points to
the holder through ledger.issue (the cap and the issuer's quota apply) and adds exactly
that much times SCALE to `paid`, so rounding remainders stay with the card. A card with
no record for a schedule was live when the schedule was created (paid = 0) if it was
issued at or before the creation height; otherwise it was issued after the schedule
finished and was dropped from its class's list (nothing is owed).

Bounds: a class has at most MAX_SCHEDULES unfinished schedules (finished ones leave the
list when next settled); a schedule's total payout fits in 64 bits, so acc < 2**124 and
is stored as 16 bytes.

State (vm/tables.py): m + schedule id -> [symbol, issuer(20), card class,
amount_per_epoch, epoch_blocks, start, end, created, acc(16), done, claimed]; the
schedule ids of a class are listed in its card-class record (vm/ops/card.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import ClassVar

from primitives import codec
from primitives.keys import ADDRESS_SIZE
from vm import accounts, codes, ledger, tables
from vm.context import ExecContext
from vm.errors import ExecutionFailure
from vm.ops import card as cards
from vm.ops.fields import ADDRESS, AMOUNT, HEIGHT, SYMBOL, Int, OpBase, Str, arg
from vm.ops.registry import OpCode
from vm.state import StateReader, StateView

SCALE = 10**18
MAX_SCHEDULES = 16
SCHEDULE_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,32}$")


@dataclass(frozen=True, slots=True)
class Schedule:
    id: str
    symbol: str
    issuer: bytes
    card_class: str
    amount_per_epoch: int
    epoch_blocks: int
    start: int
    end: int
    created: int
    acc: int = 0
    done: int = 0
    claimed: int = 0

    @property
    def epochs(self) -> int:
        return (self.end - self.start) // self.epoch_blocks

    @property
    def finished(self) -> bool:
        return self.done == self.epochs

    def completed_at(self, height: int) -> int:
        """Epochs that have ended (and pay) at `height`."""
        if height < self.start:
            return 0
        return min((height - self.start) // self.epoch_blocks, self.epochs)

    def advanced(self, live: int, height: int) -> Schedule:
        """Fold the epochs completed by `height`, shared among `live` cards."""
        n = self.completed_at(height) - self.done
        if n <= 0:
            return self
        acc = self.acc + n * self.amount_per_epoch * SCALE // live if live else self.acc
        return replace(self, acc=acc, done=self.done + n)

    def to_wire(self) -> list[object]:
        return [
            self.symbol,
            self.issuer,
            self.card_class,
            self.amount_per_epoch,
            self.epoch_blocks,
            self.start,
            self.end,
            self.created,
            self.acc.to_bytes(cards.ACC_BYTES, "big"),
            self.done,
            self.claimed,
        ]

    @classmethod
    def from_wire(cls, sid: str, wire: object) -> Schedule:
        f = codec.expect_list(wire, 11, what="mining schedule")
        return cls(
            sid,
            codec.expect_str(f[0], max_len=12, what="symbol"),
            codec.expect_bytes(f[1], ADDRESS_SIZE, what="issuer"),
            codec.expect_str(f[2], max_len=32, what="card class"),
            codec.expect_int(f[3], what="amount per epoch"),
            codec.expect_int(f[4], 1, what="epoch blocks"),
            codec.expect_int(f[5], what="start"),
            codec.expect_int(f[6], what="end"),
            codec.expect_int(f[7], what="created"),
            int.from_bytes(codec.expect_bytes(f[8], cards.ACC_BYTES, what="acc"), "big"),
            codec.expect_int(f[9], what="done"),
            codec.expect_int(f[10], what="claimed"),
        )


def schedule_key(sid: str) -> bytes:
    return tables.MINING + sid.encode()


def get_schedule(state: StateReader, sid: str) -> Schedule | None:
    raw = state.get(schedule_key(sid))
    return None if raw is None else Schedule.from_wire(sid, codec.decode_trusted(raw))


def require_schedule(state: StateReader, sid: str) -> Schedule:
    s = get_schedule(state, sid)
    if s is None:
        raise ExecutionFailure(f"no mining schedule {sid!r}", codes.UNKNOWN_SCHEDULE)
    return s


def put_schedule(state: StateView, s: Schedule) -> None:
    state.put(schedule_key(s.id), codec.encode(s.to_wire()))


def settle_class(ctx: ExecContext, issuer: bytes, card_class: str) -> list[tuple[str, int]]:
    """Fold every schedule of a card class up to this block with its current live count
    (call before the count changes) and drop finished ones from the class's list.
    Returns (schedule id, acc) of the unfinished ones: a card issued now starts there."""
    state = ctx.state
    live, sids = cards.get_class(state, issuer, card_class)
    active: list[tuple[str, int]] = []
    for sid in sids:
        old = require_schedule(state, sid)
        s = old.advanced(live, ctx.block.height)
        if s != old:
            put_schedule(state, s)
        if not s.finished:
            active.append((sid, s.acc))
    if len(active) != len(sids):
        cards.put_class(state, issuer, card_class, live, [sid for sid, _ in active])
    return active


def paid_before(s: Schedule, card: cards.Card) -> int:
    """The accumulator value `card` has been paid up to for schedule `s`."""
    paid = card.paid_for(s.id)
    if paid is not None:
        return paid
    return 0 if card.issued <= s.created else s.acc


def pending(state: StateReader, s: Schedule, card: cards.Card, height: int) -> int:
    """Points `card` could claim from `s` at `height` (0 if it is not eligible)."""
    if card.issuer != s.issuer or card.card_class != s.card_class:
        return 0
    live, _ = cards.get_class(state, s.issuer, s.card_class)
    s = s.advanced(live, height)
    return (s.acc - paid_before(s, card)) // SCALE


@dataclass(frozen=True, slots=True)
class MiningCreate(OpBase):
    """Pay `amount_per_epoch` new points of the sender's point type every `epoch_blocks`
    blocks from `start` until `end`, shared among the sender's cards of `card_class`."""

    CODE: ClassVar[OpCode] = OpCode.MINING_CREATE
    schedule_id: str = arg(Str(32, 1), "the schedule's id (A-Z a-z 0-9 . _ -)")
    symbol: str = arg(SYMBOL)
    card_class: str = arg(Str(32, 1), "class of the sender's cards that share the points")
    amount_per_epoch: int = arg(AMOUNT, "points paid per epoch, in base units")
    epoch_blocks: int = arg(Int(1), "blocks per epoch")
    start: int = arg(HEIGHT, "height where epoch 0 begins (not before this block)")
    end: int = arg(HEIGHT, "epochs ending after this height do not pay")

    def execute(self, ctx: ExecContext) -> None:
        cards.check_name(self.schedule_id, SCHEDULE_ID_RE, "schedule id")
        cards.check_name(self.card_class, cards.CLASS_RE, "class")
        asset = ledger.require_asset(ctx.state, self.symbol)
        ledger.require_issuer(ctx, asset)
        if get_schedule(ctx.state, self.schedule_id) is not None:
            raise ExecutionFailure(
                f"mining schedule {self.schedule_id!r} exists", codes.SCHEDULE_EXISTS
            )
        s = Schedule(
            self.schedule_id,
            self.symbol,
            ctx.sender,
            self.card_class,
            self.amount_per_epoch,
            self.epoch_blocks,
            self.start,
            self.end,
            ctx.block.height,
        )
        self._check(s, ctx.block.height)
        active = settle_class(ctx, ctx.sender, self.card_class)
        if len(active) >= MAX_SCHEDULES:
            raise ExecutionFailure(
                f"class {self.card_class!r} has {MAX_SCHEDULES} unfinished schedules",
                codes.TOO_MANY_SCHEDULES,
            )
        live, _ = cards.get_class(ctx.state, ctx.sender, self.card_class)
        cards.put_class(
            ctx.state, ctx.sender, self.card_class, live, [sid for sid, _ in active] + [s.id]
        )
        put_schedule(ctx.state, s)
        ctx.emit(
            "mining.created",
            s.id,
            s.symbol,
            s.card_class,
            s.amount_per_epoch,
            s.epoch_blocks,
            s.start,
            s.end,
        )

    @staticmethod
    def _check(s: Schedule, height: int) -> None:
        if s.amount_per_epoch <= 0:
            raise ExecutionFailure("amount per epoch must be positive", codes.INVALID_AMOUNT)
        if s.start < height:
            raise ExecutionFailure("a schedule cannot start before this block", codes.INVALID_PARAM)
        if s.end < s.start or s.epochs == 0:
            raise ExecutionFailure(
                "end must leave at least one whole epoch after start", codes.INVALID_PARAM
            )
        if s.epochs * s.amount_per_epoch > ledger.AMOUNT_MAX:
            raise ExecutionFailure(
                "the schedule's total payout must fit in 64 bits", codes.INVALID_AMOUNT
            )


@dataclass(frozen=True, slots=True)
class MiningClaim(OpBase):
    """Issue to a card's holder what the card has mined and not yet claimed (sender: the
    holder, or the custodian of a custody holder)."""

    CODE: ClassVar[OpCode] = OpCode.MINING_CLAIM
    schedule_id: str = arg(Str(32, 1))
    issuer: bytes = arg(ADDRESS, "the card's issuer")
    card_id: str = arg(Str(64, 1))

    def execute(self, ctx: ExecContext) -> None:
        state = ctx.state
        s = require_schedule(state, self.schedule_id)
        card = cards.require_card(state, self.issuer, self.card_id)
        if ctx.sender not in (card.holder, accounts.custodian_of(card.holder)):
            raise ExecutionFailure(
                "only the card's holder (or its custodian) may claim", codes.NOT_CARD_HOLDER
            )
        if card.issuer != s.issuer or card.card_class != s.card_class:
            raise ExecutionFailure(
                f"schedule {s.id!r} pays the {s.card_class!r} cards of its issuer",
                codes.CARD_NOT_ELIGIBLE,
            )
        live, _ = cards.get_class(state, s.issuer, s.card_class)
        s = s.advanced(live, ctx.block.height)
        paid = paid_before(s, card)
        amount = (s.acc - paid) // SCALE
        if amount == 0:
            raise ExecutionFailure("this card has nothing to claim yet", codes.NOTHING_TO_CLAIM)
        ledger.issue(ctx, s.symbol, card.holder, amount)
        put_schedule(state, replace(s, claimed=s.claimed + amount))
        cards.put_card(state, card.with_paid(s.id, paid + amount * SCALE))
        ctx.emit("mining.claimed", s.id, self.issuer, self.card_id, card.holder, amount)


OPS = (MiningCreate, MiningClaim)
