"""Exchange between point types: a limit order book per pair, and conversion agreements.

Theory of operation (order book). A book trades `base` against `quote`, both point types
with the `tradeable` rule. A price is an exact rational `price_num / price_den` quote
base units per base unit, stored reduced. `ex.order` escrows what the order may spend in
the order's own escrow account (module account "exchange" / `o<id>`, so its lots keep
their expiry and never mix with another order's): a sell escrows `amount` base, a buy
escrows `ceil(amount * price)` quote. The order then matches the opposite side, best
price first and, at one price, earliest first (price-time priority), at the RESTING
order's price, and rests what is left.

Rounding favours the book and never creates points: base moves exactly; the seller of a
fill receives `floor(fill * price)` quote from the buyer's escrow. A buy escrow thus only
ever holds more than it still needs (ceil(R*p) + floor(f*p) <= ceil((R+f)*p)); that
dust returns to the buyer when the order closes (filled, cancelled, expired). An order
whose remainder is worth less than one quote unit at the price it would trade at is
closed and refunded (it could never trade); so is a taker's remainder that would fetch
nothing at a crossing resting price (resting it would cross the book). Orders are live up to and including their
`expiry` height; an expired order is refunded lazily when matching meets it, or by
`ex.cancel` (its owner) or `ex.expire` (anyone, after expiry).

Work per transaction is bounded: one order visits at most MAX_FILLS resting orders
(fills and expired ones skipped) and each visit is charged FILL_GAS on top of the
schedule gas; when the bound is hit the unfilled remainder is refunded rather than
rested, so the book never crosses. A book holds at most MAX_BOOK_ORDERS resting orders.
Nothing happens per block.

Conversion agreements (governance) convert `from` points into `to` points at the fixed
rate `rate_num / rate_den`: the holder's `from` points are burned (redeemed at the `to`
issuer, which books a settlement receivable against the `from` issuer), and `floor(amount * rate) - fee` `to` points are paid from
the agreement's reserve (module account "exchange" / `r<id>`), which the `to` issuer
funds with `ex.fund_reserve`. The fee, `ceil(gross * fee_bps / 10000)`, stays in the
reserve. Each agreement converts at most `daily_limit` `from` points a day (day =
`ledger.day_of(block time)`). All or nothing.

State (vm/tables.py):

    l                          -> next order id
    l + id(8)                  -> order [owner, base, quote, side, amount, remaining,
                                  price_num, price_den, expiry, created, status]
    n + base + 0 + quote       -> book [bids, asks]; each side a list of price levels
                                  [price_num, price_den, [order id, ...]], best first,
                                  the ids in time order (FIFO)
    p + id(8)                  -> agreement [from, to, rate_num, rate_den, fee_bps,
                                  daily_limit, active]
    s + id(8)                  -> [day, converted that day]
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from math import gcd
from typing import ClassVar

from primitives import codec
from vm import accounts, codes, governance, ledger, settlement, tables
from vm.context import ExecContext
from vm.errors import ExecutionFailure
from vm.ops.fields import AMOUNT, BOOL, HEIGHT, SYMBOL, U64, Choice, Int, OpBase, arg
from vm.ops.registry import OpCode
from vm.state import StateReader, StateView

ESCROW = accounts.module_account("exchange")
BUY, SELL = 0, 1
SIDES = {"buy": BUY, "sell": SELL}
OPEN, FILLED, CANCELLED, EXPIRED = "open", "filled", "cancelled", "expired"
MAX_FILLS = 64
MAX_BOOK_ORDERS = 1_000
FILL_GAS = 1_500
PRICE_MAX = 2**40
BPS = 10_000
NEXT_ORDER = tables.EX_ORDER

Level = list[object]  # [price_num, price_den, [order ids]]


# --- records --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Order:
    id: int
    owner: bytes
    base: str
    quote: str
    side: int
    amount: int
    remaining: int
    price_num: int
    price_den: int
    expiry: int
    created: int
    status: str = OPEN

    def to_wire(self) -> list[object]:
        return [
            self.owner,
            self.base,
            self.quote,
            self.side,
            self.amount,
            self.remaining,
            self.price_num,
            self.price_den,
            self.expiry,
            self.created,
            self.status,
        ]

    @classmethod
    def from_wire(cls, oid: int, wire: object) -> Order:
        f = codec.expect_list(wire, 11, what="order")
        return cls(oid, *f)

    def status_at(self, height: int) -> str:
        return EXPIRED if self.status == OPEN and height > self.expiry else self.status


@dataclass(frozen=True, slots=True)
class Agreement:
    id: int
    from_symbol: str
    to_symbol: str
    rate_num: int
    rate_den: int
    fee_bps: int
    daily_limit: int
    active: bool

    def to_wire(self) -> list[object]:
        return [
            self.from_symbol,
            self.to_symbol,
            self.rate_num,
            self.rate_den,
            self.fee_bps,
            self.daily_limit,
            self.active,
        ]

    @classmethod
    def from_wire(cls, aid: int, wire: object) -> Agreement:
        f = codec.expect_list(wire, 7, what="agreement")
        return cls(aid, *f)


def order_key(oid: int) -> bytes:
    return tables.EX_ORDER + oid.to_bytes(8, "big")


def book_key(base: str, quote: str) -> bytes:
    return tables.EX_BOOK + base.encode() + tables.SEP + quote.encode()


def agreement_key(aid: int) -> bytes:
    return tables.EX_AGREEMENT + aid.to_bytes(8, "big")


def usage_key(aid: int) -> bytes:
    return tables.EX_USAGE + aid.to_bytes(8, "big")


def order_escrow(oid: int) -> bytes:
    return ESCROW + f"o{oid}".encode()


def reserve_account(aid: int) -> bytes:
    return ESCROW + f"r{aid}".encode()


def get_order(state: StateReader, oid: int) -> Order | None:
    raw = state.get(order_key(oid))
    return None if raw is None else Order.from_wire(oid, codec.decode_trusted(raw))


def put_order(state: StateView, order: Order) -> None:
    state.put(order_key(order.id), codec.encode(order.to_wire()))


def get_book(state: StateReader, base: str, quote: str) -> list[list[Level]]:
    raw = state.get(book_key(base, quote))
    if raw is None:
        return [[], []]
    return codec.decode_trusted(raw)  # type: ignore[no-any-return]


def put_book(state: StateView, base: str, quote: str, book: list[list[Level]]) -> None:
    state.put(book_key(base, quote), codec.encode(book) if book[0] or book[1] else None)


def get_agreement(state: StateReader, aid: int) -> Agreement | None:
    raw = state.get(agreement_key(aid))
    return None if raw is None else Agreement.from_wire(aid, codec.decode_trusted(raw))


def reserve_balance(state: StateReader, agreement: Agreement, height: int) -> int:
    return ledger.get_balance(state, reserve_account(agreement.id), agreement.to_symbol, height)


# --- arithmetic -----------------------------------------------------------------------


def quote_floor(amount: int, num: int, den: int) -> int:
    return amount * num // den


def quote_ceil(amount: int, num: int, den: int) -> int:
    return -(-amount * num // den)


def _better(side: int, a_num: int, a_den: int, b_num: int, b_den: int) -> bool:
    """Price a comes strictly before price b on `side` (bids: higher; asks: lower)."""
    if side == BUY:
        return a_num * b_den > b_num * a_den
    return a_num * b_den < b_num * a_den


def _crosses(taker_side: int, t_num: int, t_den: int, m_num: int, m_den: int) -> bool:
    """A taker at price t may trade with a resting order at price m."""
    if taker_side == BUY:
        return m_num * t_den <= t_num * m_den
    return m_num * t_den >= t_num * m_den


def book_size(book: list[list[Level]]) -> int:
    return sum(len(lvl[2]) for side in book for lvl in side)  # type: ignore[arg-type,misc]


# --- order book mechanics -------------------------------------------------------------


def _pay_out(ctx: ExecContext, symbol: str, src: bytes, dst: bytes, amount: int) -> None:
    if amount > 0:
        ledger.move(ctx, symbol, src, dst, amount, check_src=False, event="")


def _escrow_live(ctx: ExecContext, order: Order) -> int:
    symbol = order.base if order.side == SELL else order.quote
    return ledger.get_balance(ctx.state, order_escrow(order.id), symbol, ctx.block.height)


def _refund(ctx: ExecContext, order: Order) -> None:
    """Return everything left in the order's escrow (unfilled part and dust)."""
    escrow = order_escrow(order.id)
    for symbol in (order.base, order.quote):
        left = ledger.get_balance(ctx.state, escrow, symbol, ctx.block.height)
        if left:
            ledger.move(ctx, symbol, escrow, order.owner, left, check_src=False, event="")
            ctx.emit("ex.refunded", order.id, symbol, order.owner, left)


