"""The points mall: suppliers, redemption ("welfare") listings and English auctions.

Theory of operation.

Suppliers. A member applies (mall.apply); an account holding the governance role
"platform" approves or revokes (mall.approve, mall.revoke). Only an approved supplier
lists items or opens auctions; a revoked supplier's listings can no longer be redeemed
and its auctions take no more bids (an auction with a bid can still be settled: the
sale was made).

Listings. A supplier lists an item under a listing id with a price in one point type,
a stock and a flag: the points paid either go to the supplier or are burned
(ledger.remove "redeemed"). mall.redeem(listing, quantity) takes price * quantity from
the holder, lowers the stock and writes an order whose id is `<listing id>.<n>` (n
counts the listing's orders from 1), so it is deterministic and never reused.

Auctions. English auction with a reserve, a minimum increment and an end height
(inclusive: a bid at the end height is taken, one after it is not). With `extension`
E > 0 a bid at height h moves the end to max(end, h + E). The first bid must reach the
reserve, every later one the highest bid plus the increment. A bid's points go to the
auction's own escrow account (module account "mall" / auction id, so its lots never mix
with another auction's) and the previous highest bid is refunded from it in the same
transaction, with the lots it brought. Nothing happens per block: after the end anyone
sends mall.settle, which pays the escrow to the supplier and records the winner, or,
with no bid, marks the auction unsold (the item stays with the supplier). The supplier
may cancel an auction that has no bid.

Settlement between members. Points paid or burned at a supplier that is not the point
type's issuer are booked as the supplier's receivable against the issuer through
`vm.settlement.record` (see `_settle`).

State (vm/tables.py):

    b + supplier(20)   -> [status, name, applied height, decided height]
    I + listing id     -> [supplier, title, symbol, price, stock, burn, status, sold, orders,
                           created height]
    J + order id       -> [listing id, buyer, quantity, symbol, amount, supplier, burned,
                           height]
    a + auction id     -> [supplier, title, symbol, reserve, min increment, end, extension,
                           status, bidder, bid, bids, created height]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import ClassVar

from primitives import codec
from primitives.keys import ADDRESS_SIZE
from vm import accounts, codes, governance, ledger, settlement, tables
from vm.context import ExecContext
from vm.errors import ExecutionFailure
from vm.ops.fields import ADDRESS, AMOUNT, BOOL, HEIGHT, SYMBOL, Int, OpBase, Str, arg
from vm.ops.registry import OpCode
from vm.state import StateReader, StateView

ESCROW = accounts.module_account("mall")
ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
MAX_EXTENSION = 100_000

APPLIED, APPROVED, REVOKED = "applied", "approved", "revoked"
LISTED, DELISTED = "listed", "delisted"
OPEN, SOLD, UNSOLD, CANCELLED = "open", "sold", "unsold", "cancelled"

ITEM_ID = Str(32, 1)
TITLE = Str(128, 1)


def _settle(ctx: ExecContext, asset: ledger.PointType, at: bytes, amount: int) -> None:
    """Book `amount` points of `asset` redeemed or paid at member `at` as `at`'s
    receivable against the issuer (nothing when `at` is the issuer)."""
    if at == asset.issuer:
        return
    settlement.record(ctx, asset.symbol, at, amount)


def check_id(item_id: str, what: str) -> str:
    if not ID_RE.match(item_id):
        raise ExecutionFailure(f"a {what} id is 1-32 characters A-Z a-z 0-9 _ -", codes.BAD_REQUEST)
    return item_id


# --- suppliers --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Supplier:
    address: bytes
    status: str
    name: str
    applied: int
    decided: int = 0

    def to_wire(self) -> list[object]:
        return [self.status, self.name, self.applied, self.decided]

    @classmethod
    def from_wire(cls, address: bytes, wire: object) -> Supplier:
        f = codec.expect_list(wire, 4, what="supplier")
        return cls(
            address,
            codec.expect_str(f[0], max_len=16, what="status"),
            codec.expect_str(f[1], max_len=64, what="name"),
            codec.expect_int(f[2], what="applied"),
            codec.expect_int(f[3], what="decided"),
        )


def supplier_key(address: bytes) -> bytes:
    return tables.MALL_SUPPLIER + address


def get_supplier(state: StateReader, address: bytes) -> Supplier | None:
    raw = state.get(supplier_key(address))
    return None if raw is None else Supplier.from_wire(address, codec.decode_trusted(raw))


def _put_supplier(state: StateView, s: Supplier) -> None:
    state.put(supplier_key(s.address), codec.encode(s.to_wire()))


def is_supplier(state: StateReader, address: bytes) -> bool:
    s = get_supplier(state, address)
    return s is not None and s.status == APPROVED


def _require_supplier(state: StateReader, address: bytes) -> None:
    if not is_supplier(state, address):
        raise ExecutionFailure("this needs an approved mall supplier", codes.NOT_SUPPLIER)


def _pending_or_approved(state: StateReader, address: bytes, want: tuple[str, ...]) -> Supplier:
    s = get_supplier(state, address)
    if s is None:
        raise ExecutionFailure("this account never applied as a supplier", codes.UNKNOWN_SUPPLIER)
    if s.status not in want:
        raise ExecutionFailure(f"the supplier is {s.status}", codes.SUPPLIER_STATUS)
    return s


# --- listings and orders ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Listing:
    id: str
    supplier: bytes
    title: str
    symbol: str
    price: int
    stock: int
    burn: bool
    status: str
    sold: int
    orders: int
    created: int

    def to_wire(self) -> list[object]:
        return [
            self.supplier,
            self.title,
            self.symbol,
            self.price,
            self.stock,
            self.burn,
            self.status,
            self.sold,
            self.orders,
            self.created,
        ]

    @classmethod
    def from_wire(cls, listing_id: str, wire: object) -> Listing:
        f = codec.expect_list(wire, 10, what="listing")
        return cls(
            listing_id,
            codec.expect_bytes(f[0], ADDRESS_SIZE, what="supplier"),
            codec.expect_str(f[1], max_len=128, what="title"),
            codec.expect_str(f[2], max_len=12, what="symbol"),
            codec.expect_int(f[3], what="price"),
            codec.expect_int(f[4], what="stock"),
            codec.expect_bool(f[5], what="burn"),
            codec.expect_str(f[6], max_len=16, what="status"),
            codec.expect_int(f[7], what="sold"),
            codec.expect_int(f[8], what="orders"),
            codec.expect_int(f[9], what="created"),
        )


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    listing: str
    buyer: bytes
    quantity: int
    symbol: str
    amount: int
    supplier: bytes
    burned: bool
    height: int

    def to_wire(self) -> list[object]:
        return [
            self.listing,
            self.buyer,
            self.quantity,
            self.symbol,
            self.amount,
            self.supplier,
            self.burned,
            self.height,
        ]

    @classmethod
    def from_wire(cls, order_id: str, wire: object) -> Order:
        f = codec.expect_list(wire, 8, what="order")
        return cls(
            order_id,
            codec.expect_str(f[0], max_len=32, what="listing"),
            codec.expect_bytes(f[1], max_len=accounts.MAX_ACCOUNT, what="buyer"),
            codec.expect_int(f[2], what="quantity"),
            codec.expect_str(f[3], max_len=12, what="symbol"),
            codec.expect_int(f[4], what="amount"),
            codec.expect_bytes(f[5], ADDRESS_SIZE, what="supplier"),
            codec.expect_bool(f[6], what="burned"),
            codec.expect_int(f[7], what="height"),
        )


def listing_key(listing_id: str) -> bytes:
    return tables.MALL_LISTING + listing_id.encode()


def order_key(order_id: str) -> bytes:
    return tables.MALL_ORDER + order_id.encode()


def order_id(listing_id: str, n: int) -> str:
    """The id of a listing's n-th order (from 1): '.' never occurs in a listing id, so
    the id names exactly one (listing, n)."""
    return f"{listing_id}.{n}"


def get_listing(state: StateReader, listing_id: str) -> Listing | None:
    raw = state.get(listing_key(listing_id))
    return None if raw is None else Listing.from_wire(listing_id, codec.decode_trusted(raw))


def listing_from_item(key: bytes, raw: bytes) -> Listing:
    return Listing.from_wire(key[1:].decode(), codec.decode(raw))


def get_order(state: StateReader, oid: str) -> Order | None:
    raw = state.get(order_key(oid))
    return None if raw is None else Order.from_wire(oid, codec.decode_trusted(raw))


def _put_listing(state: StateView, li: Listing) -> None:
    state.put(listing_key(li.id), codec.encode(li.to_wire()))


def _require_listing(state: StateReader, listing_id: str) -> Listing:
    li = get_listing(state, listing_id)
    if li is None:
        raise ExecutionFailure(f"no listing {listing_id!r}", codes.UNKNOWN_LISTING)
    return li


def _owned_listing(ctx: ExecContext, listing_id: str) -> Listing:
    li = _require_listing(ctx.state, listing_id)
    if li.supplier != ctx.sender:
        raise ExecutionFailure("only the listing's supplier may do this", codes.NOT_AUTHORIZED)
    if li.status != LISTED:
        raise ExecutionFailure(f"listing {li.id!r} is delisted", codes.LISTING_DELISTED)
    return li


def _check_payable(asset: ledger.PointType, supplier: bytes, burn: bool) -> None:
    """Points of a non-transferable type can be paid only to its issuer."""
    if not burn and not asset.has(ledger.TRANSFERABLE) and supplier != asset.issuer:
        raise ExecutionFailure(
            f"{asset.symbol} moves only between its issuer and holders: burn it or let its "
            "issuer sell",
            codes.NOT_TRANSFERABLE,
        )


# --- auctions ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Auction:
    id: str
    supplier: bytes
    title: str
    symbol: str
    reserve: int
    min_increment: int
    end: int
    extension: int
    status: str
    bidder: bytes
    bid: int
    bids: int
    created: int

    def to_wire(self) -> list[object]:
        return [
            self.supplier,
            self.title,
            self.symbol,
            self.reserve,
            self.min_increment,
            self.end,
            self.extension,
            self.status,
            self.bidder,
            self.bid,
            self.bids,
            self.created,
        ]

    @classmethod
    def from_wire(cls, auction_id: str, wire: object) -> Auction:
        f = codec.expect_list(wire, 12, what="auction")
        return cls(
            auction_id,
            codec.expect_bytes(f[0], ADDRESS_SIZE, what="supplier"),
            codec.expect_str(f[1], max_len=128, what="title"),
            codec.expect_str(f[2], max_len=12, what="symbol"),
            codec.expect_int(f[3], what="reserve"),
            codec.expect_int(f[4], what="min increment"),
            codec.expect_int(f[5], what="end"),
            codec.expect_int(f[6], what="extension"),
            codec.expect_str(f[7], max_len=16, what="status"),
            codec.expect_bytes(f[8], max_len=accounts.MAX_ACCOUNT, what="bidder"),
            codec.expect_int(f[9], what="bid"),
            codec.expect_int(f[10], what="bids"),
            codec.expect_int(f[11], what="created"),
        )

    def min_bid(self) -> int:
        """The least amount the next bid must offer."""
        return self.bid + self.min_increment if self.bidder else max(self.reserve, 1)

    def status_at(self, height: int) -> str:
        """An open auction past its end reads "ended" until it is settled."""
        if self.status == OPEN and height > self.end:
            return "ended"
        return self.status


def auction_key(auction_id: str) -> bytes:
    return tables.MALL_AUCTION + auction_id.encode()


def escrow_account(auction_id: str) -> bytes:
    """The auction's own escrow: module account "mall" / auction id."""
    return ESCROW + auction_id.encode()


