"""The alliance-points ledger: point types, dated lots, liability, holder limits.

State keys (tables in vm/tables.py; the tree authenticates exactly these bytes):

    N + address(20)                       -> nonce (u64)
    A + symbol                            -> PointType record
    B + len(account) + account + symbol   -> holding: an integer for a point type without
                                             expiry; for one with expiry a list of lots
                                             [[expiry height, amount], ...], soonest first
    X + symbol + 0 + height(8)            -> points still outstanding that expire then
    Q + height(8)                         -> the symbols with an X bucket due then
    F + symbol + 0 + account              -> a holder freeze's reason code
    Z + symbol + 0 + account              -> the issuer authorised this holder
    Y + issuer + symbol                   -> the issuer's daily quota (set by governance)
    y + issuer + symbol                   -> [day, issued that day]
    T + account                           -> the holder's tier (absent: "default")
    t + symbol                            -> [[tier, max balance, max per tx, max daily]]
    d + account + 0 + symbol              -> [day, sent that day] (under a daily limit)

Points are held in lots by expiry height: points issued at height h of a type with
`expiry_blocks` N expire at h + N and are spendable only below it. A lot keeps its expiry
as it moves between holders. Spending takes the soonest-expiring lots first (the oldest)
or, if the type says so, the newest first.

Expiry is booked exactly and lazily: each issue adds to the bucket X of its expiry
height, redemption and clawback take from it, and at the start of block h the buckets
due at h are booked as breakage into the type's `expired` counter (work per block is the
number of point types with points expiring then, never the number of holders). A
holder's expired lots stay in its holding until it is next touched, when they are
dropped (already booked). So per point type, at every height:

    outstanding = issued - redeemed - expired - clawed_back = sum of unexpired lots

A day is `block time // 86_400_000` (the block time is in the header, so deterministic).
A balance of 0 is deleted, so an absence proof means "zero".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from primitives import codec
from primitives.keys import ADDRESS_SIZE
from vm import codes, tables
from vm.context import ExecContext
from vm.errors import ExecutionFailure
from vm.state import StateReader, StateView

NONCE = tables.NONCE
BALANCE = tables.BALANCE
ASSET = tables.ASSET
SEP = tables.SEP
AMOUNT_MAX = codec.U64_MAX
MAX_EXPIRY_BLOCKS = 2**40
DAY_MS = 86_400_000
SYMBOL_RE = re.compile(r"^[A-Z][A-Z0-9]{1,11}$")
DEFAULT_TIER = "default"

# rules fixed at creation (a bitmask in the record)
REQUIRE_AUTH = 1
TRANSFERABLE = 2
TRADEABLE = 4
FREEZABLE = 8
CLAWBACK = 16
RULES = {
    "require_auth": REQUIRE_AUTH,
    "transferable": TRANSFERABLE,
    "tradeable": TRADEABLE,
    "freezable": FREEZABLE,
    "clawback": CLAWBACK,
}
ALL_RULES = sum(RULES.values())
DEFAULT_RULES = TRANSFERABLE | TRADEABLE
OLDEST_FIRST = 0
NEWEST_FIRST = 1
SPEND_ORDERS = {"oldest_first": OLDEST_FIRST, "newest_first": NEWEST_FIRST}


def rules_text(flags: int) -> list[str]:
    return [name for name, bit in RULES.items() if flags & bit]


def parse_rules(names: list[str] | tuple[str, ...]) -> int:
    flags = 0
    for name in names:
        if name not in RULES:
            raise ValueError(f"unknown rule {name!r} (rules: {', '.join(RULES)})")
        flags |= RULES[name]
    return flags


# --- keys ---------------------------------------------------------------------------


def nonce_key(address: bytes) -> bytes:
    return NONCE + address


def account_prefix(account: bytes) -> bytes:
    return BALANCE + bytes((len(account),)) + account


def balance_key(account: bytes, symbol: str) -> bytes:
    return BALANCE + bytes((len(account),)) + account + symbol.encode()


balance_prefix = account_prefix


def asset_key(symbol: str) -> bytes:
    return ASSET + symbol.encode()


def _sym_account(table: bytes, symbol: str, account: bytes) -> bytes:
    return table + symbol.encode() + SEP + account


def bucket_key(symbol: str, height: int) -> bytes:
    return tables.EXPIRY_BUCKET + symbol.encode() + SEP + tables.height_bytes(height)


def due_key(height: int) -> bytes:
    return tables.EXPIRY_DUE + tables.height_bytes(height)


def day_of(time_ms: int) -> int:
    return time_ms // DAY_MS


# --- scalar helpers -----------------------------------------------------------------


def get_int(state: StateReader, key: bytes) -> int:
    raw = state.get(key)
    if raw is None:
        return 0
    value = codec.decode_trusted(raw)
    if type(value) is not int:
        raise ExecutionFailure(f"state value at {key.hex()} is not an integer", "state_corrupt")
    return value


def put_int(state: StateView, key: bytes, value: int) -> None:
    state.put(key, codec.encode(value) if value else None)


def get_nonce(state: StateReader, address: bytes) -> int:
    return get_int(state, nonce_key(address))


def set_nonce(state: StateView, address: bytes, nonce: int) -> None:
    put_int(state, nonce_key(address), nonce)


def check_symbol(symbol: str) -> str:
    if not SYMBOL_RE.match(symbol):
        raise ExecutionFailure(
            f"symbol {symbol!r} must be 2-12 characters A-Z/0-9 starting with a letter",
            codes.INVALID_SYMBOL,
        )
    return symbol


def check_amount(amount: int) -> int:
    if amount <= 0:
        raise ExecutionFailure("amount must be positive", codes.INVALID_AMOUNT)
    return amount


# --- point types --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PointType:
    symbol: str
    name: str
    decimals: int
    cap: int
    issuer: bytes
    flags: int = DEFAULT_RULES
    expiry_blocks: int = 0  # 0: points never expire
    spend_order: int = OLDEST_FIRST
    currency: str = ""  # the issuer's reporting currency (ISO 4217), "" if none
    unit_value: int = 0  # value of one base unit in millionths of `currency`
    issued: int = 0
    redeemed: int = 0
    expired: int = 0
    clawed_back: int = 0
    frozen_reason: str = ""  # non-empty: globally frozen, with this reason code
    uri: str = ""

    @property
    def outstanding(self) -> int:
        return self.issued - self.redeemed - self.expired - self.clawed_back

    supply = outstanding

    def has(self, rule: int) -> bool:
        return bool(self.flags & rule)

    def to_wire(self) -> list[object]:
        return [
            self.symbol,
            self.name,
            self.decimals,
            self.cap,
            self.issuer,
            self.flags,
            self.expiry_blocks,
            self.spend_order,
            self.currency,
            self.unit_value,
            self.issued,
            self.redeemed,
            self.expired,
            self.clawed_back,
            self.frozen_reason,
            self.uri,
        ]

    @classmethod
    def from_wire(cls, wire: object) -> PointType:
        f = codec.expect_list(wire, 16, what="point type")
        return cls(
            symbol=codec.expect_str(f[0], max_len=12, what="symbol"),
            name=codec.expect_str(f[1], max_len=64, what="name"),
            decimals=codec.expect_int(f[2], 0, 18, what="decimals"),
            cap=codec.expect_int(f[3], what="cap"),
            issuer=codec.expect_bytes(f[4], ADDRESS_SIZE, what="issuer"),
            flags=codec.expect_int(f[5], 0, ALL_RULES, what="flags"),
            expiry_blocks=codec.expect_int(f[6], 0, MAX_EXPIRY_BLOCKS, what="expiry"),
            spend_order=codec.expect_int(f[7], 0, 1, what="spend order"),
            currency=codec.expect_str(f[8], max_len=8, what="currency"),
            unit_value=codec.expect_int(f[9], what="unit value"),
            issued=codec.expect_int(f[10], what="issued"),
            redeemed=codec.expect_int(f[11], what="redeemed"),
            expired=codec.expect_int(f[12], what="expired"),
            clawed_back=codec.expect_int(f[13], what="clawed back"),
            frozen_reason=codec.expect_str(f[14], max_len=32, what="frozen reason"),
            uri=codec.expect_str(f[15], max_len=256, what="uri"),
        )


AssetRecord = PointType  # the name the foundation used

_asset_cache: dict[bytes, PointType] = {}


def get_asset(state: StateReader, symbol: str) -> PointType | None:
    raw = state.get(asset_key(symbol))
    if raw is None:
        return None
    asset = _asset_cache.get(raw)
    if asset is None:
        if len(_asset_cache) > 4096:
            _asset_cache.clear()
        asset = _asset_cache[raw] = PointType.from_wire(codec.decode(raw))
    return asset


def require_asset(state: StateReader, symbol: str) -> PointType:
    asset = get_asset(state, symbol)
    if asset is None:
        raise ExecutionFailure(f"no point type {symbol!r}", codes.UNKNOWN_ASSET)
    return asset


def require_asset_exists(state: StateReader, symbol: str) -> None:
    require_asset(state, symbol)


def put_asset(state: StateView, asset: PointType) -> None:
    state.put(asset_key(asset.symbol), codec.encode(asset.to_wire()))


def require_issuer(ctx: ExecContext, asset: PointType, *, governance_too: bool = False) -> None:
    """The sender must be the type's issuer (or, with `governance_too`, governance)."""
    from vm.governance import GOVERNANCE

    if ctx.sender == asset.issuer or (governance_too and ctx.sender == GOVERNANCE):
        return
    who = "its issuer or governance" if governance_too else "its issuer"
    raise ExecutionFailure(f"only {who} may do this to {asset.symbol}", codes.NOT_ISSUER)


