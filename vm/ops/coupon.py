"""Coupons: points locked under a secret, claimed once by whoever knows the secret.

Theory of operation. The issuer of a point type picks a secret (high entropy: anyone
who guesses it can claim) and derives an Ed25519 key from it, seed =
digest("scctn/coupon/v1", secret). The coupon id is that key's public key, so the points
are locked under a one-way image of the secret and the secret itself never appears on
chain. A claim carries a signature by the coupon key over (chain id, coupon id,
claimant account) under the tag "scctn/coupon-claim/v1": someone who copies a claim
from the mempool can only resend it, and it still pays the claimant it names (the
front-running a bare secret in a claim would allow is impossible).

    coupon.create  issuer of the symbol; moves `amount` from the issuer's holding into
                   the coupon's escrow account (lots keep their expiry)
    coupon.claim   anyone with a valid signature, at a height <= deadline, once
    coupon.reclaim anyone, at a height > deadline, if unclaimed: the escrow returns to
                   the issuer

Each coupon has its own escrow account, a sub-account of the module account "coupons"
named by the first 16 bytes of its id in hex: its lots (and their expiry dates) never
mix with another coupon's, so what a claim pays is exactly what is left of the lots
this coupon locked (less any that expired in escrow; those were booked as breakage).
No key controls the module account, so only these operations move the escrow.

State (vm/tables.py): K + coupon id(32) -> [symbol, issuer(20), amount, deadline,
created height, status, claimant account, amount paid out]. A record is kept after
the claim or reclaim so an id is never reused (an old claim signature could otherwise
be replayed against a new coupon with the same id).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from primitives import codec
from primitives.hashing import Tags, digest
from primitives.keys import ADDRESS_SIZE, PrivateKey, verify
from vm import accounts, codes, ledger, tables
from vm.context import ExecContext
from vm.errors import ExecutionFailure
from vm.ops.fields import ACCOUNT, AMOUNT, HASH, HEIGHT, SYMBOL, Bytes, OpBase, arg
from vm.ops.registry import OpCode
from vm.state import StateReader, StateView

SEED_TAG = Tags.COUPON_SEED
CLAIM_TAG = Tags.COUPON_CLAIM
ESCROW = accounts.module_account("coupons")
OPEN, CLAIMED, RECLAIMED = "open", "claimed", "reclaimed"


# --- client side: what a wallet computes from the secret --------------------------------


def coupon_key(secret: bytes) -> PrivateKey:
    """The Ed25519 key of a coupon, derived from its secret."""
    return PrivateKey(bytes(digest(SEED_TAG, secret)))


def coupon_id(secret: bytes) -> bytes:
    """The coupon id (32 bytes) to put in coupon.create; reveals nothing of the secret."""
    return coupon_key(secret).public.raw


def claim_message(chain_id: str, cid: bytes, to: bytes) -> bytes:
    """The bytes a claim signature covers: binds the chain, the coupon and the claimant."""
    return bytes(digest(CLAIM_TAG, codec.encode([chain_id, cid, to])))


def claim_signature(secret: bytes, chain_id: str, to: bytes) -> bytes:
    """The signature for coupon.claim paying the coupon of `secret` to account `to`."""
    k = coupon_key(secret)
    return k.sign(claim_message(chain_id, k.public.raw, to))


# --- state ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Coupon:
    id: bytes
    symbol: str
    issuer: bytes
    amount: int
    deadline: int
    created: int
    status: str = OPEN
    claimant: bytes = b""
    paid: int = 0

    def to_wire(self) -> list[object]:
        return [
            self.symbol,
            self.issuer,
            self.amount,
            self.deadline,
            self.created,
            self.status,
            self.claimant,
            self.paid,
        ]

    @classmethod
    def from_wire(cls, cid: bytes, wire: object) -> Coupon:
        f = codec.expect_list(wire, 8, what="coupon")
        return cls(
            cid,
            codec.expect_str(f[0], max_len=12, what="symbol"),
            codec.expect_bytes(f[1], ADDRESS_SIZE, what="issuer"),
            codec.expect_int(f[2], what="amount"),
            codec.expect_int(f[3], what="deadline"),
            codec.expect_int(f[4], what="created"),
            codec.expect_str(f[5], max_len=16, what="status"),
            codec.expect_bytes(f[6], max_len=accounts.MAX_ACCOUNT, what="claimant"),
            codec.expect_int(f[7], what="paid"),
        )

    def status_at(self, height: int) -> str:
        """The status at `height`: an open coupon past its deadline reads "expired"."""
        if self.status == OPEN and height > self.deadline:
            return "expired"
        return self.status


def coupon_key_of(cid: bytes) -> bytes:
    return tables.COUPON + cid


def escrow_account(cid: bytes) -> bytes:
    """The coupon's own escrow: module account "coupons" / first 16 bytes of the id."""
    return ESCROW + cid[:16].hex().encode()


def get_coupon(state: StateReader, cid: bytes) -> Coupon | None:
    raw = state.get(coupon_key_of(cid))
    return None if raw is None else Coupon.from_wire(cid, codec.decode_trusted(raw))


