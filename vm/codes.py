"""Stable error codes of the VM, as they appear in receipts and API errors.

A code is part of the public interface: clients match on it. Never rename one; add new
ones at the end.
"""

from __future__ import annotations

OK = "ok"
# envelope / admission
BAD_ENCODING = "bad_encoding"
BAD_SIGNATURE = "bad_signature"
WRONG_CHAIN = "wrong_chain"
EXPIRED = "expired"
BAD_NONCE = "bad_nonce"
NONCE_TOO_LOW = "nonce_too_low"
NONCE_TOO_HIGH = "nonce_too_high"
NONCE_GAP = "nonce_gap"
GAS_LIMIT_TOO_HIGH = "gas_limit_too_high"
TOO_LARGE = "too_large"
NO_OPERATIONS = "no_operations"
UNKNOWN_OPERATION = "unknown_operation"
# execution
OUT_OF_GAS = "out_of_gas"
INSUFFICIENT_BALANCE = "insufficient_balance"
UNKNOWN_ASSET = "unknown_asset"
ASSET_EXISTS = "asset_exists"
INVALID_SYMBOL = "invalid_symbol"
INVALID_AMOUNT = "invalid_amount"
CAP_EXCEEDED = "cap_exceeded"
NOT_ISSUER = "not_issuer"
SELF_TRANSFER = "self_transfer"
NOT_VALIDATOR = "not_validator"
VALIDATOR_EXISTS = "validator_exists"
UNKNOWN_VALIDATOR = "unknown_validator"
LAST_VALIDATOR = "last_validator"
VALIDATOR_CHANGE_PENDING = "validator_change_pending"
