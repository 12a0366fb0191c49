"""Merchant payments (orders, invoices, refunds) and the settlement operations between
alliance members. See docs/commerce-payments.md.

A payment moves the payer's points to the merchant through a transit module account so
that the exact lots taken ([[expiry, amount], ...]) are known and kept in the payment
record; a refund gives those lots back (the latest-expiring first) with their original
expiry. Payments at a merchant that is not the point type's issuer book a receivable of
the merchant against the issuer (vm/settlement.py); refunds reverse it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

from primitives import codec
from primitives.errors import DecodeError
from vm import accounts, codes, governance, ledger, settlement, tables
from vm.context import ExecContext
from vm.errors import ExecutionFailure
from vm.ops.fields import (
    ACCOUNT_OR_NONE,
    ADDRESS,
    AMOUNT,
    BOOL,
    HEIGHT,
    SYMBOL,
    Bytes,
    Int,
    OpBase,
    Resolver,
    Str,
    arg,
)
from vm.ops.registry import OpCode
from vm.state import StateReader, StateView

TRANSIT = accounts.module_account("pay.transit")  # empty between operations

OPEN, PAID, CANCELLED = 0, 1, 2
INVOICE_STATUS = {OPEN: "open", PAID: "paid", CANCELLED: "cancelled"}


class OrderId(Bytes):
    """An order or invoice id: text (UTF-8) or `0x` + hex; shown as text when printable."""

    name = "order-id"

    def __init__(self) -> None:
        super().__init__(None, 64)

    def decode(self, wire: object, what: str) -> bytes:
        value = super().decode(wire, what)
        if not value:
            raise DecodeError(f"{what}: an id may not be empty")
        return value

    def to_json(self, value: bytes) -> str:
        return show_id(value)

    def from_text(self, text: str, resolve: Resolver) -> bytes:
        if text.startswith("0x"):
            return super().from_text(text[2:], resolve)
        return self.decode(text.encode(), "value")


def show_id(value: bytes) -> str:
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        text = ""
    if text and text.isprintable() and not text.startswith("0x"):
        return text
    return "0x" + value.hex()


def parse_id(text: str) -> bytes:
    """An id as written in a path or on the command line (see OrderId)."""
    if text.startswith("0x"):
        return bytes.fromhex(text[2:])
    return text.encode()


ORDER_ID = OrderId()


# --- records ----------------------------------------------------------------------------


def payment_key(merchant: bytes, order_id: bytes) -> bytes:
    return tables.PAYMENT + merchant + b"\0" + order_id


def invoice_key(merchant: bytes, invoice_id: bytes) -> bytes:
    return tables.INVOICE + merchant + b"\0" + invoice_id


@dataclass(frozen=True, slots=True)
class Payment:
    payer: bytes
    symbol: str
    amount: int
    refunded: int
    lots: list[list[int]]  # lots not refunded yet, sorted by expiry
    height: int
    invoice: bool  # paid through an invoice of the same id

    def to_wire(self) -> list[Any]:
        return [
            self.payer,
            self.symbol,
            self.amount,
            self.refunded,
            self.lots,
            self.height,
            self.invoice,
        ]

    @classmethod
    def from_wire(cls, w: Any) -> Payment:
        return cls(bytes(w[0]), str(w[1]), int(w[2]), int(w[3]), list(w[4]), int(w[5]), bool(w[6]))


@dataclass(frozen=True, slots=True)
class Invoice:
    payer: bytes  # b"": anyone may pay
    symbol: str
    amount: int
    expiry: int  # last height at which it may be paid
    status: int
    paid_by: bytes
    height: int

    def to_wire(self) -> list[Any]:
        return [
            self.payer,
            self.symbol,
            self.amount,
            self.expiry,
            self.status,
            self.paid_by,
            self.height,
        ]

    @classmethod
    def from_wire(cls, w: Any) -> Invoice:
        return cls(bytes(w[0]), str(w[1]), int(w[2]), int(w[3]), int(w[4]), bytes(w[5]), int(w[6]))


def get_payment(state: StateReader, merchant: bytes, order_id: bytes) -> Payment | None:
    raw = state.get(payment_key(merchant, order_id))
    return None if raw is None else Payment.from_wire(codec.decode_trusted(raw))


def put_payment(state: StateView, merchant: bytes, order_id: bytes, p: Payment) -> None:
    state.put(payment_key(merchant, order_id), codec.encode(p.to_wire()))


def get_invoice(state: StateReader, merchant: bytes, invoice_id: bytes) -> Invoice | None:
    raw = state.get(invoice_key(merchant, invoice_id))
    return None if raw is None else Invoice.from_wire(codec.decode_trusted(raw))


def put_invoice(state: StateView, merchant: bytes, invoice_id: bytes, inv: Invoice) -> None:
    state.put(invoice_key(merchant, invoice_id), codec.encode(inv.to_wire()))


# --- moving points ----------------------------------------------------------------------


def _pay(
    ctx: ExecContext,
    merchant: bytes,
    order_id: bytes,
    amount: int,
    symbol: str,
    *,
    invoice: bool,
) -> None:
    state = ctx.state
    if not governance.has_role(state, merchant, "merchant"):
        raise ExecutionFailure("the payee does not hold the merchant role", codes.NOT_MERCHANT)
    if get_payment(state, merchant, order_id) is not None:
        raise ExecutionFailure(
            f"order {show_id(order_id)} of this merchant is already paid", codes.ORDER_PAID
        )
    payer = ctx.sender
    if payer == merchant:
        raise ExecutionFailure("a merchant cannot pay itself", codes.SELF_TRANSFER)
    asset = ledger.require_asset(state, symbol)
    if not asset.flags & ledger.TRANSFERABLE and payer != asset.issuer and merchant != asset.issuer:
        raise ExecutionFailure(
            f"{symbol} moves only between its issuer and holders: pay its issuer",
            codes.NOT_TRANSFERABLE,
        )
    # payer -> transit with the payer's checks (freeze, tier limits), transit -> merchant
    # with the merchant's (freeze, authorisation, balance limit)
    ledger.move(ctx, symbol, payer, TRANSIT, amount, check_dst=False, event="")
    lots = ledger.lots_of(state, TRANSIT, symbol, ctx.block.height)
    ledger.move(ctx, symbol, TRANSIT, merchant, amount, check_src=False, event="")
    put_payment(
        state,
        merchant,
        order_id,
        Payment(payer, symbol, amount, 0, lots, ctx.block.height, invoice),
    )
    settlement.record(ctx, symbol, merchant, amount)
    ctx.emit("pay.paid", merchant, show_id(order_id), payer, symbol, amount)


def split_refund(lots: list[list[int]], amount: int) -> tuple[list[list[int]], list[list[int]]]:
    """(returned, kept): `amount` taken from the latest-expiring lots first."""
    kept = [list(lot) for lot in lots]
    returned: list[list[int]] = []
    need = amount
    while need:
        expiry, have = kept[-1]
        take = min(have, need)
        returned.insert(0, [expiry, take])
        need -= take
        if take == have:
            kept.pop()
        else:
            kept[-1][1] = have - take
    return returned, kept


def _refund(ctx: ExecContext, merchant: bytes, order_id: bytes, amount: int) -> tuple[int, int]:
    """Give `amount` of a payment back; returns (points returned live, points already
    expired at their original expiry, counted as expired)."""
    state = ctx.state
    p = get_payment(state, merchant, order_id)
    if p is None:
        raise ExecutionFailure(
            f"no payment of order {show_id(order_id)} to this merchant", codes.UNKNOWN_PAYMENT
        )
    if p.refunded + amount > p.amount:
        raise ExecutionFailure(
            f"refunds would total {p.refunded + amount}, more than the {p.amount} paid",
            codes.REFUND_EXCEEDED,
        )
    if reason := ledger.frozen_reason(state, p.symbol, p.payer):
        raise ExecutionFailure(f"{p.symbol} of the payer is frozen ({reason})", codes.FROZEN)
    height = ctx.block.height
    # merchant -> transit with the merchant's checks; the merchant gives up whatever its
    # spend order takes, the payer gets back the recorded lots
    asset = ledger.move(ctx, p.symbol, merchant, TRANSIT, amount, check_dst=False, event="")
    taken = ledger.take_lots(ctx, asset, TRANSIT, amount)
    returned, kept = split_refund(p.lots, amount)
    live = [lot for lot in returned if lot[0] == 0 or lot[0] > height]
    dead = sum(a for e, a in returned if e != 0 and e <= height)
    if asset.expiry_blocks:
        for expiry, a in taken:
            ledger.book_lot(state, p.symbol, expiry, -a)
        for expiry, a in live:
            ledger.book_lot(state, p.symbol, expiry, a)
    if live:
        ledger.put_lots(ctx, asset, p.payer, live)
    if dead:
        asset = ledger.require_asset(state, p.symbol)
        ledger.put_asset(state, replace(asset, expired=asset.expired + dead))
        ctx.emit("asset.expired", p.symbol, p.payer, dead)
    put_payment(state, merchant, order_id, replace(p, refunded=p.refunded + amount, lots=kept))
    settlement.reverse(ctx, p.symbol, merchant, amount)
    return amount - dead, dead


# --- payment operations -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PayOrder(OpBase):
    """Pay a merchant for an order: each order id can be paid once per merchant."""

    CODE: ClassVar[OpCode] = OpCode.PAY_ORDER
    merchant: bytes = arg(ADDRESS, "the merchant paid (holds the merchant role)")
    order_id: bytes = arg(ORDER_ID, "the merchant's order id (text, or 0x + hex)")
    amount: int = arg(AMOUNT, "points paid, in base units")
    symbol: str = arg(SYMBOL)

    def execute(self, ctx: ExecContext) -> None:
        _pay(ctx, self.merchant, self.order_id, self.amount, self.symbol, invoice=False)


@dataclass(frozen=True, slots=True)
class PayRefund(OpBase):
    """The merchant refunds part or all of a payment (refunds add up to at most the amount
    paid); the payer gets back the recorded lots, latest-expiring first."""

    CODE: ClassVar[OpCode] = OpCode.PAY_REFUND
    order_id: bytes = arg(ORDER_ID, "the order (or invoice) id paid to the sender")
    amount: int = arg(AMOUNT, "points to give back")

    def execute(self, ctx: ExecContext) -> None:
        ledger.check_amount(self.amount)
        live, dead = _refund(ctx, ctx.sender, self.order_id, self.amount)
        p = get_payment(ctx.state, ctx.sender, self.order_id)
        assert p is not None
        ctx.emit(
            "pay.refunded",
            ctx.sender,
            show_id(self.order_id),
            p.payer,
            p.symbol,
            self.amount,
            live,
            dead,
        )


@dataclass(frozen=True, slots=True)
class PayInvoice(OpBase):
    """A merchant asks for a payment: the named payer (or anyone) may pay it once, up to
    and including the expiry height."""

    CODE: ClassVar[OpCode] = OpCode.PAY_INVOICE
    invoice_id: bytes = arg(ORDER_ID, "the invoice id, also the order id of its payment")
    payer: bytes = arg(ACCOUNT_OR_NONE, "who must pay it ('-' for anyone)")
    amount: int = arg(AMOUNT, "points asked, in base units")
    symbol: str = arg(SYMBOL)
    expiry: int = arg(HEIGHT, "last block height at which it may be paid")

    def execute(self, ctx: ExecContext) -> None:
        governance.require_role(ctx, "merchant")
        ledger.check_amount(self.amount)
        ledger.require_asset(ctx.state, self.symbol)
        if self.expiry < ctx.block.height:
            raise ExecutionFailure("the invoice would already be expired", codes.BAD_DEADLINE)
        state = ctx.state
        merchant = ctx.sender
        if get_invoice(state, merchant, self.invoice_id) is not None:
            raise ExecutionFailure(
                f"invoice {show_id(self.invoice_id)} already exists", codes.INVOICE_EXISTS
            )
        if get_payment(state, merchant, self.invoice_id) is not None:
            raise ExecutionFailure(
                f"order {show_id(self.invoice_id)} is already paid", codes.ORDER_PAID
            )
        inv = Invoice(
            self.payer, self.symbol, self.amount, self.expiry, OPEN, b"", ctx.block.height
        )
        put_invoice(state, merchant, self.invoice_id, inv)
        ctx.emit(
            "pay.invoiced",
            merchant,
            show_id(self.invoice_id),
            self.payer,
            self.symbol,
            self.amount,
            self.expiry,
        )


def _open_invoice(state: StateReader, merchant: bytes, invoice_id: bytes) -> Invoice:
    inv = get_invoice(state, merchant, invoice_id)
    if inv is None:
        raise ExecutionFailure(f"no invoice {show_id(invoice_id)}", codes.UNKNOWN_INVOICE)
    if inv.status != OPEN:
        raise ExecutionFailure(
            f"invoice {show_id(invoice_id)} is {INVOICE_STATUS[inv.status]}", codes.INVOICE_CLOSED
        )
    return inv


@dataclass(frozen=True, slots=True)
class PayInvoicePay(OpBase):
    """Pay a merchant's open invoice (at most at its expiry height)."""

    CODE: ClassVar[OpCode] = OpCode.PAY_INVOICE_PAY
    merchant: bytes = arg(ADDRESS, "the merchant that issued the invoice")
    invoice_id: bytes = arg(ORDER_ID, "the invoice id")

    def execute(self, ctx: ExecContext) -> None:
        state = ctx.state
        inv = _open_invoice(state, self.merchant, self.invoice_id)
        if ctx.block.height > inv.expiry:
            raise ExecutionFailure(
                f"the invoice expired at height {inv.expiry}", codes.INVOICE_EXPIRED
            )
        if inv.payer and inv.payer != ctx.sender:
            raise ExecutionFailure(
                "the invoice is addressed to another payer", codes.NOT_INVOICE_PAYER
            )
        put_invoice(
            state, self.merchant, self.invoice_id, replace(inv, status=PAID, paid_by=ctx.sender)
        )
        _pay(ctx, self.merchant, self.invoice_id, inv.amount, inv.symbol, invoice=True)


