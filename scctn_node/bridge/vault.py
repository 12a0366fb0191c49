"""Typed bindings for the bridge vault and ERC-20 tokens, and the EIP-712 helpers.

- `Vault` / `Token`: the functions the node and the tests use, over `Contract`
  (scctn_node/bridge/contract.py: artifacts, ABI, transactions, `VaultError` decoding).
- Messages are primitives/eth.py's `Withdrawal`, `Valset` and `VaultChange`.
- EIP-712: `typed_digest` builds the digest a validator signs with eth_account's generic
  `encode_typed_data` (primitives/eth.py has an independent encoder; the tests check
  the two and the contract's own `digestOf` agree), `sign_message` signs it, and
  `pick_signatures` turns collected signatures into the vault's sorted (signers, sigs).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address

from primitives.eth import Valset, VaultChange, Withdrawal

from .contract import (
    Artifact,
    Contract,
    Event,
    Fees,
    SignedTx,
    TxTimeout,
    VaultError,
    decode_revert,
    deploy,
    load_artifact,
    send_transaction,
    sign_transaction,
    suggest_fees,
    wait_for_receipt,
)
from .rpc import BlockTag, EthRpc, Receipt

__all__ = [
    "Artifact",
    "Contract",
    "Deposit",
    "Event",
    "Fees",
    "SignedTx",
    "Token",
    "TxTimeout",
    "Vault",
    "VaultError",
    "VaultParams",
    "change_arg",
    "decode_revert",
    "deploy",
    "has_quorum",
    "load_artifact",
    "pick_signatures",
    "sig_arg",
    "send_transaction",
    "sign_digest",
    "sign_message",
    "sign_transaction",
    "suggest_fees",
    "typed_data",
    "typed_digest",
    "valset_arg",
    "wait_for_receipt",
    "withdrawal_arg",
]

Message = Withdrawal | Valset | VaultChange


class Token(Contract):
    """An ERC-20 (the test tokens, or the real SCCTN through the same ABI)."""

    @classmethod
    def at(cls, rpc: EthRpc, address: bytes, name: str = "TestToken") -> Token:
        return cls(rpc, address, load_artifact(name))

    async def decimals(self) -> int:
        return int(await self.call("decimals"))

    async def balance_of(self, who: bytes) -> int:
        return int(await self.call("balanceOf", who))

    async def allowance(self, owner: bytes, spender: bytes) -> int:
        return int(await self.call("allowance", owner, spender))

    async def approve(self, account: LocalAccount, spender: bytes, amount: int) -> Receipt:
        return await self.transact(account, "approve", spender, amount)

    async def transfer(self, account: LocalAccount, to: bytes, amount: int) -> Receipt:
        return await self.transact(account, "transfer", to, amount)

    async def mint(self, account: LocalAccount, to: bytes, amount: int) -> Receipt:
        return await self.transact(account, "mint", to, amount)


# ---------------------------------------------------------------- the vault


@dataclass(frozen=True, slots=True)
class VaultParams:
    """The vault's constructor arguments besides the token and the first valset."""

    chain_decimals: int
    guardian: bytes
    per_tx_cap: int
    daily_limit: int
    large_amount: int
    large_delay: int
    change_delay: int


@dataclass(frozen=True, slots=True)
class Deposit:
    """One `Deposited` event, where it was seen."""

    nonce: int
    sender: bytes
    recipient: bytes
    amount: int  # token units actually received
    tx_hash: bytes
    log_index: int
    block_number: int
    block_hash: bytes


def withdrawal_arg(w: Withdrawal) -> tuple[int, bytes, int, int]:
    return (w.id, w.recipient, w.amount, w.expiry)


def valset_arg(v: Valset) -> tuple[int, list[bytes], list[int]]:
    return (v.nonce, list(v.validators), list(v.powers))


def change_arg(c: VaultChange) -> tuple[int, int, int, int, int, bytes, bool]:
    return (
        c.nonce,
        c.per_tx_cap,
        c.daily_limit,
        c.large_amount,
        c.large_delay,
        c.guardian,
        c.unpause,
    )


def sig_arg(sig: bytes) -> tuple[int, bytes, bytes]:
    """65 bytes r || s || v -> the vault's Sig(v, r, s)."""
    if len(sig) != 65:
        raise ValueError("a signature is 65 bytes r || s || v")
    return (sig[64], sig[:32], sig[32:64])


