"""Accounts that hold points.

- A raw account is a 20-byte address, controlled by its own key.
- A custody account is a sub-account held by a custodian member for one of its users:
  the custodian's 20-byte address followed by the user id (1 to 32 characters from
  `A-Z a-z 0-9 . _ -`). Only the custodian moves its users' funds; each user's balance
  is an ordinary holding in the state, visible and provable like any other.

Text form: `scc1...` for a raw account, `scc1.../user-id` for a custody account.
Module accounts (escrows of coupons, auctions, fees) are raw-looking addresses derived
from a name; no key controls them.
"""

from __future__ import annotations

import re

from primitives.errors import InvalidAddress
from primitives.hashing import Tags, digest
from primitives.keys import ADDRESS_SIZE, format_address, parse_address

USER_ID_RE = re.compile(rb"^[A-Za-z0-9._-]{1,32}$")
MAX_ACCOUNT = ADDRESS_SIZE + 32
MODULE_TAG = Tags.MODULE_ACCOUNT


def is_raw(account: bytes) -> bool:
    return len(account) == ADDRESS_SIZE


def custodian_of(account: bytes) -> bytes | None:
    """The custodian's address of a custody account; None for a raw account."""
    return None if len(account) == ADDRESS_SIZE else account[:ADDRESS_SIZE]


def custody_account(custodian: bytes, user_id: str) -> bytes:
    account = custodian + user_id.encode()
    check_account(account)
    return account


def valid_account(account: bytes) -> bool:
    n = len(account)
    if n == ADDRESS_SIZE:
        return True
    return ADDRESS_SIZE < n <= MAX_ACCOUNT and USER_ID_RE.match(account[ADDRESS_SIZE:]) is not None


def check_account(account: bytes) -> bytes:
    if not valid_account(account):
        raise InvalidAddress(
            "an account is a 20-byte address, optionally followed by a user id of 1-32 "
            "characters A-Z a-z 0-9 . _ -"
        )
    return account


def format_account(account: bytes) -> str:
    text = format_address(account[:ADDRESS_SIZE])
    if len(account) > ADDRESS_SIZE:
        text += "/" + account[ADDRESS_SIZE:].decode()
    return text


def parse_account(text: str) -> bytes:
    """`scc1...` or `scc1.../user-id`; raises InvalidAddress."""
    address, slash, user = text.partition("/")
    raw = parse_address(address)
    if not slash:
        return raw
    return check_account(raw + user.encode())


def module_account(name: str) -> bytes:
    """The address of a module's escrow account (no private key exists for it)."""
    return digest(MODULE_TAG, name.encode())[:ADDRESS_SIZE]