# --- holdings -----------------------------------------------------------------------

Lots = list[list[int]]  # [[expiry height, amount], ...] sorted by expiry


def _read_lots(state: StateReader, key: bytes) -> Lots:
    raw = state.get(key)
    if raw is None:
        return []
    value = codec.decode_trusted(raw)
    if type(value) is int:
        return [[0, value]]
    return value  # type: ignore[no-any-return]


def _write_holding(state: StateView, key: bytes, asset: PointType, lots: Lots) -> None:
    if asset.expiry_blocks == 0:
        total = lots[0][1] if lots else 0
        state.put(key, codec.encode(total) if total else None)
    else:
        state.put(key, codec.encode_trusted(lots) if lots else None)


def _live(lots: Lots, height: int) -> tuple[Lots, int]:
    """Drop lots expired at `height`; returns (live lots, amount dropped)."""
    if not lots or lots[0][0] == 0 or lots[0][0] > height:
        return lots, 0
    i = 0
    while i < len(lots) and lots[i][0] <= height:
        i += 1
    return lots[i:], sum(a for _, a in lots[:i])


def lots_of(state: StateReader, account: bytes, symbol: str, height: int) -> Lots:
    """The unexpired lots of a holder at `height` ([[0, n]] for a type without expiry)."""
    return _live(_read_lots(state, balance_key(account, symbol)), height)[0]