class Vault(Contract):
    @classmethod
    def at(cls, rpc: EthRpc, address: bytes, name: str = "SCCTNVault") -> Vault:
        return cls(rpc, address, load_artifact(name))

    @classmethod
    async def deploy(
        cls,
        rpc: EthRpc,
        account: LocalAccount,
        token: bytes,
        valset: Valset,
        params: VaultParams,
    ) -> Vault:
        vault = await deploy(
            rpc,
            account,
            "SCCTNVault",
            token,
            params.chain_decimals,
            list(valset.validators),
            list(valset.powers),
            valset.nonce,
            params.guardian,
            params.per_tx_cap,
            params.daily_limit,
            params.large_amount,
            params.large_delay,
            params.change_delay,
            cls=cls,
        )
        assert isinstance(vault, Vault)
        return vault

    # state-changing
    async def deposit(self, account: LocalAccount, amount: int, recipient: bytes) -> Receipt:
        return await self.transact(account, "deposit", amount, recipient)

    async def withdraw(
        self,
        account: LocalAccount,
        w: Withdrawal,
        current: Valset,
        signers: Sequence[int],
        sigs: Sequence[bytes],
        *,
        gas: int | None = None,
    ) -> Receipt:
        return await self.transact(
            account, "withdraw", *self.withdraw_args(w, current, signers, sigs), gas=gas
        )

    def withdraw_args(
        self, w: Withdrawal, current: Valset, signers: Sequence[int], sigs: Sequence[bytes]
    ) -> tuple[Any, ...]:
        return (withdrawal_arg(w), valset_arg(current), list(signers), [sig_arg(s) for s in sigs])

    async def update_valset(
        self,
        account: LocalAccount,
        next_set: Valset,
        current: Valset,
        signers: Sequence[int],
        sigs: Sequence[bytes],
    ) -> Receipt:
        args = (
            valset_arg(next_set),
            valset_arg(current),
            list(signers),
            [sig_arg(s) for s in sigs],
        )
        return await self.transact(account, "updateValset", *args)

    async def schedule_change(
        self,
        account: LocalAccount,
        change: VaultChange,
        current: Valset,
        signers: Sequence[int],
        sigs: Sequence[bytes],
    ) -> Receipt:
        args = (change_arg(change), valset_arg(current), list(signers), [sig_arg(s) for s in sigs])
        return await self.transact(account, "scheduleChange", *args)

    async def apply_change(self, account: LocalAccount, change: VaultChange) -> Receipt:
        return await self.transact(account, "applyChange", change_arg(change))

    async def release(self, account: LocalAccount, withdrawal_id: int) -> Receipt:
        return await self.transact(account, "release", withdrawal_id)

    async def cancel_queued(self, account: LocalAccount, withdrawal_id: int) -> Receipt:
        return await self.transact(account, "cancelQueued", withdrawal_id)

    async def pause(self, account: LocalAccount) -> Receipt:
        return await self.transact(account, "pause")

    # views
    async def token(self) -> bytes:
        return bytes(await self.call("token"))

    async def scale(self) -> int:
        return int(await self.call("scale"))

    async def token_decimals(self) -> int:
        return int(await self.call("tokenDecimals"))

    async def deposit_nonce(self, block: BlockTag = "latest") -> int:
        return int(await self.call("depositNonce", block=block))

    async def valset_nonce(self) -> int:
        return int(await self.call("valsetNonce"))

    async def valset_checkpoint(self) -> bytes:
        return bytes(await self.call("valsetCheckpoint"))

    async def used(self, withdrawal_id: int) -> bool:
        return bool(await self.call("used", withdrawal_id))

    async def paused(self) -> bool:
        return bool(await self.call("paused"))

    async def guardian(self) -> bytes:
        return bytes(await self.call("guardian"))

    async def change_nonce(self) -> int:
        return int(await self.call("changeNonce"))

    async def queued(self, withdrawal_id: int) -> tuple[bytes, int, int]:
        recipient, amount, eta = await self.call("queued", withdrawal_id)
        return recipient, amount, eta

    async def limits(self) -> dict[str, int]:
        names = ("perTxCap", "dailyLimit", "largeAmount", "largeDelay", "changeDelay")
        return {n: int(await self.call(n)) for n in names}

    async def domain_separator(self) -> bytes:
        return bytes(await self.call("domainSeparator"))

    async def chain_digest(self, message: Message) -> bytes:
        """The digest the vault itself computes for `message` (a cross-check)."""
        fn = {Withdrawal: "hashWithdrawal", Valset: "hashValset", VaultChange: "hashVaultChange"}
        arg = _message_arg(message)
        struct_hash = await self.call(fn[type(message)], arg)
        return bytes(await self.call("digestOf", struct_hash))

    # events
    def deposit_of(self, event: Event) -> Deposit:
        a = event.args
        return Deposit(
            nonce=a["nonce"],
            sender=a["sender"],
            recipient=a["recipient"],
            amount=a["amount"],
            tx_hash=event.log.tx_hash,
            log_index=event.log.log_index,
            block_number=event.log.block_number,
            block_hash=event.log.block_hash,
        )

    async def deposits(self, from_block: BlockTag, to_block: BlockTag) -> list[Deposit]:
        """`Deposited` events in a block range, in log order (eth_getLogs: keep the
        range bounded)."""
        events = await self.get_events("Deposited", from_block, to_block)
        return [self.deposit_of(e) for e in events]