@dataclass(frozen=True, slots=True)
class PayInvoiceCancel(OpBase):
    """The merchant withdraws an open invoice of its own."""

    CODE: ClassVar[OpCode] = OpCode.PAY_INVOICE_CANCEL
    invoice_id: bytes = arg(ORDER_ID, "the invoice id")

    def execute(self, ctx: ExecContext) -> None:
        inv = _open_invoice(ctx.state, ctx.sender, self.invoice_id)
        put_invoice(ctx.state, ctx.sender, self.invoice_id, replace(inv, status=CANCELLED))
        ctx.emit("pay.invoice_cancelled", ctx.sender, show_id(self.invoice_id))


# --- settlement operations ----------------------------------------------------------------

CURRENCY = Str(8)


@dataclass(frozen=True, slots=True)
class SettleParams(OpBase):
    """Governance sets the settlement period length (periods are height // blocks)."""

    CODE: ClassVar[OpCode] = OpCode.SETTLE_PARAMS
    period_blocks: int = arg(Int(1, settlement.MAX_PERIOD_BLOCKS), "blocks per settlement period")

    def execute(self, ctx: ExecContext) -> None:
        governance.require_governance(ctx)
        settlement.set_period_blocks(ctx.state, self.period_blocks)
        ctx.emit("settle.params", self.period_blocks)