def get_balance(state: StateReader, account: bytes, symbol: str, height: int | None = None) -> int:
    """Spendable balance at `height` (without a height: every lot still stored)."""
    lots = _read_lots(state, balance_key(account, symbol))
    if height is not None:
        lots = _live(lots, height)[0]
    return sum(a for _, a in lots)


def _add_lots(mine: Lots, more: Lots) -> Lots:
    merged: dict[int, int] = {}
    for e, a in mine:
        merged[e] = merged.get(e, 0) + a
    for e, a in more:
        merged[e] = merged.get(e, 0) + a
    return [[e, merged[e]] for e in sorted(merged)]


def _split(lots: Lots, amount: int, order: int) -> tuple[Lots, Lots]:
    """Take `amount` from `lots` in spend order: (taken, remaining); caller checked sum."""
    seq = lots if order == OLDEST_FIRST else lots[::-1]
    taken: Lots = []
    rest: Lots = []
    need = amount
    for e, a in seq:
        if need == 0:
            rest.append([e, a])
        elif a <= need:
            taken.append([e, a])
            need -= a
        else:
            taken.append([e, need])
            rest.append([e, a - need])
            need = 0
    if order != OLDEST_FIRST:
        taken.reverse()
        rest.reverse()
    return taken, rest


def _sweep_event(ctx: ExecContext, asset: PointType, account: bytes, swept: int) -> None:
    if swept:
        ctx.emit("asset.expired", asset.symbol, account, swept)


