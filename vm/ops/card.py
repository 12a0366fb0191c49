"""Rights cards: non-fungible cards an issuer gives to holders (a membership level, an
entitlement, a "mining machine"), each with a class name and string attributes,
transferable or bound to its holder, revocable by its issuer.

Theory of operation. A card is named by its issuer and an id the issuer chooses; the
issuer is the sender of card.issue (a holder of the issuer role), so no one can issue or
revoke a card in another issuer's name. A card's holder is any account (a custody
sub-account too), but only a raw holder signs card.transfer, and only for a card issued
as transferable. A live count per (issuer, class) is kept so mining schedules
(vm/ops/mining.py) can share an epoch's points among the cards of a class; every issue
and revoke first brings those schedules up to date (at most MAX_SCHEDULES of them), so
no work ever grows with the number of cards.

State (vm/tables.py):

    c + issuer(20) + card id -> [class, holder, transferable, [[key, value], ...],
                                 issued height, [[schedule id, paid(16)], ...]]
    k + issuer(20) + class   -> [live cards, [schedule ids]]

`paid` is the mining accumulator value (vm/ops/mining.py) the card has been paid up to
for a schedule, as 16 big-endian bytes. A revoked card's record is deleted (its
unclaimed mining is forfeited); its id may be issued again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import ClassVar

from primitives import codec
from primitives.keys import ADDRESS_SIZE
from vm import accounts, codes, governance, tables
from vm.context import ExecContext
from vm.errors import ExecutionFailure
from vm.ops.fields import ACCOUNT, ADDRESS, BOOL, OpBase, Pairs, Str, arg
from vm.ops.registry import OpCode
from vm.state import StateReader, StateView

CARD_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
CLASS_RE = re.compile(r"^[A-Za-z0-9._-]{1,32}$")
ACC_BYTES = 16  # accumulator values are below 2**124 (see vm/ops/mining.py)
ATTRIBUTES = Pairs(max_len=32, key_len=32, value_len=128)


def check_name(text: str, pattern: re.Pattern[str], what: str) -> str:
    if not pattern.match(text):
        raise ExecutionFailure(
            f"{what} {text!r} must be made of the characters A-Z a-z 0-9 . _ -",
            codes.BAD_REQUEST,
        )
    return text


# --- records --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Card:
    issuer: bytes
    card_id: str
    card_class: str
    holder: bytes
    transferable: bool
    attributes: tuple[tuple[str, str], ...]
    issued: int
    paid: tuple[tuple[str, int], ...] = ()  # (schedule id, accumulator paid up to), sorted

    def to_wire(self) -> list[object]:
        return [
            self.card_class,
            self.holder,
            self.transferable,
            [list(p) for p in self.attributes],
            self.issued,
            [[sid, acc.to_bytes(ACC_BYTES, "big")] for sid, acc in self.paid],
        ]

    @classmethod
    def from_wire(cls, issuer: bytes, card_id: str, wire: object) -> Card:
        f = codec.expect_list(wire, 6, what="card")
        paid = []
        for row in codec.expect_seq(f[5], what="card paid"):
            sid, acc = codec.expect_list(row, 2, what="card paid row")
            paid.append(
                (
                    codec.expect_str(sid, max_len=32, what="schedule id"),
                    int.from_bytes(codec.expect_bytes(acc, ACC_BYTES, what="paid"), "big"),
                )
            )
        return cls(
            issuer,
            card_id,
            codec.expect_str(f[0], max_len=32, what="class"),
            codec.expect_bytes(f[1], max_len=accounts.MAX_ACCOUNT, what="holder"),
            codec.expect_bool(f[2], what="transferable"),
            ATTRIBUTES.decode(f[3], "attributes"),
            codec.expect_int(f[4], what="issued"),
            tuple(paid),
        )

    def paid_for(self, schedule_id: str) -> int | None:
        for sid, acc in self.paid:
            if sid == schedule_id:
                return acc
        return None

    def with_paid(self, schedule_id: str, acc: int) -> Card:
        rows = dict(self.paid)
        rows[schedule_id] = acc
        return replace(self, paid=tuple(sorted(rows.items())))


def card_key(issuer: bytes, card_id: str) -> bytes:
    return tables.CARD + issuer + card_id.encode()


def get_card(state: StateReader, issuer: bytes, card_id: str) -> Card | None:
    raw = state.get(card_key(issuer, card_id))
    if raw is None:
        return None
    return Card.from_wire(issuer, card_id, codec.decode_trusted(raw))


def require_card(state: StateReader, issuer: bytes, card_id: str) -> Card:
    card = get_card(state, issuer, card_id)
    if card is None:
        raise ExecutionFailure(f"no card {card_id!r} of this issuer", codes.UNKNOWN_CARD)
    return card


def put_card(state: StateView, card: Card) -> None:
    state.put(card_key(card.issuer, card.card_id), codec.encode(card.to_wire()))


def card_from_item(key: bytes, raw: bytes) -> Card:
    """A card from a raw (key, value) pair of the CARD table (API scans)."""
    issuer = key[1 : 1 + ADDRESS_SIZE]
    return Card.from_wire(issuer, key[1 + ADDRESS_SIZE :].decode(), codec.decode(raw))


def class_key(issuer: bytes, card_class: str) -> bytes:
    return tables.CARD_CLASS + issuer + card_class.encode()


def get_class(state: StateReader, issuer: bytes, card_class: str) -> tuple[int, list[str]]:
    """(live cards, mining schedule ids) of a card class."""
    raw = state.get(class_key(issuer, card_class))
    if raw is None:
        return 0, []
    live, schedules = codec.decode_trusted(raw)
    return int(live), [str(s) for s in schedules]


def put_class(
    state: StateView, issuer: bytes, card_class: str, live: int, schedules: list[str]
) -> None:
    empty = live == 0 and not schedules
    state.put(
        class_key(issuer, card_class), None if empty else codec.encode([live, sorted(schedules)])
    )


# --- operations -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CardIssue(OpBase):
    """Issue a rights card (sender: a holder of the issuer role, who becomes its issuer)."""

    CODE: ClassVar[OpCode] = OpCode.CARD_ISSUE
    card_id: str = arg(Str(64, 1), "the card's id, unique per issuer (A-Z a-z 0-9 . _ -)")
    card_class: str = arg(Str(32, 1), "class of the card, e.g. gold-member or miner")
    holder: bytes = arg(ACCOUNT, "who holds the card")
    transferable: bool = arg(BOOL, "false binds the card to its holder", False)
    attributes: tuple[tuple[str, str], ...] = arg(ATTRIBUTES, "key=value attributes", ())

    def execute(self, ctx: ExecContext) -> None:
        from vm.ops import mining

        governance.require_role(ctx, "issuer")
        check_name(self.card_id, CARD_ID_RE, "card id")
        check_name(self.card_class, CLASS_RE, "class")
        state = ctx.state
        if get_card(state, ctx.sender, self.card_id) is not None:
            raise ExecutionFailure(f"card {self.card_id!r} exists", codes.CARD_EXISTS)
        live, _ = get_class(state, ctx.sender, self.card_class)
        # every schedule of the class is settled with the old count before it changes
        accs = mining.settle_class(ctx, ctx.sender, self.card_class)
        _, schedules = get_class(state, ctx.sender, self.card_class)
        put_class(state, ctx.sender, self.card_class, live + 1, schedules)
        card = Card(
            ctx.sender,
            self.card_id,
            self.card_class,
            self.holder,
            self.transferable,
            self.attributes,
            ctx.block.height,
            tuple(sorted(accs)),
        )
        put_card(state, card)
        ctx.emit(
            "card.issued", ctx.sender, self.card_id, self.card_class, self.holder, self.transferable
        )


@dataclass(frozen=True, slots=True)
class CardTransfer(OpBase):
    """Give a transferable card to another account (sender: its raw holder). Unclaimed
    mining travels with the card."""

    CODE: ClassVar[OpCode] = OpCode.CARD_TRANSFER
    issuer: bytes = arg(ADDRESS, "the card's issuer")
    card_id: str = arg(Str(64, 1))
    to: bytes = arg(ACCOUNT, "new holder")

    def execute(self, ctx: ExecContext) -> None:
        card = require_card(ctx.state, self.issuer, self.card_id)
        if card.holder != ctx.sender:
            raise ExecutionFailure("only the card's holder may transfer it", codes.NOT_CARD_HOLDER)
        if not card.transferable:
            raise ExecutionFailure("this card is bound to its holder", codes.CARD_BOUND)
        if self.to == card.holder:
            raise ExecutionFailure("the card already belongs to this account", codes.SELF_TRANSFER)
        put_card(ctx.state, replace(card, holder=self.to))
        ctx.emit("card.transferred", self.issuer, self.card_id, card.holder, self.to)


@dataclass(frozen=True, slots=True)
class CardRevoke(OpBase):
    """Revoke a card the sender issued; its unclaimed mining is forfeited."""

    CODE: ClassVar[OpCode] = OpCode.CARD_REVOKE
    card_id: str = arg(Str(64, 1))

    def execute(self, ctx: ExecContext) -> None:
        from vm.ops import mining

        state = ctx.state
        card = require_card(state, ctx.sender, self.card_id)
        live, _ = get_class(state, ctx.sender, card.card_class)
        mining.settle_class(ctx, ctx.sender, card.card_class)
        _, schedules = get_class(state, ctx.sender, card.card_class)
        put_class(state, ctx.sender, card.card_class, live - 1, schedules)
        state.delete(card_key(ctx.sender, self.card_id))
        ctx.emit("card.revoked", ctx.sender, self.card_id, card.card_class, card.holder)


OPS = (CardIssue, CardTransfer, CardRevoke)
