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
# points ledger
INVALID_PARAM = "invalid_param"
INVALID_ACCOUNT = "invalid_account"
NOT_AUTHORIZED = "not_authorized"  # the sender lacks the role or right for this operation
NOT_TRANSFERABLE = "not_transferable"
HOLDER_NOT_AUTHORIZED = "holder_not_authorized"
FROZEN = "frozen"
NOT_FREEZABLE = "not_freezable"
NOT_CLAWBACKABLE = "not_clawbackable"
QUOTA_EXCEEDED = "quota_exceeded"
TIER_BALANCE_LIMIT = "tier_balance_limit"
TIER_TX_LIMIT = "tier_tx_limit"
TIER_DAILY_LIMIT = "tier_daily_limit"
INSUFFICIENT_FEE = "insufficient_fee"
DUPLICATE = "duplicate"
# governance
NOT_MEMBER = "not_member"
MEMBER_EXISTS = "member_exists"
UNKNOWN_ROLE = "unknown_role"
UNKNOWN_PROPOSAL = "unknown_proposal"
PROPOSAL_CLOSED = "proposal_closed"
ALREADY_VOTED = "already_voted"
BAD_DEADLINE = "bad_deadline"
LAST_MEMBER = "last_member"
# custody
NOT_CUSTODIAN = "not_custodian"
# issuance modes
UNKNOWN_COUPON = "unknown_coupon"
COUPON_EXISTS = "coupon_exists"
COUPON_EXPIRED = "coupon_expired"
COUPON_NOT_EXPIRED = "coupon_not_expired"
COUPON_CLAIMED = "coupon_claimed"
BAD_COUPON_PROOF = "bad_coupon_proof"
UNKNOWN_CARD = "unknown_card"
CARD_EXISTS = "card_exists"
CARD_BOUND = "card_bound"
NOT_CARD_HOLDER = "not_card_holder"
UNKNOWN_SCHEDULE = "unknown_schedule"
SCHEDULE_EXISTS = "schedule_exists"
NOTHING_TO_CLAIM = "nothing_to_claim"
UNKNOWN_PROGRAM = "unknown_program"
DAILY_CAP_EXCEEDED = "daily_cap_exceeded"
UNKNOWN_DEVICE = "unknown_device"
MEASUREMENT_PAID = "measurement_paid"
DEVICE_QUOTA_EXCEEDED = "device_quota_exceeded"
PERIOD_QUOTA_EXCEEDED = "period_quota_exceeded"
BAD_REQUEST = "bad_request"
# rewards (vm/ops/rewards.py)
PROGRAM_INACTIVE = "program_inactive"
DEVICE_INACTIVE = "device_inactive"
# issuance modes: mining (vm/ops/mining.py)
CARD_NOT_ELIGIBLE = "card_not_eligible"
TOO_MANY_SCHEDULES = "too_many_schedules"
# contracts (vm/ops/contract.py, vm/contracts/)
INVALID_CODE = "invalid_code"  # malformed bytecode, rejected at deploy
CONTRACT_EXISTS = "contract_exists"
UNKNOWN_CONTRACT = "unknown_contract"
CONTRACT_REVERTED = "contract_reverted"  # REVERT or a trap (overflow, bad type, ...)
CALL_DEPTH = "call_depth"
NO_DELEGATION = "no_delegation"
DELEGATION_EXCEEDED = "delegation_exceeded"
BAD_CONTRACT_ARGUMENT = "bad_contract_argument"  # a system call given the wrong kind of value
# merchant payments and settlement (vm/ops/payments.py, vm/settlement.py)
CREDIT_LIMIT_EXCEEDED = "credit_limit_exceeded"
ORDER_PAID = "order_paid"
UNKNOWN_PAYMENT = "unknown_payment"
REFUND_EXCEEDED = "refund_exceeded"
NOT_MERCHANT = "not_merchant"
INVOICE_EXISTS = "invoice_exists"
UNKNOWN_INVOICE = "unknown_invoice"
INVOICE_EXPIRED = "invoice_expired"
INVOICE_CLOSED = "invoice_closed"
NOT_INVOICE_PAYER = "not_invoice_payer"
PERIOD_NOT_OVER = "period_not_over"
PERIOD_SETTLED = "period_settled"
# exchange (vm/ops/exchange.py)
NOT_TRADEABLE = "not_tradeable"
BAD_PRICE = "bad_price"
ORDER_TOO_SMALL = "order_too_small"
BOOK_FULL = "book_full"
UNKNOWN_BOOK_ORDER = "unknown_book_order"
BOOK_ORDER_CLOSED = "book_order_closed"
NOT_ORDER_OWNER = "not_order_owner"
ORDER_NOT_EXPIRED = "order_not_expired"
UNKNOWN_AGREEMENT = "unknown_agreement"
AGREEMENT_INACTIVE = "agreement_inactive"
CONVERSION_LIMIT = "conversion_limit"
RESERVE_SHORT = "reserve_short"
# the points mall (vm/ops/mall.py)
NOT_SUPPLIER = "not_supplier"  # the sender (or a listing's supplier) is not an approved supplier
SUPPLIER_EXISTS = "supplier_exists"
UNKNOWN_SUPPLIER = "unknown_supplier"
SUPPLIER_STATUS = "supplier_status"  # approve/revoke of a supplier in the wrong status
UNKNOWN_LISTING = "unknown_listing"
LISTING_EXISTS = "listing_exists"
LISTING_DELISTED = "listing_delisted"
SOLD_OUT = "sold_out"
OWN_ITEM = "own_item"  # a supplier redeeming or bidding on its own item
UNKNOWN_AUCTION = "unknown_auction"
AUCTION_EXISTS = "auction_exists"
AUCTION_CLOSED = "auction_closed"  # settled, unsold or cancelled
AUCTION_ENDED = "auction_ended"  # a bid after the end height
AUCTION_NOT_ENDED = "auction_not_ended"  # settle at or before the end height
AUCTION_HAS_BIDS = "auction_has_bids"
BID_TOO_LOW = "bid_too_low"
# the Ethereum bridge (vm/bridge.py)
BRIDGE_NOT_CONFIGURED = "bridge_not_configured"  # no configuration, or no vault address yet
BRIDGE_BAD_CONFIG = "bridge_bad_config"
BRIDGE_CONFIG_LOCKED = "bridge_config_locked"  # eth chain, vault or decimals already fixed
BRIDGE_PAUSED = "bridge_paused"
BRIDGE_NOT_PAUSED = "bridge_not_paused"  # resume when neither paused nor halted
BRIDGE_BAD_PROOF = "bridge_bad_proof"  # a key-binding proof that does not recover the key
BRIDGE_KEY_IN_USE = "bridge_key_in_use"
BRIDGE_BAD_ADDRESS = "bridge_bad_address"  # a zero or malformed Ethereum address
BRIDGE_NONCE_WINDOW = "bridge_nonce_window"  # a deposit nonce too far ahead (or 0)
BRIDGE_UNKNOWN_MESSAGE = "bridge_unknown_message"  # no such withdrawal/valset/change
BRIDGE_BAD_SIGNATURE = "bridge_bad_signature"  # malformed, high-s, or recovers nothing
BRIDGE_SIGNER_NOT_ALLOWED = "bridge_signer_not_allowed"  # the key may not sign that message
BRIDGE_EXPIRED = "bridge_expired"  # signing a withdrawal past its expiry
BRIDGE_NOT_EXPIRED = "bridge_not_expired"  # renewing before the expiry
BRIDGE_NOT_OWNER = "bridge_not_owner"