def take_lots(ctx: ExecContext, asset: PointType, account: bytes, amount: int) -> Lots:
    """Remove `amount` from a holder (spend order), dropping expired lots on the way."""
    key = balance_key(account, asset.symbol)
    state = ctx.state
    if asset.expiry_blocks == 0:  # fast path: one integer
        balance = get_int(state, key)
        if balance < amount:
            raise ExecutionFailure(
                f"balance {balance} {asset.symbol} is less than {amount}",
                codes.INSUFFICIENT_BALANCE,
            )
        state.put(key, codec.encode(balance - amount) if balance != amount else None)
        return [[0, amount]]
    lots, swept = _live(_read_lots(state, key), ctx.block.height)
    _sweep_event(ctx, asset, account, swept)
    balance = sum(a for _, a in lots)
    if balance < amount:
        raise ExecutionFailure(
            f"balance {balance} {asset.symbol} is less than {amount}", codes.INSUFFICIENT_BALANCE
        )
    taken, rest = _split(lots, amount, asset.spend_order)
    _write_holding(state, key, asset, rest)
    return taken


def put_lots(ctx: ExecContext, asset: PointType, account: bytes, lots: Lots) -> int:
    """Add lots to a holder; returns the holder's new balance."""
    key = balance_key(account, asset.symbol)
    state = ctx.state
    if asset.expiry_blocks == 0:
        balance = get_int(state, key) + sum(a for _, a in lots)
        if balance > AMOUNT_MAX:
            raise ExecutionFailure("balance would overflow", codes.INVALID_AMOUNT)
        state.put(key, codec.encode(balance))
        return balance
    mine, swept = _live(_read_lots(state, key), ctx.block.height)
    _sweep_event(ctx, asset, account, swept)
    merged = _add_lots(mine, lots)
    balance = sum(a for _, a in merged)
    if balance > AMOUNT_MAX:
        raise ExecutionFailure("balance would overflow", codes.INVALID_AMOUNT)
    _write_holding(state, key, asset, merged)
    return balance


# --- holder checks: freeze, authorisation, tiers --------------------------------------


def frozen_reason(state: StateReader, symbol: str, account: bytes) -> str | None:
    raw = state.get(_sym_account(tables.FROZEN, symbol, account))
    return None if raw is None else str(codec.decode_trusted(raw))


def set_frozen(state: StateView, symbol: str, account: bytes, reason: str | None) -> None:
    key = _sym_account(tables.FROZEN, symbol, account)
    state.put(key, None if reason is None else codec.encode(reason))


def is_authorised(state: StateReader, symbol: str, account: bytes) -> bool:
    return state.get(_sym_account(tables.AUTHORISED, symbol, account)) is not None


def set_authorised(state: StateView, symbol: str, account: bytes, on: bool) -> None:
    state.put(_sym_account(tables.AUTHORISED, symbol, account), codec.encode(True) if on else None)


def tier_of(state: StateReader, account: bytes) -> str:
    raw = state.get(tables.TIER_OF + account)
    return DEFAULT_TIER if raw is None else str(codec.decode_trusted(raw))


def set_tier(state: StateView, account: bytes, tier: str) -> None:
    state.put(tables.TIER_OF + account, None if tier == DEFAULT_TIER else codec.encode(tier))


@dataclass(frozen=True, slots=True)
class TierLimits:
    max_balance: int = 0  # 0: no limit
    max_per_tx: int = 0
    max_daily: int = 0