def _close(ctx: ExecContext, order: Order, status: str) -> Order:
    _refund(ctx, order)
    order = replace(order, status=status)
    put_order(ctx.state, order)
    ctx.emit("ex.closed", order.id, status, order.remaining)
    return order


def _charge(ctx: ExecContext) -> None:
    ctx.gas_used += FILL_GAS
    if ctx.gas_limit is not None and ctx.gas_used > ctx.gas_limit:
        raise ExecutionFailure("out of gas while matching", codes.OUT_OF_GAS)


def _tradeable_units(order: Order, live: int, num: int, den: int) -> int:
    """Base units of a resting order that its escrow can still settle."""
    if order.side == SELL:
        return min(order.remaining, live)
    return min(order.remaining, live * den // num)


def _fill(ctx: ExecContext, taker: Order, maker: Order, qty: int, num: int, den: int) -> None:
    """Trade `qty` base between taker and maker at the maker's price."""
    seller, buyer = (taker, maker) if taker.side == SELL else (maker, taker)
    paid = quote_floor(qty, num, den)
    _pay_out(ctx, taker.base, order_escrow(seller.id), buyer.owner, qty)
    _pay_out(ctx, taker.quote, order_escrow(buyer.id), seller.owner, paid)
    ctx.emit("ex.fill", maker.id, taker.id, qty, paid, num, den)


def _match(ctx: ExecContext, taker: Order, book: list[list[Level]]) -> Order:
    """Match `taker` against the opposite side of `book` (changed in place)."""
    opposite = book[SELL if taker.side == BUY else BUY]
    visits = 0
    stuck = False  # the remainder would fetch nothing at a crossing price
    height = ctx.block.height
    while taker.remaining and opposite and visits < MAX_FILLS:
        level = opposite[0]
        num, den, ids = level[0], level[1], level[2]
        assert isinstance(num, int) and isinstance(den, int) and isinstance(ids, list)
        if not _crosses(taker.side, taker.price_num, taker.price_den, num, den):
            break
        visits += 1
        _charge(ctx)
        maker = get_order(ctx.state, ids[0])
        assert maker is not None
        units = _tradeable_units(maker, _escrow_live(ctx, maker), num, den)
        if height > maker.expiry or quote_floor(units, num, den) == 0:
            # past its expiry, or its escrowed points expired: expired; else dust: filled
            short = height > maker.expiry or units < maker.remaining
            _close(ctx, maker, EXPIRED if short else FILLED)
            ids.pop(0)
        else:
            qty = min(taker.remaining, units)
            if quote_floor(qty, num, den) == 0:
                stuck = True  # resting it would cross the book: returned below
                break
            _fill(ctx, taker, maker, qty, num, den)
            taker = replace(taker, remaining=taker.remaining - qty)
            maker = replace(maker, remaining=maker.remaining - qty)
            if maker.remaining == 0 or quote_floor(maker.remaining, num, den) == 0:
                _close(ctx, maker, FILLED)
                ids.pop(0)
            else:
                put_order(ctx.state, maker)
        if not ids:
            opposite.pop(0)
    if taker.remaining and (stuck or visits >= MAX_FILLS):
        return _close(
            ctx,
            replace(taker, status=OPEN),
            FILLED if taker.remaining < taker.amount else CANCELLED,
        )
    return taker


def _rest(ctx: ExecContext, order: Order, book: list[list[Level]]) -> None:
    if book_size(book) >= MAX_BOOK_ORDERS:
        raise ExecutionFailure(
            f"the {order.base}/{order.quote} book holds {MAX_BOOK_ORDERS} orders", codes.BOOK_FULL
        )
    side = book[order.side]
    for i, level in enumerate(side):
        num, den, ids = level
        assert isinstance(num, int) and isinstance(den, int) and isinstance(ids, list)
        if num == order.price_num and den == order.price_den:
            ids.append(order.id)
            return
        if _better(order.side, order.price_num, order.price_den, num, den):
            side.insert(i, [order.price_num, order.price_den, [order.id]])
            return
    side.append([order.price_num, order.price_den, [order.id]])


def _unlist(state: StateView, order: Order) -> None:
    book = get_book(state, order.base, order.quote)
    side = book[order.side]
    for i, level in enumerate(side):
        ids = level[2]
        assert isinstance(ids, list)
        if level[0] == order.price_num and level[1] == order.price_den and order.id in ids:
            ids.remove(order.id)
            if not ids:
                side.pop(i)
            put_book(state, order.base, order.quote, book)
            return


def _tradeable(state: StateReader, symbol: str) -> ledger.PointType:
    asset = ledger.require_asset(state, symbol)
    if not asset.has(ledger.TRADEABLE):
        raise ExecutionFailure(f"{symbol} is not tradeable", codes.NOT_TRADEABLE)
    return asset


def _require_order(state: StateReader, oid: int) -> Order:
    order = get_order(state, oid)
    if order is None:
        raise ExecutionFailure(f"no order {oid}", codes.UNKNOWN_BOOK_ORDER)
    if order.status != OPEN:
        raise ExecutionFailure(f"order {oid} is {order.status}", codes.BOOK_ORDER_CLOSED)
    return order


# --- operations -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExOrder(OpBase):
    """Place a limit order: buy or sell `amount` base at `price_num/price_den` quote per
    base, live up to and including height `expiry`. Matches at once; the rest rests."""

    CODE: ClassVar[OpCode] = OpCode.EX_ORDER
    base: str = arg(SYMBOL, "the point type traded")
    quote: str = arg(SYMBOL, "the point type it is priced in")
    side: int = arg(Choice(SIDES), "buy or sell base")
    amount: int = arg(AMOUNT, "base units")
    price_num: int = arg(Int(1, PRICE_MAX), "price numerator (quote units)")
    price_den: int = arg(Int(1, PRICE_MAX), "price denominator (base units)", cli_default=1)
    expiry: int = arg(HEIGHT, "last height at which the order is live")

    def extra_gas(self) -> int:
        """Matching may visit MAX_FILLS resting orders at FILL_GAS each."""
        return MAX_FILLS * FILL_GAS

    def execute(self, ctx: ExecContext) -> None:
        state = ctx.state
        ledger.check_amount(self.amount)
        if self.base == self.quote:
            raise ExecutionFailure("base and quote must differ", codes.BAD_PRICE)
        _tradeable(state, self.base)
        _tradeable(state, self.quote)
        if self.expiry < ctx.block.height:
            raise ExecutionFailure(
                f"expiry {self.expiry} is below the current height", codes.BAD_DEADLINE
            )
        g = gcd(self.price_num, self.price_den)
        num, den = self.price_num // g, self.price_den // g
        if quote_floor(self.amount, num, den) == 0:
            raise ExecutionFailure(
                "the order is worth less than one quote unit", codes.ORDER_TOO_SMALL
            )
        oid = ledger.get_int(state, NEXT_ORDER) + 1
        ledger.put_int(state, NEXT_ORDER, oid)
        order = Order(
            oid, ctx.sender, self.base, self.quote, self.side, self.amount, self.amount,
            num, den, self.expiry, ctx.block.height,
        )  # fmt: skip
        if self.side == SELL:
            ledger.move(ctx, self.base, ctx.sender, order_escrow(oid), self.amount,
                        check_dst=False, event="")  # fmt: skip
        else:
            escrow = quote_ceil(self.amount, num, den)
            ledger.move(ctx, self.quote, ctx.sender, order_escrow(oid), escrow,
                        check_dst=False, event="")  # fmt: skip
        ctx.emit("ex.order", oid, ctx.sender, self.base, self.quote, self.side, self.amount,
                 num, den, self.expiry)  # fmt: skip
        book = get_book(state, self.base, self.quote)
        order = _match(ctx, order, book)
        if order.status == OPEN:
            if order.remaining == 0:
                order = _close(ctx, order, FILLED)
            elif quote_floor(order.remaining, num, den) == 0:
                order = _close(ctx, order, FILLED)  # dust: nothing more can trade
            else:
                _rest(ctx, order, book)
                put_order(state, order)
                ctx.emit("ex.rested", oid, order.remaining)
        put_book(state, self.base, self.quote, book)


@dataclass(frozen=True, slots=True)
class ExCancel(OpBase):
    """Cancel an open order (its owner): the unfilled escrow returns exactly."""

    CODE: ClassVar[OpCode] = OpCode.EX_CANCEL
    order: int = arg(U64, "order id")

    def execute(self, ctx: ExecContext) -> None:
        order = _require_order(ctx.state, self.order)
        if order.owner != ctx.sender:
            raise ExecutionFailure("only the order's owner may cancel it", codes.NOT_ORDER_OWNER)
        _unlist(ctx.state, order)
        _close(ctx, order, CANCELLED)


@dataclass(frozen=True, slots=True)
class ExExpire(OpBase):
    """Close an order past its expiry height (anyone): the escrow returns to its owner."""

    CODE: ClassVar[OpCode] = OpCode.EX_EXPIRE
    order: int = arg(U64, "order id")

    def execute(self, ctx: ExecContext) -> None:
        order = _require_order(ctx.state, self.order)
        if ctx.block.height <= order.expiry:
            raise ExecutionFailure(
                f"order {order.id} is live until height {order.expiry}", codes.ORDER_NOT_EXPIRED
            )
        _unlist(ctx.state, order)
        _close(ctx, order, EXPIRED)


@dataclass(frozen=True, slots=True)
class ExAgreement(OpBase):
    """Create or change conversion agreement `id` (governance only)."""

    CODE: ClassVar[OpCode] = OpCode.EX_AGREEMENT
    id: int = arg(U64, "agreement id")
    from_symbol: str = arg(SYMBOL, "points taken (burned)")
    to_symbol: str = arg(SYMBOL, "points paid from the reserve")
    rate_num: int = arg(Int(1, PRICE_MAX), "`to` units per `from` unit: numerator")
    rate_den: int = arg(Int(1, PRICE_MAX), "denominator", cli_default=1)
    daily_limit: int = arg(AMOUNT, "most `from` units converted a day")
    fee_bps: int = arg(Int(0, BPS), "fee in basis points of the `to` amount", 0)
    active: bool = arg(BOOL, "conversions allowed", True)

    def execute(self, ctx: ExecContext) -> None:
        governance.require_governance(ctx)
        if self.from_symbol == self.to_symbol:
            raise ExecutionFailure("from and to must differ", codes.BAD_PRICE)
        ledger.require_asset(ctx.state, self.from_symbol)
        ledger.require_asset(ctx.state, self.to_symbol)
        old = get_agreement(ctx.state, self.id)
        if old is not None and (old.from_symbol, old.to_symbol) != (
            self.from_symbol,
            self.to_symbol,
        ):
            raise ExecutionFailure(
                f"agreement {self.id} converts {old.from_symbol} to {old.to_symbol}",
                codes.DUPLICATE,
            )
        g = gcd(self.rate_num, self.rate_den)
        a = Agreement(
            self.id, self.from_symbol, self.to_symbol, self.rate_num // g, self.rate_den // g,
            self.fee_bps, self.daily_limit, self.active,
        )  # fmt: skip
        ctx.state.put(agreement_key(self.id), codec.encode(a.to_wire()))
        ctx.emit("ex.agreement", a.id, a.from_symbol, a.to_symbol, a.rate_num, a.rate_den,
                 a.fee_bps, a.daily_limit, a.active)  # fmt: skip


def _require_agreement(state: StateReader, aid: int) -> Agreement:
    a = get_agreement(state, aid)
    if a is None:
        raise ExecutionFailure(f"no agreement {aid}", codes.UNKNOWN_AGREEMENT)
    return a


@dataclass(frozen=True, slots=True)
class ExFundReserve(OpBase):
    """The `to` issuer adds its points to an agreement's reserve."""

    CODE: ClassVar[OpCode] = OpCode.EX_FUND_RESERVE
    agreement: int = arg(U64, "agreement id")
    amount: int = arg(AMOUNT)

    def execute(self, ctx: ExecContext) -> None:
        a = _require_agreement(ctx.state, self.agreement)
        ledger.require_issuer(ctx, ledger.require_asset(ctx.state, a.to_symbol))
        ledger.move(ctx, a.to_symbol, ctx.sender, reserve_account(a.id), self.amount,
                    check_dst=False, event="")  # fmt: skip
        ctx.emit("ex.reserve_funded", a.id, a.to_symbol, self.amount)


@dataclass(frozen=True, slots=True)
class ExWithdrawReserve(OpBase):
    """The `to` issuer takes points back out of an agreement's reserve."""

    CODE: ClassVar[OpCode] = OpCode.EX_WITHDRAW_RESERVE
    agreement: int = arg(U64, "agreement id")
    amount: int = arg(AMOUNT)

    def execute(self, ctx: ExecContext) -> None:
        a = _require_agreement(ctx.state, self.agreement)
        ledger.require_issuer(ctx, ledger.require_asset(ctx.state, a.to_symbol))
        if reserve_balance(ctx.state, a, ctx.block.height) < self.amount:
            raise ExecutionFailure("the reserve holds less than that", codes.RESERVE_SHORT)
        ledger.move(ctx, a.to_symbol, reserve_account(a.id), ctx.sender, self.amount,
                    check_src=False, event="")  # fmt: skip
        ctx.emit("ex.reserve_withdrawn", a.id, a.to_symbol, self.amount)


def conversion(a: Agreement, amount: int) -> tuple[int, int]:
    """(paid to the holder, fee kept in the reserve) for converting `amount` `from` units."""
    gross = quote_floor(amount, a.rate_num, a.rate_den)
    fee = quote_ceil(gross, a.fee_bps, BPS)
    return gross - fee, fee


@dataclass(frozen=True, slots=True)
class ExConvert(OpBase):
    """Convert `amount` of the agreement's `from` points into `to` points, atomically."""

    CODE: ClassVar[OpCode] = OpCode.EX_CONVERT
    agreement: int = arg(U64, "agreement id")
    amount: int = arg(AMOUNT, "`from` units to convert")

    def execute(self, ctx: ExecContext) -> None:
        state = ctx.state
        ledger.check_amount(self.amount)
        a = _require_agreement(state, self.agreement)
        if not a.active:
            raise ExecutionFailure(f"agreement {a.id} is not active", codes.AGREEMENT_INACTIVE)
        paid, fee = conversion(a, self.amount)
        if paid <= 0:
            raise ExecutionFailure("converts to nothing after the fee", codes.ORDER_TOO_SMALL)
        day = ledger.day_of(ctx.block.time_ms)
        if ledger.window_add(state, usage_key(a.id), day, self.amount, a.daily_limit) is None:
            raise ExecutionFailure(
                f"agreement {a.id} converts at most {a.daily_limit} {a.from_symbol} a day",
                codes.CONVERSION_LIMIT,
            )
        if reserve_balance(state, a, ctx.block.height) < paid:
            raise ExecutionFailure(
                f"the reserve of agreement {a.id} holds less than {paid} {a.to_symbol}",
                codes.RESERVE_SHORT,
            )
        ledger.remove(ctx, a.from_symbol, ctx.sender, self.amount, "redeemed")
        # the `from` points were redeemed at the `to` issuer, who paid for them: it earns a
        # receivable against the `from` issuer (vm/settlement.py; within its limits)
        to_issuer = ledger.require_asset(state, a.to_symbol).issuer
        settlement.record(ctx, a.from_symbol, to_issuer, self.amount)
        ledger.move(ctx, a.to_symbol, reserve_account(a.id), ctx.sender, paid,
                    check_src=False, event="")  # fmt: skip
        ctx.emit("ex.converted", a.id, ctx.sender, self.amount, paid, fee)


OPS = (ExOrder, ExCancel, ExExpire, ExAgreement, ExFundReserve, ExWithdrawReserve, ExConvert)