def _require(state: StateReader, cid: bytes) -> Coupon:
    c = get_coupon(state, cid)
    if c is None:
        raise ExecutionFailure(f"no coupon {cid.hex()}", codes.UNKNOWN_COUPON)
    return c


def _put(state: StateView, c: Coupon) -> None:
    state.put(coupon_key_of(c.id), codec.encode(c.to_wire()))


def _release(ctx: ExecContext, c: Coupon, to: bytes, *, check_dst: bool) -> int:
    """Move what is left in the coupon's escrow to `to`; returns the amount."""
    escrow = escrow_account(c.id)
    left = ledger.get_balance(ctx.state, escrow, c.symbol, ctx.block.height)
    if left:
        ledger.move(ctx, c.symbol, escrow, to, left, check_src=False, check_dst=check_dst, event="")
    return left


# --- operations ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CouponCreate(OpBase):
    """Lock `amount` points of the sender's point type under a coupon id (the public key
    derived from a secret); claimable until `deadline` (inclusive), then reclaimable."""

    CODE: ClassVar[OpCode] = OpCode.COUPON_CREATE
    symbol: str = arg(SYMBOL)
    coupon_id: bytes = arg(HASH, "coupon id: public key from the secret (scctn query coupon-keys)")
    amount: int = arg(AMOUNT)
    deadline: int = arg(HEIGHT, "last height at which the coupon may be claimed")

    def execute(self, ctx: ExecContext) -> None:
        asset = ledger.require_asset(ctx.state, self.symbol)
        ledger.require_issuer(ctx, asset)
        if self.deadline < ctx.block.height:
            raise ExecutionFailure(
                f"the deadline {self.deadline} is before this block", codes.BAD_DEADLINE
            )
        if get_coupon(ctx.state, self.coupon_id) is not None:
            raise ExecutionFailure(
                f"coupon {self.coupon_id.hex()} exists (ids are never reused)", codes.COUPON_EXISTS
            )
        c = Coupon(
            self.coupon_id,
            self.symbol,
            ctx.sender,
            self.amount,
            self.deadline,
            ctx.block.height,
        )
        ledger.move(
            ctx,
            self.symbol,
            ctx.sender,
            escrow_account(self.coupon_id),
            self.amount,
            check_dst=False,
            event="",
        )
        _put(ctx.state, c)
        ctx.emit(
            "coupon.created", self.coupon_id, self.symbol, ctx.sender, self.amount, self.deadline
        )


@dataclass(frozen=True, slots=True)
class CouponClaim(OpBase):
    """Pay an open coupon to `to`, proven by a signature of the coupon key over (chain,
    coupon id, `to`) (scctn query coupon-sign); anyone may send it."""

    CODE: ClassVar[OpCode] = OpCode.COUPON_CLAIM
    coupon_id: bytes = arg(HASH, "coupon id (hex)")
    to: bytes = arg(ACCOUNT, "the account paid")
    signature: bytes = arg(Bytes(64), "claim signature (hex)")

    def execute(self, ctx: ExecContext) -> None:
        c = _require(ctx.state, self.coupon_id)
        if c.status != OPEN:
            raise ExecutionFailure(f"coupon was {c.status}", codes.COUPON_CLAIMED)
        if ctx.block.height > c.deadline:
            raise ExecutionFailure(
                f"coupon expired after height {c.deadline}", codes.COUPON_EXPIRED
            )
        message = claim_message(ctx.block.chain_id, c.id, self.to)
        if not verify(c.id, message, self.signature):
            raise ExecutionFailure(
                "the signature does not prove the coupon secret for this claimant",
                codes.BAD_COUPON_PROOF,
            )
        paid = _release(ctx, c, self.to, check_dst=True)
        _put(ctx.state, replace(c, status=CLAIMED, claimant=self.to, paid=paid))
        ctx.emit("coupon.claimed", c.id, c.symbol, self.to, paid)


@dataclass(frozen=True, slots=True)
class CouponReclaim(OpBase):
    """Return an unclaimed coupon's points to its issuer after the deadline (anyone may
    send it; the points always go to the issuer)."""

    CODE: ClassVar[OpCode] = OpCode.COUPON_RECLAIM
    coupon_id: bytes = arg(HASH, "coupon id (hex)")

    def execute(self, ctx: ExecContext) -> None:
        c = _require(ctx.state, self.coupon_id)
        if c.status != OPEN:
            raise ExecutionFailure(f"coupon was {c.status}", codes.COUPON_CLAIMED)
        if ctx.block.height <= c.deadline:
            raise ExecutionFailure(
                f"coupon may be claimed until height {c.deadline}", codes.COUPON_NOT_EXPIRED
            )
        paid = _release(ctx, c, c.issuer, check_dst=False)
        _put(ctx.state, replace(c, status=RECLAIMED, claimant=c.issuer, paid=paid))
        ctx.emit("coupon.reclaimed", c.id, c.symbol, c.issuer, paid)


OPS = (CouponCreate, CouponClaim, CouponReclaim)