_tier_cache: dict[bytes, dict[str, TierLimits]] = {}


def tier_table(state: StateReader, symbol: str) -> dict[str, TierLimits]:
    """{tier: limits} of a point type (shared: read it, do not change it)."""
    raw = state.get(tables.TIER_LIMITS + symbol.encode())
    if raw is None:
        return {}
    table = _tier_cache.get(raw)
    if table is None:
        if len(_tier_cache) > 4096:
            _tier_cache.clear()
        table = _tier_cache[raw] = {
            t: TierLimits(b, p, d) for t, b, p, d in codec.decode_trusted(raw)
        }
    return table


def define_tier(state: StateView, symbol: str, tier: str, limits: TierLimits) -> None:
    table = dict(tier_table(state, symbol))
    if limits == TierLimits():
        table.pop(tier, None)
    else:
        table[tier] = limits
    rows = [[t, v.max_balance, v.max_per_tx, v.max_daily] for t, v in sorted(table.items())]
    state.put(tables.TIER_LIMITS + symbol.encode(), codec.encode(rows) if rows else None)


def daily_key(account: bytes, symbol: str) -> bytes:
    return tables.DAILY_SPENT + account + SEP + symbol.encode()


def window_used(state: StateReader, key: bytes, window: int) -> int:
    """A counter that restarts each window (day, period): one key holds [window, used],
    so the state keeps one key per counter, not one per counter and day."""
    raw = state.get(key)
    if raw is None:
        return 0
    stored, used = codec.decode_trusted(raw)
    return int(used) if stored == window else 0


def window_add(state: StateView, key: bytes, window: int, amount: int, limit: int) -> int | None:
    """Add `amount` to the window's counter if the total stays within `limit`; returns the
    new total, or None (and changes nothing) when it would exceed the limit."""
    used = window_used(state, key, window) + amount
    if used > limit:
        return None
    state.put(key, codec.encode_trusted([window, used]))
    return used


def _exempt(asset: PointType, account: bytes) -> bool:
    return account == asset.issuer


def _check_sender(ctx: ExecContext, asset: PointType, account: bytes, amount: int) -> None:
    state = ctx.state
    # the freezable rule says whether the issuer may freeze; governance may freeze any
    # holder, so a recorded freeze always holds
    if reason := frozen_reason(state, asset.symbol, account):
        raise ExecutionFailure(f"{asset.symbol} of this holder is frozen ({reason})", codes.FROZEN)
    table = tier_table(state, asset.symbol)
    if not table or _exempt(asset, account):
        return
    tier = tier_of(state, account)
    limits = table.get(tier)
    if limits is None:
        return
    if limits.max_per_tx and amount > limits.max_per_tx:
        raise ExecutionFailure(
            f"tier {tier} may send at most {limits.max_per_tx} {asset.symbol} per transaction",
            codes.TIER_TX_LIMIT,
        )
    if limits.max_daily:
        key = daily_key(account, asset.symbol)
        if window_add(state, key, day_of(ctx.block.time_ms), amount, limits.max_daily) is None:
            raise ExecutionFailure(
                f"tier {tier} may send at most {limits.max_daily} {asset.symbol} a day",
                codes.TIER_DAILY_LIMIT,
            )


def _check_receiver(ctx: ExecContext, asset: PointType, account: bytes) -> None:
    state = ctx.state
    if len(account) > ADDRESS_SIZE:  # a custody sub-account: its custodian must hold the role
        from vm.governance import has_role

        if not has_role(state, account[:ADDRESS_SIZE], "custodian"):
            raise ExecutionFailure(
                "the recipient is a custody account of a key without the custodian role",
                codes.NOT_CUSTODIAN,
            )
    if reason := frozen_reason(state, asset.symbol, account):
        raise ExecutionFailure(
            f"{asset.symbol} of the recipient is frozen ({reason})", codes.FROZEN
        )
    if (
        asset.flags & REQUIRE_AUTH
        and not _exempt(asset, account)
        and not is_authorised(state, asset.symbol, account)
    ):
        raise ExecutionFailure(
            f"the issuer of {asset.symbol} has not authorised this holder",
            codes.HOLDER_NOT_AUTHORIZED,
        )


