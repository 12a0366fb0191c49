"""Settlement between alliance members: when points of one member (the point type's
issuer) are redeemed or paid at another member, the member they were spent at earns a
receivable against the issuer, valued at the issuer's published value per point
(`PointType.unit_value`, millionths of `PointType.currency`).

Positions are kept net, per settlement period (`height // period_blocks`), per currency
and per member: a positive position is a receivable, a negative one a payable; every
booking adds to one member and takes the same from another, so a period's positions
in one currency always sum to zero. An issuer's payable in the current period is
limited to its posted reserve plus its governance-set credit limit, once either has
been set (an issuer with neither is not limited). Everything is written by the
transaction that books it: there is no per-block work.

State (tables b"i" and b"j", see vm/tables.py):

    i + period(8) + currency + 0 + member      -> net position (signed int, millionths)
    j + b"p"                                   -> period length in blocks (governance)
    j + b"s" + period(8)                       -> [height marked, marked by(20)]
    j + b"r" + issuer(20) + currency           -> reserve posted (millionths)
    j + b"c" + issuer(20) + currency           -> credit limit (millionths, governance)
"""

from __future__ import annotations

from primitives import codec
from vm import codes, ledger, tables
from vm.context import ExecContext
from vm.errors import ExecutionFailure
from vm.state import StateReader, StateView

DEFAULT_PERIOD_BLOCKS = 10_000
MAX_PERIOD_BLOCKS = 10**9

_PARAM_PERIOD = tables.SETTLE + b"p"
_SETTLED = tables.SETTLE + b"s"
_RESERVE = tables.SETTLE + b"r"
_CREDIT = tables.SETTLE + b"c"


# --- keys and reads ---------------------------------------------------------------------


def position_key(period: int, currency: str, member: bytes) -> bytes:
    return tables.SETTLE_POSITION + tables.height_bytes(period) + currency.encode() + b"\0" + member


def period_prefix(period: int) -> bytes:
    return tables.SETTLE_POSITION + tables.height_bytes(period)


def parse_position_key(key: bytes) -> tuple[int, str, bytes]:
    """(period, currency, member) of a position key."""
    body = key[1:]
    period = int.from_bytes(body[:8], "big")
    currency, _, member = body[8:].partition(b"\0")
    return period, currency.decode(), member


def settled_key(period: int) -> bytes:
    return _SETTLED + tables.height_bytes(period)


def reserve_key(issuer: bytes, currency: str) -> bytes:
    return _RESERVE + issuer + currency.encode()


def credit_key(issuer: bytes, currency: str) -> bytes:
    return _CREDIT + issuer + currency.encode()


def period_blocks(state: StateReader) -> int:
    n = ledger.get_int(state, _PARAM_PERIOD)
    return n or DEFAULT_PERIOD_BLOCKS


def set_period_blocks(state: StateView, blocks: int) -> None:
    state.put(_PARAM_PERIOD, codec.encode(blocks))


def period_of(state: StateReader, height: int) -> int:
    return height // period_blocks(state)


def position(state: StateReader, period: int, currency: str, member: bytes) -> int:
    raw = state.get(position_key(period, currency, member))
    return 0 if raw is None else int(codec.decode_trusted(raw))


def _optional_int(state: StateReader, key: bytes) -> int | None:
    raw = state.get(key)
    return None if raw is None else int(codec.decode_trusted(raw))


def reserve_of(state: StateReader, issuer: bytes, currency: str) -> int | None:
    return _optional_int(state, reserve_key(issuer, currency))


def credit_limit_of(state: StateReader, issuer: bytes, currency: str) -> int | None:
    return _optional_int(state, credit_key(issuer, currency))


def settled(state: StateReader, period: int) -> list[object] | None:
    """[height marked, marked by] of a settled period, or None."""
    raw = state.get(settled_key(period))
    return None if raw is None else list(codec.decode_trusted(raw))


def limit_of(state: StateReader, issuer: bytes, currency: str) -> int | None:
    """The most an issuer may owe in one period (reserve + credit limit), None if unlimited."""
    reserve = reserve_of(state, issuer, currency)
    credit = credit_limit_of(state, issuer, currency)
    if reserve is None and credit is None:
        return None
    return (reserve or 0) + (credit or 0)


# --- bookings ---------------------------------------------------------------------------


def _book(state: StateView, period: int, currency: str, member: bytes, delta: int) -> int:
    key = position_key(period, currency, member)
    raw = state.get(key)
    net = (0 if raw is None else int(codec.decode_trusted(raw))) + delta
    state.put(key, codec.encode(net) if net else None)
    return net


def record(ctx: ExecContext, symbol: str, at_member: bytes, amount: int) -> None:
    """Points of `symbol` were redeemed or paid at `at_member`: book its receivable
    against the issuer at the issuer's value per point, in the current period. Nothing
    when `at_member` is the issuer or the type has no published value. Refuses with
    credit_limit_exceeded when the issuer's payable in the period would exceed its
    reserve plus credit limit."""
    asset = ledger.require_asset(ctx.state, symbol)
    if at_member == asset.issuer or amount <= 0:
        return
    value = amount * asset.unit_value
    if value == 0:
        return
    state = ctx.state
    period = period_of(state, ctx.block.height)
    currency = asset.currency
    issuer_net = _book(state, period, currency, asset.issuer, -value)
    _book(state, period, currency, at_member, value)
    limit = limit_of(state, asset.issuer, currency)
    if limit is not None and -issuer_net > limit:
        raise ExecutionFailure(
            f"the issuer of {symbol} would owe {-issuer_net} millionths of {currency or 'value'}"
            f" in period {period}, beyond its reserve and credit limit of {limit}",
            codes.CREDIT_LIMIT_EXCEEDED,
        )
    ctx.emit("settle.recorded", symbol, at_member, asset.issuer, period, amount, value)


def reverse(ctx: ExecContext, symbol: str, at_member: bytes, amount: int) -> None:
    """Undo `record` for `amount` points (a refund), booked in the current period."""
    asset = ledger.require_asset(ctx.state, symbol)
    if at_member == asset.issuer or amount <= 0:
        return
    value = amount * asset.unit_value
    if value == 0:
        return
    state = ctx.state
    period = period_of(state, ctx.block.height)
    _book(state, period, asset.currency, asset.issuer, value)
    _book(state, period, asset.currency, at_member, -value)
    ctx.emit("settle.reversed", symbol, at_member, asset.issuer, period, amount, value)
