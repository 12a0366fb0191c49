"""Merchant payments: orders, invoices and refunds (vm/ops/payments.py)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from primitives.keys import parse_address
from tests.unit.vm.gov_helpers import Chain
from tests.unit.vm.helpers import key
from vm import codes, ledger, settlement
from vm.ops import payments
from vm.ops.asset import AssetCreate, AssetIssue
from vm.ops.catalog import decode_operation, operation_from_json
from vm.ops.payments import (
    TRANSIT,
    PayInvoice,
    PayInvoiceCancel,
    PayInvoicePay,
    PayOrder,
    PayRefund,
)
from vm.ops.transfer import Transfer

ISS, SHOP, ALICE, BOB, SHOP2 = key(1), key(2), key(3), key(4), key(5)
A, S = ALICE.address(), SHOP.address()
HOLDERS = [ISS.address(), S, A, BOB.address(), SHOP2.address(), TRANSIT]


def chain(expiry_blocks: int = 100, rules: int = ledger.DEFAULT_RULES) -> Chain:
    """PTS expiring after `expiry_blocks`; ALICE holds lots of 100 from heights 1, 5, 10
    (expiring at 101, 105, 110)."""
    c = Chain(
        (ISS, ("issuer",)),
        (SHOP, ("merchant",)),
        (SHOP2, ("merchant",)),
    )
    c.ok(
        ISS,
        AssetCreate(
            "PTS",
            "Points",
            0,
            10**9,
            rules=rules,
            expiry_blocks=expiry_blocks,
            currency="CNY",
            unit_value=10_000,
        ),
    )
    for h in (1, 5, 10):
        advance(c, h)
        c.ok(ISS, AssetIssue("PTS", A, 100))
    return c


def advance(c: Chain, height: int) -> None:
    """Move to `height`, booking expiries of every block on the way."""
    for h in range(c.height + 1, height + 1):
        ledger.book_expiry(c.state, h)
    c.at(height)


def lots(c: Chain, account: bytes) -> list[list[int]]:
    return ledger.lots_of(c.state, account, "PTS", c.height)


def conserved(c: Chain) -> None:
    total = sum(c.balance(h) for h in HOLDERS)
    assert c.asset().outstanding == total
    assert c.balance(TRANSIT) == 0


def payment(c: Chain, order: bytes, merchant: bytes = S) -> payments.Payment:
    p = payments.get_payment(c.state, merchant, order)
    assert p is not None
    return p


def test_order_moves_lots_and_records_them() -> None:
    c = chain()
    advance(c, 20)
    r = c.ok(ALICE, PayOrder(S, b"A-1", 250, "PTS"))
    kinds = [e.kind for e in r.events]
    assert kinds == ["settle.recorded", "pay.paid"]
    assert r.events[-1].fields == (S, "A-1", A, "PTS", 250)
    assert c.balance(S) == 250 and c.balance(A) == 50
    assert lots(c, S) == [[101, 100], [105, 100], [110, 50]]
    p = payment(c, b"A-1")
    assert (p.payer, p.symbol, p.amount, p.refunded, p.height) == (A, "PTS", 250, 0, 20)
    assert p.lots == [[101, 100], [105, 100], [110, 50]]
    conserved(c)


def test_order_id_paid_once_per_merchant() -> None:
    c = chain()
    c.ok(ALICE, PayOrder(S, b"A-1", 10, "PTS"))
    assert c.run(ALICE, PayOrder(S, b"A-1", 10, "PTS")).code == codes.ORDER_PAID
    assert c.run(BOB, PayOrder(S, b"A-1", 1, "PTS")).code == codes.ORDER_PAID
    c.ok(ALICE, PayOrder(SHOP2.address(), b"A-1", 10, "PTS"))  # another merchant's order
    assert c.balance(A) == 280


def test_unauthorised_and_invalid_payments() -> None:
    c = chain()
    assert c.run(ALICE, PayOrder(BOB.address(), b"x", 1, "PTS")).code == codes.NOT_MERCHANT
    assert c.run(SHOP, PayOrder(S, b"x", 1, "PTS")).code == codes.SELF_TRANSFER
    assert c.run(ALICE, PayOrder(S, b"x", 301, "PTS")).code == codes.INSUFFICIENT_BALANCE
    assert c.run(ALICE, PayOrder(S, b"x", 0, "PTS")).code == codes.INVALID_AMOUNT
    assert c.run(ALICE, PayOrder(S, b"x", 1, "NOPE")).code == codes.UNKNOWN_ASSET
    ledger.set_frozen(c.state, "PTS", A, "audit")
    assert c.run(ALICE, PayOrder(S, b"x", 1, "PTS")).code == codes.FROZEN
    ledger.set_frozen(c.state, "PTS", A, None)
    ledger.set_frozen(c.state, "PTS", S, "audit")
    assert c.run(ALICE, PayOrder(S, b"x", 1, "PTS")).code == codes.FROZEN
    ledger.set_frozen(c.state, "PTS", S, None)
    assert payments.get_payment(c.state, S, b"x") is None
    c.ok(ALICE, PayOrder(S, b"x", 1, "PTS"))


def test_payment_is_all_or_nothing() -> None:
    c = chain()
    r = c.run(ALICE, PayOrder(S, b"A-1", 100, "PTS"), Transfer("PTS", BOB.address(), 500))
    assert r.code == codes.INSUFFICIENT_BALANCE
    assert payments.get_payment(c.state, S, b"A-1") is None
    assert c.balance(A) == 300 and c.balance(S) == 0
    assert settlement.position(c.state, 0, "CNY", S) == 0


def test_non_transferable_points_pay_only_their_issuer() -> None:
    c = Chain((ISS, ("issuer", "merchant")), (SHOP, ("merchant",)))
    c.ok(ISS, AssetCreate("PTS", "Points", 0, 10**9, rules=0, currency="CNY", unit_value=5))
    c.ok(ISS, AssetIssue("PTS", A, 100))
    assert c.run(ALICE, PayOrder(S, b"o", 10, "PTS")).code == codes.NOT_TRANSFERABLE
    r = c.ok(ALICE, PayOrder(ISS.address(), b"o", 10, "PTS"))
    assert [e.kind for e in r.events] == ["pay.paid"]  # paid at the issuer: no settlement
    c.ok(ISS, PayRefund(b"o", 4))
    assert c.balance(A) == 94


def test_partial_refunds_return_latest_lots_first_up_to_the_amount() -> None:
    c = chain()
    advance(c, 20)
    c.ok(ALICE, PayOrder(S, b"A-1", 250, "PTS"))
    r = c.ok(SHOP, PayRefund(b"A-1", 60))
    assert r.events[-1].kind == "pay.refunded"
    assert r.events[-1].fields == (S, "A-1", A, "PTS", 60, 60, 0)
    assert lots(c, A) == [[105, 10], [110, 100]]
    assert payment(c, b"A-1").lots == [[101, 100], [105, 90]]
    assert payment(c, b"A-1").refunded == 60
    assert c.run(SHOP, PayRefund(b"A-1", 191)).code == codes.REFUND_EXCEEDED
    c.ok(SHOP, PayRefund(b"A-1", 190))
    assert lots(c, A) == [[101, 100], [105, 100], [110, 100]]
    assert c.balance(S) == 0
    assert c.run(SHOP, PayRefund(b"A-1", 1)).code == codes.REFUND_EXCEEDED
    assert settlement.position(c.state, 0, "CNY", S) == 0
    conserved(c)


def test_refund_needs_the_merchant_and_the_order() -> None:
    c = chain()
    c.ok(ALICE, PayOrder(S, b"A-1", 50, "PTS"))
    assert c.run(BOB, PayRefund(b"A-1", 1)).code == codes.UNKNOWN_PAYMENT
    assert c.run(SHOP2, PayRefund(b"A-1", 1)).code == codes.UNKNOWN_PAYMENT
    assert c.run(SHOP, PayRefund(b"B-2", 1)).code == codes.UNKNOWN_PAYMENT
    assert c.run(SHOP, PayRefund(b"A-1", 0)).code == codes.INVALID_AMOUNT
    c.ok(SHOP, Transfer("PTS", BOB.address(), 45))  # the merchant spent the points
    assert c.run(SHOP, PayRefund(b"A-1", 10)).code == codes.INSUFFICIENT_BALANCE
    ledger.set_frozen(c.state, "PTS", A, "audit")
    assert c.run(SHOP, PayRefund(b"A-1", 5)).code == codes.FROZEN
    ledger.set_frozen(c.state, "PTS", A, None)
    c.ok(SHOP, PayRefund(b"A-1", 5))


def test_refund_keeps_original_expiry_even_when_merchant_lots_differ() -> None:
    c = chain()
    advance(c, 20)
    c.ok(ALICE, PayOrder(S, b"A-1", 250, "PTS"))
    advance(c, 102)  # the 101 lot has expired (at the merchant)
    c.ok(ISS, AssetIssue("PTS", S, 200))  # the merchant's own lot, expiring at 202
    assert lots(c, S) == [[105, 100], [110, 50], [202, 200]]
    r = c.ok(SHOP, PayRefund(b"A-1", 250))
    assert r.events[-1].fields == (S, "A-1", A, "PTS", 250, 150, 100)
    assert lots(c, A) == [[105, 100], [110, 100]]
    assert lots(c, S) == [[202, 100]]
    assert c.asset().expired == 200  # the 101 lot, at the merchant and as refunded
    conserved(c)
    for h in (106, 111, 203):
        advance(c, h)
        conserved(c)
    assert c.asset().outstanding == 0 and c.asset().issued == 500


def test_points_without_expiry() -> None:
    c = chain(expiry_blocks=0)
    c.ok(ALICE, PayOrder(S, b"o", 120, "PTS"))
    assert payment(c, b"o").lots == [[0, 120]]
    c.ok(SHOP, PayRefund(b"o", 20))
    assert c.balance(A) == 200 and payment(c, b"o").lots == [[0, 100]]
    conserved(c)


def test_invoice_paid_once_by_its_payer_up_to_expiry() -> None:
    c = chain()
    advance(c, 20)
    r = c.ok(SHOP, PayInvoice(b"INV-1", A, 50, "PTS", 30))
    assert r.events[0].kind == "pay.invoiced"
    assert c.run(BOB, PayInvoicePay(S, b"INV-1")).code == codes.NOT_INVOICE_PAYER
    c.at(31)
    assert c.run(ALICE, PayInvoicePay(S, b"INV-1")).code == codes.INVOICE_EXPIRED
    c.at(30)
    r = c.ok(ALICE, PayInvoicePay(S, b"INV-1"))
    assert r.events[-1].kind == "pay.paid"
    inv = payments.get_invoice(c.state, S, b"INV-1")
    assert inv is not None and inv.status == payments.PAID and inv.paid_by == A
    assert payment(c, b"INV-1").invoice and c.balance(S) == 50
    assert c.run(ALICE, PayInvoicePay(S, b"INV-1")).code == codes.INVOICE_CLOSED
    c.ok(SHOP, PayRefund(b"INV-1", 50))  # refunded as an order of the same id
    assert c.balance(A) == 300
    assert c.run(ALICE, PayOrder(S, b"INV-1", 1, "PTS")).code == codes.ORDER_PAID


def test_open_invoice_anyone_and_cancel() -> None:
    c = chain()
    c.ok(ISS, AssetIssue("PTS", BOB.address(), 10))
    c.ok(SHOP, PayInvoice(b"i1", b"", 7, "PTS", 50))
    c.ok(BOB, PayInvoicePay(S, b"i1"))
    assert c.balance(BOB.address()) == 3
    c.ok(SHOP, PayInvoice(b"i2", b"", 7, "PTS", 50))
    assert c.run(SHOP2, PayInvoiceCancel(b"i2")).code == codes.UNKNOWN_INVOICE
    r = c.ok(SHOP, PayInvoiceCancel(b"i2"))
    assert r.events[0].kind == "pay.invoice_cancelled"
    assert c.run(ALICE, PayInvoicePay(S, b"i2")).code == codes.INVOICE_CLOSED
    assert c.run(SHOP, PayInvoiceCancel(b"i2")).code == codes.INVOICE_CLOSED
    assert c.run(ALICE, PayInvoicePay(S, b"nope")).code == codes.UNKNOWN_INVOICE


def test_invoice_creation_rules() -> None:
    c = chain()
    advance(c, 20)
    assert c.run(ALICE, PayInvoice(b"i", b"", 1, "PTS", 30)).code == codes.NOT_AUTHORIZED
    assert c.run(SHOP, PayInvoice(b"i", b"", 1, "PTS", 19)).code == codes.BAD_DEADLINE
    assert c.run(SHOP, PayInvoice(b"i", b"", 1, "NOPE", 30)).code == codes.UNKNOWN_ASSET
    assert c.run(SHOP, PayInvoice(b"i", b"", 0, "PTS", 30)).code == codes.INVALID_AMOUNT
    c.ok(SHOP, PayInvoice(b"i", b"", 1, "PTS", 20))  # payable in this block only
    assert c.run(SHOP, PayInvoice(b"i", b"", 1, "PTS", 30)).code == codes.INVOICE_EXISTS
    c.ok(ALICE, PayOrder(S, b"paid", 1, "PTS"))
    assert c.run(SHOP, PayInvoice(b"paid", b"", 1, "PTS", 30)).code == codes.ORDER_PAID


def test_wire_and_json_forms() -> None:
    ops = [
        PayOrder(S, b"A-1", 5, "PTS"),
        PayOrder(S, b"\x00\xff", 5, "PTS"),
        PayRefund(b"A-1", 2),
        PayInvoice(b"i", A, 3, "PTS", 9),
        PayInvoice(b"i", b"", 3, "PTS", 9),
        PayInvoicePay(S, b"i"),
        PayInvoiceCancel(b"i"),
    ]

    for op in ops:
        assert decode_operation(op.to_wire()) == op
        assert operation_from_json(op.to_json(), parse_address) == op
    assert PayOrder(S, b"\x00\xff", 5, "PTS").to_json()["order_id"] == "0x00ff"
    assert payments.parse_id("0x00ff") == b"\x00\xff" and payments.parse_id("A-1") == b"A-1"


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["pay", "refund", "spend"]),
            st.sampled_from([S, SHOP2.address()]),
            st.integers(1, 120),
            st.integers(0, 25),
        ),
        max_size=25,
    )
)
def test_random_payments_and_refunds_conserve_points(
    steps: list[tuple[str, bytes, int, int]],
) -> None:
    """Supply is conserved at every step (expiries included), no holder goes negative,
    refunds never exceed payments, and a refund returns exactly the recorded lots."""

    def run() -> dict[bytes, bytes | None]:
        c = chain(expiry_blocks=60)
        shops = {S: SHOP, SHOP2.address(): SHOP2}
        paid: list[tuple[bytes, bytes]] = []
        for i, (kind, merchant, amount, dh) in enumerate(steps):
            advance(c, c.height + dh)
            if kind == "pay":
                if c.run(ALICE, PayOrder(merchant, f"o{i}".encode(), amount, "PTS")).ok:
                    paid.append((merchant, f"o{i}".encode()))
            elif kind == "spend":
                c.run(shops[merchant], Transfer("PTS", BOB.address(), amount))
            elif paid:
                m, order = paid[amount % len(paid)]
                before = payment(c, order, m)
                held = lots(c, A)
                r = c.run(shops[m], PayRefund(order, amount))
                after = payment(c, order, m)
                if r.ok:
                    returned, kept = payments.split_refund(before.lots, amount)
                    assert after.lots == kept and after.refunded == before.refunded + amount
                    live = [x for x in returned if x[0] > c.height]
                    assert lots(c, A) == ledger._add_lots(held, live)
                else:
                    assert after == before
            conserved(c)
            for h in HOLDERS:
                assert c.balance(h) >= 0
            for m, order in paid:
                p = payment(c, order, m)
                assert 0 <= p.refunded <= p.amount
                assert sum(a for _, a in p.lots) == p.amount - p.refunded
        advance(c, c.height + 61)
        conserved(c)
        assert c.asset().outstanding == 0
        return dict(c.state.changes())

    assert run() == run()  # the same sequence gives the same state