def _check_balance_limit(
    ctx: ExecContext, asset: PointType, account: bytes, new_balance: int
) -> None:
    table = tier_table(ctx.state, asset.symbol)
    if not table or _exempt(asset, account):
        return
    tier = tier_of(ctx.state, account)
    limits = table.get(tier)
    if limits is not None and limits.max_balance and new_balance > limits.max_balance:
        raise ExecutionFailure(
            f"tier {tier} may hold at most {limits.max_balance} {asset.symbol}",
            codes.TIER_BALANCE_LIMIT,
        )


def _check_not_frozen(asset: PointType) -> None:
    if asset.frozen_reason:
        raise ExecutionFailure(f"{asset.symbol} is frozen ({asset.frozen_reason})", codes.FROZEN)


# --- the three ways points change hands -----------------------------------------------


def move(
    ctx: ExecContext,
    symbol: str,
    src: bytes,
    dst: bytes,
    amount: int,
    *,
    check_src: bool = True,
    check_dst: bool = True,
    event: str = "transfer",
) -> PointType:
    """Move points between holders with every rule of the type applied: global and
    holder freezes, transferability, holder authorisation, tier limits. `check_src` /
    `check_dst` False skip the holder checks of an escrow leg (module accounts)."""
    check_amount(amount)
    if src == dst:
        raise ExecutionFailure("sender and recipient are the same account", codes.SELF_TRANSFER)
    asset = require_asset(ctx.state, symbol)
    _check_not_frozen(asset)
    if (
        not asset.flags & TRANSFERABLE
        and check_src
        and check_dst
        and src != asset.issuer
        and dst != asset.issuer
    ):
        raise ExecutionFailure(
            f"{symbol} moves only between its issuer and holders", codes.NOT_TRANSFERABLE
        )
    if check_src:
        _check_sender(ctx, asset, src, amount)
    if check_dst:
        _check_receiver(ctx, asset, dst)
    lots = take_lots(ctx, asset, src, amount)
    balance = put_lots(ctx, asset, dst, lots)
    if check_dst:
        _check_balance_limit(ctx, asset, dst, balance)
    if event:
        ctx.emit(event, symbol, src, dst, amount)
    return asset


def _quota(ctx: ExecContext, asset: PointType, amount: int) -> None:
    state = ctx.state
    raw = state.get(tables.QUOTA + asset.issuer + asset.symbol.encode())
    if raw is None:
        return
    quota = int(codec.decode_trusted(raw))
    key = tables.QUOTA_USED + asset.issuer + asset.symbol.encode()
    if window_add(state, key, day_of(ctx.block.time_ms), amount, quota) is None:
        raise ExecutionFailure(
            f"the issuer's daily quota of {quota} {asset.symbol} would be exceeded",
            codes.QUOTA_EXCEEDED,
        )


def set_quota(state: StateView, issuer: bytes, symbol: str, daily: int | None) -> None:
    key = tables.QUOTA + issuer + symbol.encode()
    state.put(key, None if daily is None else codec.encode(daily))


def get_quota(state: StateReader, issuer: bytes, symbol: str) -> int | None:
    raw = state.get(tables.QUOTA + issuer + symbol.encode())
    return None if raw is None else int(codec.decode_trusted(raw))


