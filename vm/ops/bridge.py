"""Operations of the Ethereum bridge (logic and state in vm/bridge.py).

Ethereum values keep their Ethereum shapes on the wire: addresses are 20 bytes, uint256
amounts 32 bytes big-endian, signatures 65 bytes r || s || v. As text and JSON an address
is `0x...` (EIP-55), a uint256 a decimal string, a signature hex (with or without 0x).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from primitives import eth
from primitives.errors import DecodeError
from vm import bridge, bridge_state, governance
from vm.context import ExecContext
from vm.ops.fields import ACCOUNT, AMOUNT, BOOL, U64, Bytes, Int, OpBase, Resolver, arg
from vm.ops.registry import OpCode


class EthAddress(Bytes):
    name = "0x-address"

    def __init__(self, optional: bool = False) -> None:
        super().__init__(None if optional else eth.ETH_ADDRESS_SIZE, eth.ETH_ADDRESS_SIZE)
        self.optional = optional

    def decode(self, wire: object, what: str) -> bytes:
        raw = super().decode(wire, what)
        if self.optional and len(raw) not in (0, eth.ETH_ADDRESS_SIZE):
            raise DecodeError(f"{what}: 20 bytes, or empty")
        return raw

    def to_json(self, value: bytes) -> str:
        return eth.to_checksum(value) if value else ""

    def from_text(self, text: str, resolve: Resolver) -> bytes:
        if self.optional and text in ("", "-"):
            return b""
        try:
            return eth.parse_eth_address(text)
        except eth.InvalidEthAddress as exc:
            raise DecodeError(exc.message) from None


class Uint256(Bytes):
    """A uint256 carried as 32 bytes big-endian; text and JSON: a decimal string."""

    name = "uint256"

    def __init__(self) -> None:
        super().__init__(32)

    def to_json(self, value: bytes) -> str:
        return str(int.from_bytes(value, "big"))

    def from_text(self, text: str, resolve: Resolver) -> bytes:
        try:
            n = int(text, 16) if text.startswith("0x") else int(text, 10)
        except ValueError:
            raise DecodeError(f"{text!r} is not an integer") from None
        if not 0 <= n <= eth.UINT256_MAX:
            raise DecodeError(f"{text} is not a uint256")
        return n.to_bytes(32, "big")

    def from_json(self, value: Any, resolve: Resolver) -> bytes:
        if type(value) is int:
            return self.from_text(str(value), resolve)
        raw: bytes = super().from_json(value, resolve)
        return raw


class Hex(Bytes):
    """Bytes as hex, `0x` optional."""

    def from_text(self, text: str, resolve: Resolver) -> bytes:
        return super().from_text(text[2:] if text.startswith("0x") else text, resolve)


ETH_ADDRESS = EthAddress()
UINT256 = Uint256()
SIGNATURE = Hex(eth.SIGNATURE_LEN)


@dataclass(frozen=True, slots=True)
class BridgeRegisterKey(OpBase):
    """Bind a secp256k1 bridge key to the sender's validator identity (validators only)."""

    CODE: ClassVar[OpCode] = OpCode.BRIDGE_REGISTER_KEY
    eth_address: bytes = arg(ETH_ADDRESS, "the key's Ethereum address")
    proof: bytes = arg(SIGNATURE, "its signature of the key-binding digest (65 bytes)")

    def execute(self, ctx: ExecContext) -> None:
        bridge.register_key(ctx, self.eth_address, self.proof)


@dataclass(frozen=True, slots=True)
class BridgeAttest(OpBase):
    """A validator attests one deposit event of the vault."""

    CODE: ClassVar[OpCode] = OpCode.BRIDGE_ATTEST
    nonce: int = arg(Int(1), "the vault's deposit nonce")
    eth_tx: bytes = arg(Hex(32), "the deposit's transaction hash")
    log_index: int = arg(U64, "the event's log index")
    amount: bytes = arg(UINT256, "token units received by the vault")
    recipient: bytes = arg(ACCOUNT, "who is credited on this chain")

    def execute(self, ctx: ExecContext) -> None:
        bridge.attest(
            ctx,
            bridge_state.Deposit(
                self.nonce,
                self.eth_tx,
                self.log_index,
                bridge_state.u256(self.amount),
                self.recipient,
            ),
        )


@dataclass(frozen=True, slots=True)
class BridgeWithdraw(OpBase):
    """Burn wrapped points to be paid out on Ethereum (queued for the validators)."""

    CODE: ClassVar[OpCode] = OpCode.BRIDGE_WITHDRAW
    eth_recipient: bytes = arg(ETH_ADDRESS, "who the vault pays")
    amount: int = arg(AMOUNT, "chain units to burn")

    def execute(self, ctx: ExecContext) -> None:
        bridge.withdraw(ctx, self.eth_recipient, self.amount)