def get_auction(state: StateReader, auction_id: str) -> Auction | None:
    raw = state.get(auction_key(auction_id))
    return None if raw is None else Auction.from_wire(auction_id, codec.decode_trusted(raw))


def _put_auction(state: StateView, au: Auction) -> None:
    state.put(auction_key(au.id), codec.encode(au.to_wire()))


def _require_open_auction(state: StateReader, auction_id: str) -> Auction:
    au = get_auction(state, auction_id)
    if au is None:
        raise ExecutionFailure(f"no auction {auction_id!r}", codes.UNKNOWN_AUCTION)
    if au.status != OPEN:
        raise ExecutionFailure(f"auction {auction_id!r} is {au.status}", codes.AUCTION_CLOSED)
    return au


def _release(ctx: ExecContext, au: Auction, to: bytes, *, check_dst: bool) -> int:
    """Move what is left in the auction's escrow (the highest bid, less lots that expired
    in escrow) to `to`; returns the amount."""
    escrow = escrow_account(au.id)
    left = ledger.get_balance(ctx.state, escrow, au.symbol, ctx.block.height)
    if left:
        ledger.move(ctx, au.symbol, escrow, to, left, check_src=False, check_dst=check_dst)
    return left


# --- operations: suppliers ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MallApply(OpBase):
    """Apply to be a mall supplier (members only); the platform approves."""

    CODE: ClassVar[OpCode] = OpCode.MALL_APPLY
    name: str = arg(Str(64, 1), "the shop's display name")

    def execute(self, ctx: ExecContext) -> None:
        if not governance.is_member(ctx.state, ctx.sender):
            raise ExecutionFailure("only members may apply as suppliers", codes.NOT_MEMBER)
        s = get_supplier(ctx.state, ctx.sender)
        if s is not None and s.status in (APPLIED, APPROVED):
            raise ExecutionFailure(f"already {s.status} as a supplier", codes.SUPPLIER_EXISTS)
        _put_supplier(ctx.state, Supplier(ctx.sender, APPLIED, self.name, ctx.block.height))
        ctx.emit("mall.applied", ctx.sender, self.name)


