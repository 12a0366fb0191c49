"""The operation table: op codes, names and the default gas schedule.

Each operation is a frozen dataclass (see vm/ops/fields.py) with `CODE`, `to_wire()`
(the `[code, *args]` array), `from_args(args)` and `execute(ctx)`. Gas is charged by the
executor before the operation runs (execution-specs style: gas before any effect), from
the schedule in the state (vm/params.py), which starts as `DEFAULT_GAS` below and which
governance may change. New operations get an op code, a name and a gas entry here and a
decoder entry in `vm/ops/catalog.py`. Codes are never reused.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from vm.context import ExecContext


class OpCode(IntEnum):
    # point types and holdings (vm/ops/asset.py, transfer.py)
    ASSET_CREATE = 1
    ASSET_ISSUE = 2
    TRANSFER = 3
    BURN = 4
    VALIDATOR_VOTE = 5
    ASSET_UPDATE = 6
    ASSET_FREEZE = 7
    ASSET_CLAWBACK = 8
    ASSET_AUTHORIZE = 9
    TRANSFER_BATCH = 10
    # governance (vm/ops/governance.py)
    GOV_PROPOSE = 20
    GOV_VOTE = 21
    MEMBER_ADMIT = 22
    MEMBER_REMOVE = 23
    ROLE_GRANT = 24
    ROLE_REVOKE = 25
    PARAM_SET = 26
    QUOTA_SET = 27
    TIER_DEFINE = 28
    VALIDATOR_SET = 29
    # custody and tiers (vm/ops/custody.py)
    CUSTODY_FEE = 30
    CUSTODY_MOVE = 31
    TIER_ASSIGN = 32
    # issuance modes (vm/ops/coupon.py, card.py, mining.py)
    COUPON_CREATE = 40
    COUPON_CLAIM = 41
    COUPON_RECLAIM = 42
    CARD_ISSUE = 43
    CARD_TRANSFER = 44
    CARD_REVOKE = 45
    MINING_CREATE = 46
    MINING_CLAIM = 47
    # rewards (vm/ops/rewards.py)
    REWARD_PROGRAM = 60
    REWARD_BATCH = 61
    DEVICE_PROGRAM = 62
    DEVICE_REGISTER = 63
    DEVICE_REPORT = 64
    # contracts (vm/ops/contract.py)
    CONTRACT_DEPLOY = 70
    CONTRACT_CALL = 71
    CONTRACT_DELEGATE = 72
    # merchant payments and settlement (vm/ops/payments.py)
    PAY_ORDER = 100
    PAY_REFUND = 101
    PAY_INVOICE = 102
    PAY_INVOICE_PAY = 103
    PAY_INVOICE_CANCEL = 104
    SETTLE_PARAMS = 110
    SETTLE_RESERVE = 111
    SETTLE_CREDIT_LIMIT = 112
    SETTLE_MARK = 113
    # exchange (vm/ops/exchange.py)
    EX_ORDER = 120
    EX_CANCEL = 121
    EX_EXPIRE = 122
    EX_AGREEMENT = 123
    EX_FUND_RESERVE = 124
    EX_WITHDRAW_RESERVE = 125
    EX_CONVERT = 126
    # the points mall (vm/ops/mall.py)
    MALL_APPLY = 80
    MALL_APPROVE = 81
    MALL_REVOKE = 82
    MALL_LIST = 83
    MALL_DELIST = 84
    MALL_RESTOCK = 85
    MALL_REDEEM = 86
    MALL_AUCTION = 87
    MALL_BID = 88
    MALL_SETTLE = 89
    MALL_CANCEL = 90
    # the Ethereum bridge (vm/ops/bridge.py)
    BRIDGE_REGISTER_KEY = 140
    BRIDGE_ATTEST = 141
    BRIDGE_WITHDRAW = 142
    BRIDGE_SIGN = 143
    BRIDGE_RENEW = 144
    BRIDGE_CONFIGURE = 145
    BRIDGE_PAUSE = 146
    BRIDGE_RESUME = 147
    BRIDGE_VAULT_CHANGE = 148
    BRIDGE_RELEASE = 149


class Operation(Protocol):
    CODE: ClassVar[OpCode]

    def to_wire(self) -> list[object]: ...

    def to_json(self) -> dict[str, Any]: ...

    def list_items(self) -> int: ...

    def extra_gas(self) -> int: ...

    def execute(self, ctx: ExecContext) -> None: ...


OP_NAMES: dict[OpCode, str] = {
    OpCode.ASSET_CREATE: "asset.create",
    OpCode.ASSET_ISSUE: "asset.issue",
    OpCode.TRANSFER: "transfer",
    OpCode.BURN: "burn",
    OpCode.VALIDATOR_VOTE: "validator.vote",
    OpCode.ASSET_UPDATE: "asset.update",
    OpCode.ASSET_FREEZE: "asset.freeze",
    OpCode.ASSET_CLAWBACK: "asset.clawback",
    OpCode.ASSET_AUTHORIZE: "asset.authorize",
    OpCode.TRANSFER_BATCH: "transfer.batch",
    OpCode.GOV_PROPOSE: "gov.propose",
    OpCode.GOV_VOTE: "gov.vote",
    OpCode.MEMBER_ADMIT: "member.admit",
    OpCode.MEMBER_REMOVE: "member.remove",
    OpCode.ROLE_GRANT: "role.grant",
    OpCode.ROLE_REVOKE: "role.revoke",
    OpCode.PARAM_SET: "param.set",
    OpCode.QUOTA_SET: "quota.set",
    OpCode.TIER_DEFINE: "tier.define",
    OpCode.VALIDATOR_SET: "validator.set",
    OpCode.CUSTODY_FEE: "custody.fee",
    OpCode.CUSTODY_MOVE: "custody.move",
    OpCode.TIER_ASSIGN: "tier.assign",
    OpCode.COUPON_CREATE: "coupon.create",
    OpCode.COUPON_CLAIM: "coupon.claim",
    OpCode.COUPON_RECLAIM: "coupon.reclaim",
    OpCode.CARD_ISSUE: "card.issue",
    OpCode.CARD_TRANSFER: "card.transfer",
    OpCode.CARD_REVOKE: "card.revoke",
    OpCode.MINING_CREATE: "mining.create",
    OpCode.MINING_CLAIM: "mining.claim",
    OpCode.REWARD_PROGRAM: "reward.program",
    OpCode.REWARD_BATCH: "reward.batch",
    OpCode.DEVICE_PROGRAM: "device.program",
    OpCode.DEVICE_REGISTER: "device.register",
    OpCode.DEVICE_REPORT: "device.report",
    OpCode.CONTRACT_DEPLOY: "contract.deploy",
    OpCode.CONTRACT_CALL: "contract.call",
    OpCode.CONTRACT_DELEGATE: "contract.delegate",
    OpCode.PAY_ORDER: "pay.order",
    OpCode.PAY_REFUND: "pay.refund",
    OpCode.PAY_INVOICE: "pay.invoice",
    OpCode.PAY_INVOICE_PAY: "pay.invoice_pay",
    OpCode.PAY_INVOICE_CANCEL: "pay.invoice_cancel",
    OpCode.SETTLE_PARAMS: "settle.params",
    OpCode.SETTLE_RESERVE: "settle.reserve",
    OpCode.SETTLE_CREDIT_LIMIT: "settle.credit_limit",
    OpCode.SETTLE_MARK: "settle.mark",
    OpCode.EX_ORDER: "ex.order",
    OpCode.EX_CANCEL: "ex.cancel",
    OpCode.EX_EXPIRE: "ex.expire",
    OpCode.EX_AGREEMENT: "ex.agreement",
    OpCode.EX_FUND_RESERVE: "ex.fund_reserve",
    OpCode.EX_WITHDRAW_RESERVE: "ex.withdraw_reserve",
    OpCode.EX_CONVERT: "ex.convert",
    OpCode.MALL_APPLY: "mall.apply",
    OpCode.MALL_APPROVE: "mall.approve",
    OpCode.MALL_REVOKE: "mall.revoke",
    OpCode.MALL_LIST: "mall.list",
    OpCode.MALL_DELIST: "mall.delist",
    OpCode.MALL_RESTOCK: "mall.restock",
    OpCode.MALL_REDEEM: "mall.redeem",
    OpCode.MALL_AUCTION: "mall.auction",
    OpCode.MALL_BID: "mall.bid",
    OpCode.MALL_SETTLE: "mall.settle",
    OpCode.MALL_CANCEL: "mall.cancel",
    OpCode.BRIDGE_REGISTER_KEY: "bridge.register_key",
    OpCode.BRIDGE_ATTEST: "bridge.attest",
    OpCode.BRIDGE_WITHDRAW: "bridge.withdraw",
    OpCode.BRIDGE_SIGN: "bridge.sign",
    OpCode.BRIDGE_RENEW: "bridge.renew",
    OpCode.BRIDGE_CONFIGURE: "bridge.configure",
    OpCode.BRIDGE_PAUSE: "bridge.pause",
    OpCode.BRIDGE_RESUME: "bridge.resume",
    OpCode.BRIDGE_VAULT_CHANGE: "bridge.vault_change",
    OpCode.BRIDGE_RELEASE: "bridge.release",
}
CODE_BY_NAME: dict[str, OpCode] = {name: code for code, name in OP_NAMES.items()}

# The default gas schedule (genesis may override it, governance may change it):
# op -> (gas per operation, gas per list item). TX_BASE is charged once per transaction
# (signature check, nonce, receipt).
DEFAULT_TX_BASE_GAS = 1_000
DEFAULT_GAS: dict[OpCode, tuple[int, int]] = {
    OpCode.ASSET_CREATE: (20_000, 0),
    OpCode.ASSET_ISSUE: (2_000, 0),
    OpCode.TRANSFER: (1_000, 0),
    OpCode.BURN: (1_000, 0),
    OpCode.VALIDATOR_VOTE: (5_000, 0),
    OpCode.ASSET_UPDATE: (2_000, 0),
    OpCode.ASSET_FREEZE: (2_000, 0),
    OpCode.ASSET_CLAWBACK: (2_000, 0),
    OpCode.ASSET_AUTHORIZE: (1_000, 0),
    OpCode.TRANSFER_BATCH: (1_000, 800),
    OpCode.GOV_PROPOSE: (10_000, 0),
    OpCode.GOV_VOTE: (2_000, 0),
    OpCode.MEMBER_ADMIT: (5_000, 0),
    OpCode.MEMBER_REMOVE: (5_000, 0),
    OpCode.ROLE_GRANT: (2_000, 0),
    OpCode.ROLE_REVOKE: (2_000, 0),
    OpCode.PARAM_SET: (2_000, 0),
    OpCode.QUOTA_SET: (2_000, 0),
    OpCode.TIER_DEFINE: (2_000, 0),
    OpCode.VALIDATOR_SET: (5_000, 0),
    OpCode.CUSTODY_FEE: (2_000, 0),
    OpCode.CUSTODY_MOVE: (1_500, 0),
    OpCode.TIER_ASSIGN: (1_000, 0),
    OpCode.COUPON_CREATE: (5_000, 0),
    OpCode.COUPON_CLAIM: (3_000, 0),
    OpCode.COUPON_RECLAIM: (2_000, 0),
    OpCode.CARD_ISSUE: (5_000, 0),
    OpCode.CARD_TRANSFER: (2_000, 0),
    OpCode.CARD_REVOKE: (2_000, 0),
    OpCode.MINING_CREATE: (10_000, 0),
    OpCode.MINING_CLAIM: (3_000, 0),
    OpCode.REWARD_PROGRAM: (5_000, 0),
    OpCode.REWARD_BATCH: (1_000, 1_000),
    OpCode.DEVICE_PROGRAM: (5_000, 0),
    OpCode.DEVICE_REGISTER: (2_000, 0),
    OpCode.DEVICE_REPORT: (2_500, 0),
    # deploy: per operation + per code byte (its list_items() is the code length);
    # call: the base only, the contract's own gas is added as it runs (vm/executor.py)
    OpCode.CONTRACT_DEPLOY: (20_000, 20),
    OpCode.CONTRACT_CALL: (2_000, 0),
    OpCode.CONTRACT_DELEGATE: (2_000, 0),
    OpCode.PAY_ORDER: (3_000, 0),
    OpCode.PAY_REFUND: (3_000, 0),
    OpCode.PAY_INVOICE: (2_000, 0),
    OpCode.PAY_INVOICE_PAY: (3_000, 0),
    OpCode.PAY_INVOICE_CANCEL: (1_000, 0),
    OpCode.SETTLE_PARAMS: (2_000, 0),
    OpCode.SETTLE_RESERVE: (2_000, 0),
    OpCode.SETTLE_CREDIT_LIMIT: (2_000, 0),
    OpCode.SETTLE_MARK: (2_000, 0),
    # order: placing and resting; each fill or expired order met adds exchange.FILL_GAS
    OpCode.EX_ORDER: (5_000, 0),
    OpCode.EX_CANCEL: (3_000, 0),
    OpCode.EX_EXPIRE: (3_000, 0),
    OpCode.EX_AGREEMENT: (2_000, 0),
    OpCode.EX_FUND_RESERVE: (2_000, 0),
    OpCode.EX_WITHDRAW_RESERVE: (2_000, 0),
    OpCode.EX_CONVERT: (3_000, 0),
    OpCode.MALL_APPLY: (2_000, 0),
    OpCode.MALL_APPROVE: (2_000, 0),
    OpCode.MALL_REVOKE: (2_000, 0),
    OpCode.MALL_LIST: (3_000, 0),
    OpCode.MALL_DELIST: (1_000, 0),
    OpCode.MALL_RESTOCK: (1_000, 0),
    OpCode.MALL_REDEEM: (3_000, 0),
    OpCode.MALL_AUCTION: (3_000, 0),
    OpCode.MALL_BID: (3_000, 0),
    OpCode.MALL_SETTLE: (3_000, 0),
    OpCode.MALL_CANCEL: (1_000, 0),
    # bridge: register and sign recover a secp256k1 signature; an attestation that
    # completes a quorum mints (and may mint the waiting nonces after it)
    OpCode.BRIDGE_REGISTER_KEY: (10_000, 0),
    OpCode.BRIDGE_ATTEST: (5_000, 0),
    OpCode.BRIDGE_WITHDRAW: (3_000, 0),
    OpCode.BRIDGE_SIGN: (8_000, 0),
    OpCode.BRIDGE_RENEW: (2_000, 0),
    OpCode.BRIDGE_CONFIGURE: (5_000, 0),
    OpCode.BRIDGE_PAUSE: (1_000, 0),
    OpCode.BRIDGE_RESUME: (5_000, 0),
    OpCode.BRIDGE_VAULT_CHANGE: (2_000, 0),
    OpCode.BRIDGE_RELEASE: (2_000, 0),
}
