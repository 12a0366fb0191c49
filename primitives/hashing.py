"""Domain-separated SHA-256.

`digest(tag, data)` = SHA-256(len(tag) as one byte || tag || data). Every hashed type
has its own tag (listed in `Tags`), so a hash of one type can never be passed off as
the hash of another.
"""

from __future__ import annotations

import hashlib
from typing import NewType

Digest = NewType("Digest", bytes)
DIGEST_SIZE = 32
ZERO_DIGEST = Digest(b"\x00" * DIGEST_SIZE)


class Tags:
    """Every domain tag in the project, in one place."""

    TX = b"scctn/tx/v1"
    TX_SIGN = b"scctn/tx-sign/v1"
    BLOCK_HEADER = b"scctn/header/v1"
    TXS_ROOT = b"scctn/txs-root/v1"
    RECEIPT = b"scctn/receipt/v1"
    VALIDATOR_SET = b"scctn/validator-set/v1"
    ADDRESS = b"scctn/address/v1"
    STATE_LEAF = b"scctn/smt-leaf/v1"
    STATE_NODE = b"scctn/smt-node/v1"
    STATE_KEY = b"scctn/smt-key/v1"
    STATE_VALUE = b"scctn/smt-value/v1"
    GENESIS = b"scctn/genesis/v1"
    MODULE_ACCOUNT = b"scctn/module-account/v1"
    VALIDATOR_CHANGE = b"scctn/validator-change/v1"
    COUPON_SEED = b"scctn/coupon/v1"
    COUPON_CLAIM = b"scctn/coupon-claim/v1"
    CONTRACT_HASH = b"scctn/contract-hash/v1"
    CONTRACT_ADDRESS = b"scctn/contract-address/v1"


def digest(tag: bytes, data: bytes) -> Digest:
    if len(tag) > 255:
        raise ValueError("domain tag too long")
    h = hashlib.sha256(bytes((len(tag),)))
    h.update(tag)
    h.update(data)
    return Digest(h.digest())


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()