@dataclass(frozen=True, slots=True)
class MallApprove(OpBase):
    """Approve a supplier's application (platform role)."""

    CODE: ClassVar[OpCode] = OpCode.MALL_APPROVE
    supplier: bytes = arg(ADDRESS, "the applicant")

    def execute(self, ctx: ExecContext) -> None:
        governance.require_role(ctx, "platform")
        s = _pending_or_approved(ctx.state, self.supplier, (APPLIED,))
        _put_supplier(ctx.state, replace(s, status=APPROVED, decided=ctx.block.height))
        ctx.emit("mall.approved", self.supplier, ctx.sender)


@dataclass(frozen=True, slots=True)
class MallRevoke(OpBase):
    """Revoke a supplier, or refuse an application (platform role)."""

    CODE: ClassVar[OpCode] = OpCode.MALL_REVOKE
    supplier: bytes = arg(ADDRESS, "the supplier")

    def execute(self, ctx: ExecContext) -> None:
        governance.require_role(ctx, "platform")
        s = _pending_or_approved(ctx.state, self.supplier, (APPLIED, APPROVED))
        _put_supplier(ctx.state, replace(s, status=REVOKED, decided=ctx.block.height))
        ctx.emit("mall.revoked", self.supplier, ctx.sender)


# --- operations: listings -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MallList(OpBase):
    """List an item for redemption (approved suppliers): `price` points of `symbol` per
    unit, `stock` units; with `burn` the points are burned instead of paid to you."""

    CODE: ClassVar[OpCode] = OpCode.MALL_LIST
    listing_id: str = arg(ITEM_ID, "listing id (A-Z a-z 0-9 _ -), never reused")
    title: str = arg(TITLE)
    symbol: str = arg(SYMBOL)
    price: int = arg(Int(1), "points per unit, in base units")
    stock: int = arg(AMOUNT, "units on offer")
    burn: bool = arg(BOOL, "burn the points paid instead of paying the supplier", False)

    def execute(self, ctx: ExecContext) -> None:
        _require_supplier(ctx.state, ctx.sender)
        check_id(self.listing_id, "listing")
        asset = ledger.require_asset(ctx.state, self.symbol)
        _check_payable(asset, ctx.sender, self.burn)
        if get_listing(ctx.state, self.listing_id) is not None:
            raise ExecutionFailure(
                f"listing {self.listing_id!r} exists (ids are never reused)", codes.LISTING_EXISTS
            )
        li = Listing(
            self.listing_id,
            ctx.sender,
            self.title,
            self.symbol,
            self.price,
            self.stock,
            self.burn,
            LISTED,
            0,
            0,
            ctx.block.height,
        )
        _put_listing(ctx.state, li)
        ctx.emit(
            "mall.listed",
            self.listing_id,
            ctx.sender,
            self.symbol,
            self.price,
            self.stock,
            self.burn,
        )