@dataclass(frozen=True, slots=True)
class BridgeSign(OpBase):
    """A signature of an outbox message by a bridge key (checked by ecrecover)."""

    CODE: ClassVar[OpCode] = OpCode.BRIDGE_SIGN
    kind: int = arg(Int(1, 3), "1 withdrawal, 2 valset, 3 vault change")
    id: int = arg(U64, "the message's id (withdrawal id or nonce)")
    signature: bytes = arg(SIGNATURE, "65 bytes r || s || v over its EIP-712 digest")

    def execute(self, ctx: ExecContext) -> None:
        bridge.sign(ctx, self.kind, self.id, self.signature)


@dataclass(frozen=True, slots=True)
class BridgeRenew(OpBase):
    """Give an expired withdrawal a new expiry (its owner only)."""

    CODE: ClassVar[OpCode] = OpCode.BRIDGE_RENEW
    id: int = arg(U64, "withdrawal id")

    def execute(self, ctx: ExecContext) -> None:
        bridge.renew(ctx, self.id)


@dataclass(frozen=True, slots=True)
class BridgeConfigure(OpBase):
    """Set the bridge's parameters (governance)."""

    CODE: ClassVar[OpCode] = OpCode.BRIDGE_CONFIGURE
    eth_chain_id: int = arg(Int(1), "the Ethereum chain id")
    vault: bytes = arg(EthAddress(optional=True), "the vault's address, or empty")
    token_decimals: int = arg(Int(0, bridge_state.MAX_TOKEN_DECIMALS), "the ERC-20's decimals")
    wrapped_decimals: int = arg(Int(0, 18), "decimals of the wrapped point type")
    withdraw_ttl: int = arg(U64, "seconds a withdrawal stays valid")

    def execute(self, ctx: ExecContext) -> None:
        governance.require_governance(ctx)
        config = bridge_state.get_config(ctx.state)
        symbol = config.symbol if config else bridge_state.DEFAULT_SYMBOL
        bridge.configure(
            ctx,
            bridge_state.Config(
                self.eth_chain_id,
                self.vault,
                self.token_decimals,
                self.wrapped_decimals,
                self.withdraw_ttl,
                symbol,
            ),
        )


@dataclass(frozen=True, slots=True)
class BridgePause(OpBase):
    """Stop minting and withdrawals (governance)."""

    CODE: ClassVar[OpCode] = OpCode.BRIDGE_PAUSE

    def execute(self, ctx: ExecContext) -> None:
        governance.require_governance(ctx)
        bridge.pause(ctx)


@dataclass(frozen=True, slots=True)
class BridgeResume(OpBase):
    """Lift a pause or a halt (governance); a halted nonce is attested afresh."""

    CODE: ClassVar[OpCode] = OpCode.BRIDGE_RESUME

    def execute(self, ctx: ExecContext) -> None:
        governance.require_governance(ctx)
        bridge.resume(ctx)


@dataclass(frozen=True, slots=True)
class BridgeVaultChange(OpBase):
    """Put a change of the vault's limits and guardian in the outbox to sign (governance)."""

    CODE: ClassVar[OpCode] = OpCode.BRIDGE_VAULT_CHANGE
    per_tx_cap: bytes = arg(UINT256, "token units per withdrawal")
    daily_limit: bytes = arg(UINT256, "token units per day")
    large_amount: bytes = arg(UINT256, "above this a withdrawal waits large_delay")
    large_delay: int = arg(U64, "seconds")
    guardian: bytes = arg(ETH_ADDRESS, "the address that may pause the vault")
    unpause: bool = arg(BOOL, "unpause the vault when applied", default=False)

    def execute(self, ctx: ExecContext) -> None:
        governance.require_governance(ctx)
        bridge.vault_change(
            ctx,
            eth.VaultChange(
                0,
                bridge_state.u256(self.per_tx_cap),
                bridge_state.u256(self.daily_limit),
                bridge_state.u256(self.large_amount),
                self.large_delay,
                self.guardian,
                self.unpause,
            ),
        )


@dataclass(frozen=True, slots=True)
class BridgeRelease(OpBase):
    """Pay out points a deposit credited to the bridge's suspense account (governance)."""

    CODE: ClassVar[OpCode] = OpCode.BRIDGE_RELEASE
    to: bytes = arg(ACCOUNT, "who receives them")
    amount: int = arg(AMOUNT, "chain units")

    def execute(self, ctx: ExecContext) -> None:
        governance.require_governance(ctx)
        bridge.release(ctx, self.to, self.amount)


OPS = (
    BridgeRegisterKey,
    BridgeAttest,
    BridgeWithdraw,
    BridgeSign,
    BridgeRenew,
    BridgeConfigure,
    BridgePause,
    BridgeResume,
    BridgeVaultChange,
    BridgeRelease,
)
