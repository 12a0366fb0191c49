"""Every state table of the VM, by the first byte of its keys (one byte per table, so
no two tables can ever share a key). The authenticated state tree covers all of them.

Add a table here, with its key layout, before using it; never reuse a byte.
"""

from __future__ import annotations

# accounts and point types (vm/ledger.py)
NONCE = b"N"  # N + address(20)                        -> nonce
BALANCE = b"B"  # B + len(account) + account + symbol   -> holding (int, or lots)
ASSET = b"A"  # A + symbol                               -> PointType record
EXPIRY_BUCKET = b"X"  # X + symbol + 0 + height(8)       -> points still out that expire then
EXPIRY_DUE = b"Q"  # Q + height(8)                       -> symbols with a bucket due then
FROZEN = b"F"  # F + symbol + 0 + account                -> reason code of a holder freeze
AUTHORISED = b"Z"  # Z + symbol + 0 + account            -> holder authorised by the issuer
QUOTA = b"Y"  # Y + issuer(20) + symbol                  -> daily issue quota (governance)
QUOTA_USED = b"y"  # y + issuer(20) + symbol               -> [day, issued that day]
TIER_OF = b"T"  # T + account                            -> the holder's tier name
TIER_LIMITS = b"t"  # t + symbol                         -> {tier: limits} for a point type
DAILY_SPENT = b"d"  # d + account + 0 + symbol             -> [day, sent that day]
CUSTODY_FEE = b"C"  # C + custodian(20) + symbol         -> [fee_bps, min_fee]

# validators (vm/validators.py)
VALIDATORS = b"V"
VALIDATOR_VOTES = b"W"
VALIDATOR_PENDING = b"P"

# governance (vm/governance.py)
MEMBER = b"M"  # M + address(20)                         -> member name
MEMBER_COUNT = b"L"  # L                                 -> number of members
ROLES = b"R"  # R + address(20)                          -> role bitmask
PARAMS = b"G"  # G + name                                -> parameter value
PROPOSAL = b"g"  # g + id(8)                             -> proposal record

# issuance modes (vm/ops/coupon.py, card.py, mining.py, rewards.py)
COUPON = b"K"  # K + coupon id(32)                       -> coupon record
CARD = b"c"  # c + issuer(20) + card id                  -> rights card record
CARD_CLASS = b"k"  # k + issuer(20) + class  -> [live cards, [mining schedule ids]] of a class
MINING = b"m"  # m + schedule id                         -> mining schedule record
REWARD_PROGRAM = b"o"  # o + symbol                      -> content-reward program
REWARD_USED = b"r"  # r + symbol + 0 + account             -> [day, rewarded that day]
DEVICE_PROGRAM = b"D"  # D + symbol                      -> device-reward program
DEVICE = b"e"  # e + symbol + 0 + device address(20)     -> registered device
MEASUREMENT = b"u"  # u + device address(20) + measurement id -> paid once
DEVICE_USED = b"q"  # q + symbol + 0 + (device or 0*20)   -> [period, paid in it]

# contracts (vm/ops/contract.py, vm/contracts/ledger_host.py)
CONTRACT_CODE = b"H"  # H + code hash(32)                -> bytecode (shared by every deploy of it)
CONTRACT = b"O"  # O + address(20)                       -> [code hash, deployer(20), salt, height]
CONTRACT_STORAGE = b"S"  # S + address(20) + 0 + key(8) | 1 + key bytes -> int or bytes value
DELEGATION = b"U"  # U + symbol + 0 + contract(20)       -> [issuer(20), cap, issued, active]

# merchant payments and settlement (vm/ops/payments.py, vm/settlement.py)
PAYMENT = b"f"  # f + merchant(20) + 0 + order id          -> payment record (lots kept for refunds)
INVOICE = b"h"  # h + merchant(20) + 0 + invoice id        -> invoice record
SETTLE_POSITION = b"i"  # i + period(8) + currency + 0 + member -> net position (millionths)
SETTLE = b"j"  # j + p, s + period(8), r/c + issuer(20) + currency: settlement

# the points mall (vm/ops/mall.py)
MALL_LISTING = b"I"  # I + listing id                     -> listing record
MALL_ORDER = b"J"  # J + order id (listing id . n)        -> redemption order record
MALL_AUCTION = b"a"  # a + auction id                     -> auction record
MALL_SUPPLIER = b"b"  # b + supplier(20)                  -> [status, name, applied, decided]

# exchange (vm/ops/exchange.py)
EX_ORDER = b"l"  # l -> next order id; l + id(8) -> book order record
EX_BOOK = b"n"  # n + base + 0 + quote                  -> [bids, asks] price levels, FIFO ids
EX_AGREEMENT = b"p"  # p + id(8)                         -> conversion agreement
EX_USAGE = b"s"  # s + id(8)                             -> [day, converted that day]

# the Ethereum bridge (vm/bridge.py)
BRIDGE = b"E"  # E + c: config, E + s: status, E + k + validator key(32) -> eth address(20)
BRIDGE_VALSET = b"v"  # v + nonce(8)                      -> valset record
BRIDGE_OUTBOX = b"w"  # w + kind(1) + id(8)               -> outbox message to sign
BRIDGE_SIGNATURE = b"x"  # x + kind(1) + id(8) + eth address(20) -> signature(65)
BRIDGE_DEPOSIT = b"z"  # z + nonce(8) + 0 + key(32) / 1 / 2 + digest(32): attestations, minted

SEP = b"\x00"


def height_bytes(height: int) -> bytes:
    return height.to_bytes(8, "big")