@dataclass(frozen=True, slots=True)
class MallDelist(OpBase):
    """Withdraw a listing for good (its supplier)."""

    CODE: ClassVar[OpCode] = OpCode.MALL_DELIST
    listing_id: str = arg(ITEM_ID)

    def execute(self, ctx: ExecContext) -> None:
        li = _owned_listing(ctx, self.listing_id)
        _put_listing(ctx.state, replace(li, status=DELISTED))
        ctx.emit("mall.delisted", li.id, ctx.sender)


@dataclass(frozen=True, slots=True)
class MallRestock(OpBase):
    """Add units to a listing's stock (its supplier, while approved)."""

    CODE: ClassVar[OpCode] = OpCode.MALL_RESTOCK
    listing_id: str = arg(ITEM_ID)
    quantity: int = arg(Int(1), "units added")

    def execute(self, ctx: ExecContext) -> None:
        _require_supplier(ctx.state, ctx.sender)
        li = _owned_listing(ctx, self.listing_id)
        stock = li.stock + self.quantity
        if stock > codec.U64_MAX:
            raise ExecutionFailure("stock would overflow", codes.INVALID_AMOUNT)
        _put_listing(ctx.state, replace(li, stock=stock))
        ctx.emit("mall.restocked", li.id, self.quantity, stock)


