"""Rights cards: issue, transfer (transferable ones, by their raw holder), revoke by the
issuer, the live count per class; every refusal with its code."""

from __future__ import annotations

from primitives.keys import PrivateKey, parse_address
from tests.unit.vm.helpers import block, founded, key, signed
from vm import accounts, codes
from vm.executor import execute_transaction
from vm.ops.card import CardIssue, CardRevoke, CardTransfer, get_card, get_class
from vm.ops.catalog import decode_operation, operation_from_json
from vm.ops.registry import Operation
from vm.receipt import Receipt
from vm.state import StateView

ALICE, BOB, CAROL, DAVE = key(1), key(2), key(3), key(4)
A, B, C = ALICE.address(), BOB.address(), CAROL.address()
ATTRS = (("level", "gold"), ("since", "2026"))


class Chain:
    def __init__(self) -> None:
        self.state: StateView = founded((ALICE, ("issuer",)), (DAVE, ("issuer",)))
        self.nonces: dict[bytes, int] = {}

    def run(self, k: PrivateKey, op: Operation, height: int = 1) -> Receipt:
        n = self.nonces.get(k.address(), 0)
        self.nonces[k.address()] = n + 1
        return execute_transaction(self.state, signed(k, n, op), block(height))

    def ok(self, k: PrivateKey, op: Operation, height: int = 1) -> Receipt:
        r = self.run(k, op, height)
        assert r.code == codes.OK, (r.code, r.message)
        return r


def test_issue_records_the_card_and_counts_its_class() -> None:
    c = Chain()
    r = c.ok(ALICE, CardIssue("g-1", "gold-member", B, True, ATTRS), height=7)
    assert [e.kind for e in r.events] == ["card.issued"]
    assert r.events[0].fields == (A, "g-1", "gold-member", B, True)
    card = get_card(c.state, A, "g-1")
    assert card is not None
    assert (card.card_class, card.holder, card.transferable) == ("gold-member", B, True)
    assert card.attributes == ATTRS and card.issued == 7
    c.ok(ALICE, CardIssue("g-2", "gold-member", C))
    c.ok(ALICE, CardIssue("s-1", "silver-member", C))
    assert get_class(c.state, A, "gold-member") == (2, [])
    assert get_class(c.state, A, "silver-member") == (1, [])
    # the same id under another issuer is another card
    c.ok(DAVE, CardIssue("g-1", "gold-member", B))
    assert get_class(c.state, DAVE.address(), "gold-member") == (1, [])


def test_issue_refusals() -> None:
    c = Chain()
    assert c.run(BOB, CardIssue("x", "gold", B)).code == codes.NOT_AUTHORIZED
    c.ok(ALICE, CardIssue("x", "gold", B))
    assert c.run(ALICE, CardIssue("x", "silver", C)).code == codes.CARD_EXISTS
    assert c.run(ALICE, CardIssue("bad id", "gold", B)).code == codes.BAD_REQUEST
    assert c.run(ALICE, CardIssue("y", "gold/x", B)).code == codes.BAD_REQUEST
    assert get_class(c.state, A, "gold") == (1, [])


def test_transfer_by_the_holder() -> None:
    c = Chain()
    c.ok(ALICE, CardIssue("g-1", "gold", B, True))
    r = c.ok(BOB, CardTransfer(A, "g-1", C))
    assert [e.kind for e in r.events] == ["card.transferred"]
    assert r.events[0].fields == (A, "g-1", B, C)
    card = get_card(c.state, A, "g-1")
    assert card is not None and card.holder == C
    # the former holder, and the issuer, may not move it
    assert c.run(BOB, CardTransfer(A, "g-1", B)).code == codes.NOT_CARD_HOLDER
    assert c.run(ALICE, CardTransfer(A, "g-1", A)).code == codes.NOT_CARD_HOLDER
    assert c.run(CAROL, CardTransfer(A, "g-1", C)).code == codes.SELF_TRANSFER
    assert c.run(CAROL, CardTransfer(A, "nope", B)).code == codes.UNKNOWN_CARD
    assert c.run(CAROL, CardTransfer(B, "g-1", B)).code == codes.UNKNOWN_CARD
    assert get_class(c.state, A, "gold") == (1, [])


def test_bound_card_stays_with_its_holder() -> None:
    c = Chain()
    c.ok(ALICE, CardIssue("g-1", "gold", B, False))
    assert c.run(BOB, CardTransfer(A, "g-1", C)).code == codes.CARD_BOUND
    assert c.run(CAROL, CardTransfer(A, "g-1", C)).code == codes.NOT_CARD_HOLDER
    card = get_card(c.state, A, "g-1")
    assert card is not None and card.holder == B


def test_custody_held_card_is_not_moved_by_signature() -> None:
    c = Chain()
    user = accounts.custody_account(C, "user-9")
    c.ok(ALICE, CardIssue("g-1", "gold", user, True))
    # the custodian's own key is not the holder
    assert c.run(CAROL, CardTransfer(A, "g-1", B)).code == codes.NOT_CARD_HOLDER
    card = get_card(c.state, A, "g-1")
    assert card is not None and card.holder == user


def test_revoke_by_its_issuer_only() -> None:
    c = Chain()
    c.ok(ALICE, CardIssue("g-1", "gold", B, True))
    c.ok(ALICE, CardIssue("g-2", "gold", C, True))
    # someone else's revoke names a card of their own: there is none
    assert c.run(DAVE, CardRevoke("g-1")).code == codes.UNKNOWN_CARD
    assert c.run(BOB, CardRevoke("g-1")).code == codes.UNKNOWN_CARD
    assert get_card(c.state, A, "g-1") is not None
    r = c.ok(ALICE, CardRevoke("g-1"))
    assert [e.kind for e in r.events] == ["card.revoked"]
    assert r.events[0].fields == (A, "g-1", "gold", B)
    assert get_card(c.state, A, "g-1") is None
    assert get_class(c.state, A, "gold") == (1, [])
    assert c.run(ALICE, CardRevoke("g-1")).code == codes.UNKNOWN_CARD
    assert c.run(BOB, CardTransfer(A, "g-1", C)).code == codes.UNKNOWN_CARD
    c.ok(ALICE, CardRevoke("g-2"))
    assert get_class(c.state, A, "gold") == (0, [])
    assert c.state.get(b"k" + A + b"gold") is None  # an empty class leaves no key
    c.ok(ALICE, CardIssue("g-1", "gold", C))  # a revoked id may be issued again


def test_operations_round_trip_through_wire_and_json() -> None:
    ops: list[Operation] = [
        CardIssue("g-1", "gold", accounts.custody_account(C, "u1"), True, ATTRS),
        CardTransfer(A, "g-1", B),
        CardRevoke("g-1"),
    ]
    for op in ops:
        assert decode_operation(op.to_wire()) == op
        assert operation_from_json(op.to_json(), parse_address) == op
    assert ops[0].to_json()["attributes"] == {"level": "gold", "since": "2026"}