def _message_arg(message: Message) -> tuple[Any, ...]:
    if isinstance(message, Withdrawal):
        return withdrawal_arg(message)
    if isinstance(message, Valset):
        return valset_arg(message)
    return change_arg(message)


# ------------------------------------------------------------------- EIP-712

_EIP712_DOMAIN = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def typed_data(chain_id: int, vault: bytes, message: Message) -> dict[str, Any]:
    """The EIP-712 typed data (eth_account `full_message`) of a bridge message."""
    fields = message.fields()
    for k, v in fields.items():
        if isinstance(v, bytes):
            fields[k] = to_checksum_address(v)
        elif isinstance(v, list):
            fields[k] = [to_checksum_address(x) if isinstance(x, bytes) else x for x in v]
    types = {
        name: [{"name": n, "type": t} for n, t in spec] for name, spec in message.TYPES.items()
    }
    return {
        "types": {"EIP712Domain": _EIP712_DOMAIN, **types},
        "primaryType": message.PRIMARY,
        "domain": {
            "name": "SCCTN Bridge",
            "version": "1",
            "chainId": chain_id,
            "verifyingContract": to_checksum_address(vault),
        },
        "message": fields,
    }


def typed_digest(chain_id: int, vault: bytes, message: Message) -> bytes:
    signable = encode_typed_data(full_message=typed_data(chain_id, vault, message))
    return bytes(keccak(b"\x19" + signable.version + signable.header + signable.body))


def sign_digest(private_key: bytes, digest: bytes) -> bytes:
    """65 bytes r || s || v (v = 27/28, low s) over a raw 32-byte digest."""
    signed = Account.unsafe_sign_hash(digest, private_key)
    r, s, v = int(signed.r), int(signed.s), int(signed.v)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])


def sign_message(private_key: bytes, chain_id: int, vault: bytes, message: Message) -> bytes:
    return sign_digest(private_key, typed_digest(chain_id, vault, message))


def has_quorum(current: Valset, signers: Iterable[int]) -> bool:
    """Signed power * 3 > total power * 2, as the vault checks."""
    signed = sum(current.powers[i] for i in set(signers))
    return signed * 3 > sum(current.powers) * 2


def pick_signatures(
    current: Valset, signatures: Mapping[bytes, bytes]
) -> tuple[list[int], list[bytes]]:
    """The vault's (signers, sigs) from signatures by Ethereum address: members of
    `current` in ascending index order, stopping as soon as they hold a quorum (fewer
    signatures, less gas). Raises VaultError("NoQuorum") if the members who signed hold
    no quorum."""
    signers: list[int] = []
    sigs: list[bytes] = []
    for i, member in enumerate(current.validators):
        sig = signatures.get(member)
        if sig is None:
            continue
        signers.append(i)
        sigs.append(sig)
        if has_quorum(current, signers):
            return signers, sigs
    raise VaultError("NoQuorum")