@dataclass(frozen=True, slots=True)
class MallRedeem(OpBase):
    """Redeem points for `quantity` units of a listing: price * quantity points go to the
    supplier (or are burned); an order `<listing>.<n>` records it."""

    CODE: ClassVar[OpCode] = OpCode.MALL_REDEEM
    listing_id: str = arg(ITEM_ID)
    quantity: int = arg(Int(1), "units", 1)

    def execute(self, ctx: ExecContext) -> None:
        state = ctx.state
        li = _require_listing(state, self.listing_id)
        if li.status != LISTED:
            raise ExecutionFailure(f"listing {li.id!r} is delisted", codes.LISTING_DELISTED)
        if not is_supplier(state, li.supplier):
            raise ExecutionFailure(
                "the listing's supplier is no longer approved", codes.NOT_SUPPLIER
            )
        if ctx.sender == li.supplier:
            raise ExecutionFailure("a supplier cannot redeem its own listing", codes.OWN_ITEM)
        if li.stock < self.quantity:
            raise ExecutionFailure(
                f"listing {li.id!r} has {li.stock} left, {self.quantity} asked", codes.SOLD_OUT
            )
        amount = li.price * self.quantity
        if amount > ledger.AMOUNT_MAX:
            raise ExecutionFailure("the price of this quantity overflows", codes.INVALID_AMOUNT)
        asset = ledger.require_asset(state, li.symbol)
        if li.burn:
            ledger.remove(ctx, li.symbol, ctx.sender, amount, "redeemed", "mall")
        else:
            ledger.move(ctx, li.symbol, ctx.sender, li.supplier, amount)
        _settle(ctx, asset, li.supplier, amount)
        n = li.orders + 1
        oid = order_id(li.id, n)
        order = Order(
            oid,
            li.id,
            ctx.sender,
            self.quantity,
            li.symbol,
            amount,
            li.supplier,
            li.burn,
            ctx.block.height,
        )
        state.put(order_key(oid), codec.encode(order.to_wire()))
        _put_listing(
            state,
            replace(li, stock=li.stock - self.quantity, sold=li.sold + self.quantity, orders=n),
        )
        ctx.emit(
            "mall.redeemed",
            oid,
            li.id,
            ctx.sender,
            self.quantity,
            li.symbol,
            amount,
            li.burn,
        )


# --- operations: auctions -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MallAuction(OpBase):
    """Open an English auction (approved suppliers): bids in `symbol`, the first at least
    `reserve`, each later one at least the highest plus `min_increment`; bids are taken
    up to `end` (inclusive); with `extension` E, a bid at height h moves the end to h + E
    when that is later."""

    CODE: ClassVar[OpCode] = OpCode.MALL_AUCTION
    auction_id: str = arg(ITEM_ID, "auction id (A-Z a-z 0-9 _ -), never reused")
    title: str = arg(TITLE)
    symbol: str = arg(SYMBOL)
    reserve: int = arg(AMOUNT, "least first bid, in base units")
    min_increment: int = arg(Int(1), "least raise over the highest bid", cli_default=1)
    end: int = arg(HEIGHT, "last height at which bids are taken")
    extension: int = arg(Int(0, MAX_EXTENSION), "anti-sniping extension in blocks; 0 none", 0)

    def execute(self, ctx: ExecContext) -> None:
        _require_supplier(ctx.state, ctx.sender)
        check_id(self.auction_id, "auction")
        asset = ledger.require_asset(ctx.state, self.symbol)
        _check_payable(asset, ctx.sender, False)
        if self.end <= ctx.block.height:
            raise ExecutionFailure(
                f"the end {self.end} must be after this block", codes.BAD_DEADLINE
            )
        if get_auction(ctx.state, self.auction_id) is not None:
            raise ExecutionFailure(
                f"auction {self.auction_id!r} exists (ids are never reused)", codes.AUCTION_EXISTS
            )
        au = Auction(
            self.auction_id,
            ctx.sender,
            self.title,
            self.symbol,
            self.reserve,
            self.min_increment,
            self.end,
            self.extension,
            OPEN,
            b"",
            0,
            0,
            ctx.block.height,
        )
        _put_auction(ctx.state, au)
        ctx.emit(
            "mall.auction_opened",
            au.id,
            ctx.sender,
            self.symbol,
            self.reserve,
            self.min_increment,
            self.end,
            self.extension,
        )