def issue(
    ctx: ExecContext, symbol: str, dst: bytes, amount: int, *, event: str = "asset.issued"
) -> PointType:
    """Create new points for `dst` in a lot dated now: within the cap and the issuer's
    daily quota, with the recipient's checks. The caller checked who may issue."""
    check_amount(amount)
    state = ctx.state
    asset = require_asset(state, symbol)
    _check_not_frozen(asset)
    if asset.outstanding + amount > asset.cap:
        raise ExecutionFailure(
            f"issuing {amount} would exceed the cap of {asset.cap} {symbol}", codes.CAP_EXCEEDED
        )
    _quota(ctx, asset, amount)
    _check_receiver(ctx, asset, dst)
    expiry = 0
    if asset.expiry_blocks:
        expiry = ctx.block.height + asset.expiry_blocks
        book_lot(state, symbol, expiry, amount)
    balance = put_lots(ctx, asset, dst, [[expiry, amount]])
    _check_balance_limit(ctx, asset, dst, balance)
    asset = replace(asset, issued=asset.issued + amount)
    put_asset(state, asset)
    if event:
        ctx.emit(event, symbol, dst, amount)
    return asset


def book_lot(state: StateView, symbol: str, expiry: int, delta: int) -> None:
    """Change the expiry bucket of `symbol` at height `expiry` (not yet reached) by
    `delta`: what `book_expiry` will book as breakage there."""
    key = bucket_key(symbol, expiry)
    bucket = get_int(state, key)
    if delta > 0 and bucket == 0:
        due = due_key(expiry)
        raw = state.get(due)
        symbols = [] if raw is None else list(codec.decode_trusted(raw))
        if symbol not in symbols:
            symbols.append(symbol)
            state.put(due, codec.encode(sorted(symbols)))
    put_int(state, key, bucket + delta)


def _unbook(state: StateView, symbol: str, lots: Lots) -> None:
    for expiry, amount in lots:
        if expiry:
            key = bucket_key(symbol, expiry)
            put_int(state, key, get_int(state, key) - amount)


def remove(
    ctx: ExecContext,
    symbol: str,
    src: bytes,
    amount: int,
    kind: str,
    reason: str = "",
) -> PointType:
    """Take points out of circulation: kind "redeemed" (the holder redeems or burns them)
    or "clawed_back" (the issuer or governance takes them back)."""
    check_amount(amount)
    state = ctx.state
    asset = require_asset(state, symbol)
    if kind == "redeemed":
        _check_not_frozen(asset)
        _check_sender(ctx, asset, src, amount)
    lots = take_lots(ctx, asset, src, amount)
    _unbook(state, symbol, lots)
    if kind == "redeemed":
        asset = replace(asset, redeemed=asset.redeemed + amount)
        ctx.emit("asset.burned", symbol, src, amount)
    else:
        asset = replace(asset, clawed_back=asset.clawed_back + amount)
        ctx.emit("asset.clawed_back", symbol, src, amount, reason)
    put_asset(state, asset)
    return asset


def book_expiry(state: StateView, height: int) -> list[tuple[str, int]]:
    """Start of block `height`: book the points expiring now as breakage. Returns
    [(symbol, amount)] booked."""
    due = due_key(height)
    raw = state.get(due)
    if raw is None:
        return []
    booked = []
    for symbol in codec.decode_trusted(raw):
        key = bucket_key(symbol, height)
        amount = get_int(state, key)
        state.delete(key)
        if amount:
            asset = require_asset(state, symbol)
            put_asset(state, replace(asset, expired=asset.expired + amount))
            booked.append((symbol, amount))
    state.delete(due)
    return booked


# --- genesis and tests ----------------------------------------------------------------


def credit(state: StateView, account: bytes, symbol: str, amount: int) -> None:
    """Add points without a lot date (genesis grants of a type without expiry)."""
    key = balance_key(account, symbol)
    balance = get_int(state, key) + amount
    if balance > AMOUNT_MAX:
        raise ExecutionFailure("balance would overflow", codes.INVALID_AMOUNT)
    state.put(key, codec.encode(balance))


def holdings_view(state: StateReader, raw_items: Any, height: int) -> dict[str, int]:
    """{symbol: spendable balance} from (key suffix symbol, raw value) pairs."""
    out: dict[str, int] = {}
    for symbol, raw in raw_items:
        value = codec.decode(raw)
        lots = [[0, value]] if type(value) is int else value
        total = sum(a for _, a in _live(lots, height)[0])
        if total:
            out[symbol] = total
    return out