@dataclass(frozen=True, slots=True)
class SettleReserve(OpBase):
    """Record an issuer's prefunded reserve (millionths of the currency). Governance sets
    any value; an issuer may raise its own reserve, never lower it."""

    CODE: ClassVar[OpCode] = OpCode.SETTLE_RESERVE
    issuer: bytes = arg(ADDRESS, "the issuer whose reserve this is")
    currency: str = arg(CURRENCY, "the currency of its point types' values")
    amount: int = arg(AMOUNT, "the reserve, in millionths of the currency")

    def execute(self, ctx: ExecContext) -> None:
        state = ctx.state
        if ctx.sender != governance.GOVERNANCE:
            if ctx.sender != self.issuer:
                raise ExecutionFailure(
                    "only governance or the issuer itself may post a reserve",
                    codes.NOT_AUTHORIZED,
                )
            if self.amount < (settlement.reserve_of(state, self.issuer, self.currency) or 0):
                raise ExecutionFailure("only governance may lower a reserve", codes.NOT_AUTHORIZED)
        state.put(settlement.reserve_key(self.issuer, self.currency), codec.encode(self.amount))
        ctx.emit("settle.reserve", self.issuer, self.currency, self.amount)


@dataclass(frozen=True, slots=True)
class SettleCreditLimit(OpBase):
    """Governance sets (or, with unlimited, removes) an issuer's credit limit."""

    CODE: ClassVar[OpCode] = OpCode.SETTLE_CREDIT_LIMIT
    issuer: bytes = arg(ADDRESS, "the issuer")
    currency: str = arg(CURRENCY, "the currency of its point types' values")
    amount: int = arg(AMOUNT, "most it may owe in a period beyond its reserve (millionths)")
    unlimited: bool = arg(BOOL, "remove the limit instead", False)

    def execute(self, ctx: ExecContext) -> None:
        governance.require_governance(ctx)
        key = settlement.credit_key(self.issuer, self.currency)
        ctx.state.put(key, None if self.unlimited else codec.encode(self.amount))
        ctx.emit("settle.credit_limit", self.issuer, self.currency, self.amount, self.unlimited)


@dataclass(frozen=True, slots=True)
class SettleMark(OpBase):
    """Governance or the platform marks a past settlement period settled."""

    CODE: ClassVar[OpCode] = OpCode.SETTLE_MARK
    period: int = arg(Int(), "the settlement period")

    def execute(self, ctx: ExecContext) -> None:
        state = ctx.state
        if ctx.sender != governance.GOVERNANCE:
            governance.require_role(ctx, "platform")
        if self.period >= settlement.period_of(state, ctx.block.height):
            raise ExecutionFailure(f"period {self.period} is not over yet", codes.PERIOD_NOT_OVER)
        if settlement.settled(state, self.period) is not None:
            raise ExecutionFailure(f"period {self.period} is already settled", codes.PERIOD_SETTLED)
        state.put(settlement.settled_key(self.period), codec.encode([ctx.block.height, ctx.sender]))
        ctx.emit("settle.marked", self.period, ctx.sender)


OPS = (
    PayOrder,
    PayRefund,
    PayInvoice,
    PayInvoicePay,
    PayInvoiceCancel,
    SettleParams,
    SettleReserve,
    SettleCreditLimit,
    SettleMark,
)