@dataclass(frozen=True, slots=True)
class MallBid(OpBase):
    """Bid on an open auction: `amount` points move into its escrow and the previous
    highest bid is refunded to its bidder."""

    CODE: ClassVar[OpCode] = OpCode.MALL_BID
    auction_id: str = arg(ITEM_ID)
    amount: int = arg(AMOUNT)

    def execute(self, ctx: ExecContext) -> None:
        state = ctx.state
        au = _require_open_auction(state, self.auction_id)
        h = ctx.block.height
        if h > au.end:
            raise ExecutionFailure(
                f"auction {au.id!r} took bids until height {au.end}", codes.AUCTION_ENDED
            )
        if not is_supplier(state, au.supplier):
            raise ExecutionFailure(
                "the auction's supplier is no longer approved", codes.NOT_SUPPLIER
            )
        if ctx.sender == au.supplier:
            raise ExecutionFailure("a supplier cannot bid on its own auction", codes.OWN_ITEM)
        least = au.min_bid()
        if self.amount < least:
            raise ExecutionFailure(
                f"a bid on {au.id!r} must be at least {least} {au.symbol}", codes.BID_TOO_LOW
            )
        if au.bidder:
            refunded = _release(ctx, au, au.bidder, check_dst=False)
            ctx.emit("mall.refunded", au.id, au.bidder, au.symbol, refunded)
        ledger.move(ctx, au.symbol, ctx.sender, escrow_account(au.id), self.amount, check_dst=False)
        end = max(au.end, h + au.extension) if au.extension else au.end
        au = replace(au, bidder=ctx.sender, bid=self.amount, bids=au.bids + 1, end=end)
        _put_auction(state, au)
        ctx.emit("mall.bid", au.id, ctx.sender, au.symbol, self.amount, end)


@dataclass(frozen=True, slots=True)
class MallSettle(OpBase):
    """Close an auction after its end (anyone): the highest bid is paid to the supplier
    and its bidder recorded as the winner; with no bid the auction is unsold."""

    CODE: ClassVar[OpCode] = OpCode.MALL_SETTLE
    auction_id: str = arg(ITEM_ID)

    def execute(self, ctx: ExecContext) -> None:
        state = ctx.state
        au = _require_open_auction(state, self.auction_id)
        if ctx.block.height <= au.end:
            raise ExecutionFailure(
                f"auction {au.id!r} takes bids until height {au.end}", codes.AUCTION_NOT_ENDED
            )
        if not au.bidder:
            _put_auction(state, replace(au, status=UNSOLD))
            ctx.emit("mall.unsold", au.id, au.supplier)
            return
        paid = _release(ctx, au, au.supplier, check_dst=True)
        if paid:
            _settle(ctx, ledger.require_asset(state, au.symbol), au.supplier, paid)
        _put_auction(state, replace(au, status=SOLD))
        ctx.emit("mall.sold", au.id, au.bidder, au.supplier, au.symbol, paid)


@dataclass(frozen=True, slots=True)
class MallCancel(OpBase):
    """Cancel an auction that has no bid (its supplier)."""

    CODE: ClassVar[OpCode] = OpCode.MALL_CANCEL
    auction_id: str = arg(ITEM_ID)

    def execute(self, ctx: ExecContext) -> None:
        au = _require_open_auction(ctx.state, self.auction_id)
        if au.supplier != ctx.sender:
            raise ExecutionFailure(
                "only the auction's supplier may cancel it", codes.NOT_AUTHORIZED
            )
        if au.bidder:
            raise ExecutionFailure(
                f"auction {au.id!r} has a bid: it can only be settled", codes.AUCTION_HAS_BIDS
            )
        _put_auction(ctx.state, replace(au, status=CANCELLED))
        ctx.emit("mall.cancelled", au.id, ctx.sender)


OPS = (
    MallApply,
    MallApprove,
    MallRevoke,
    MallList,
    MallDelist,
    MallRestock,
    MallRedeem,
    MallAuction,
    MallBid,
    MallSettle,
    MallCancel,
)
