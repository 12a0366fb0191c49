"""A deployed bridge for the vault tests: four validators (power 1 each, so three
signatures are a quorum and two are not), three tokens with their vaults, and helpers
to fund vaults and sign messages with the validators' real secp256k1 keys."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from primitives.eth import Valset, VaultChange, Withdrawal
from scctn_node.bridge.anvil import Anvil, address_of, seeded_key
from scctn_node.bridge.rpc import EthRpc
from scctn_node.bridge.vault import (
    Token,
    Vault,
    VaultParams,
    deploy,
    sign_message,
)

T18 = 10**18  # one token of an 18-decimals token
T6 = 10**6
DAY = 86_400
PARAMS18 = VaultParams(
    chain_decimals=8,
    guardian=b"",  # World.params18 has the guardian's address
    per_tx_cap=1_000 * T18,
    daily_limit=1_500 * T18,
    large_amount=600 * T18,
    large_delay=3_600,
    change_delay=DAY,
)


def key_address(key: bytes) -> bytes:
    from eth_account import Account

    return address_of(Account.from_key(key))


def sorted_keys(labels: Sequence[str]) -> list[bytes]:
    return sorted((seeded_key(label) for label in labels), key=key_address)


VALIDATOR_KEYS = sorted_keys([f"validator-{i}" for i in range(4)])
OTHER_KEYS = sorted_keys([f"validator-next-{i}" for i in range(3)])


def make_valset(nonce: int, keys: Sequence[bytes], powers: Sequence[int] | None = None) -> Valset:
    validators = tuple(key_address(k) for k in keys)
    return Valset(nonce, validators, tuple(powers or [1] * len(keys)))


@dataclass
class World:
    anvil: Anvil
    chain_id: int
    deployer: LocalAccount
    guardian: LocalAccount
    user: LocalAccount
    relayer: LocalAccount
    other: LocalAccount
    valset: Valset
    token18: bytes
    vault18: bytes
    token6: bytes  # SCCTN-like: returns false, 6 decimals
    vault6: bytes
    fee_token: bytes  # 1% burned per transfer
    fee_vault: bytes
    params18: VaultParams  # vault18's and fee_vault's parameters

    def bind(self, rpc: EthRpc) -> Bound:
        return Bound(
            self,
            rpc,
            Token.at(rpc, self.token18, "TestToken"),
            Vault.at(rpc, self.vault18),
            Token.at(rpc, self.token6, "ScctnLikeToken"),
            Vault.at(rpc, self.vault6),
            Token.at(rpc, self.fee_token, "FeeOnTransferToken"),
            Vault.at(rpc, self.fee_vault),
        )


@dataclass
class Bound:
    w: World
    rpc: EthRpc
    token18: Token
    vault18: Vault
    token6: Token
    vault6: Vault
    fee_token: Token
    fee_vault: Vault

    async def now(self) -> int:
        block = await self.rpc.get_block("latest")
        assert block is not None
        return block.timestamp

    async def fund(
        self, token: Token, vault: Vault, amount: int, who: LocalAccount | None = None
    ) -> None:
        """Mints `amount` to `who` (the user) and deposits it into `vault`."""
        who = who or self.w.user
        await token.mint(who, address_of(who), amount)
        await token.approve(who, vault.address, amount)
        await vault.deposit(who, amount, b"\x01" * 20)

    def sign(
        self, vault: Vault, message: Withdrawal | Valset | VaultChange, keys: Sequence[bytes]
    ) -> list[bytes]:
        return [sign_message(k, self.w.chain_id, vault.address, message) for k in keys]

    async def withdraw(
        self,
        vault: Vault,
        w: Withdrawal,
        signers: Sequence[int] = (0, 1, 2),
        keys: Sequence[bytes] = VALIDATOR_KEYS,
        current: Valset | None = None,
    ) -> object:
        sigs = self.sign(vault, w, [keys[i] for i in signers])
        return await vault.withdraw(self.w.relayer, w, current or self.w.valset, signers, sigs)


async def deploy_world(anvil: Anvil, rpc: EthRpc) -> World:
    deployer, guardian, user, relayer, other = anvil.accounts[:5]
    valset = make_valset(1, VALIDATOR_KEYS)
    params = dataclasses.replace(PARAMS18, guardian=address_of(guardian))
    token18 = await deploy(rpc, deployer, "TestToken", "Test 18", "T18", 18)
    vault18 = await Vault.deploy(rpc, deployer, token18.address, valset, params)
    token6 = await deploy(rpc, deployer, "ScctnLikeToken", "SCCTN-like", "SCL", 6)
    params6 = VaultParams(
        chain_decimals=4,
        guardian=address_of(guardian),
        per_tx_cap=1_000_000 * T6,
        daily_limit=2_000_000 * T6,
        large_amount=500_000 * T6,
        large_delay=3_600,
        change_delay=DAY,
    )
    vault6 = await Vault.deploy(rpc, deployer, token6.address, valset, params6)
    fee_token = await deploy(rpc, deployer, "FeeOnTransferToken", "Fee", "FEE", 18, 100)
    fee_vault = await Vault.deploy(rpc, deployer, fee_token.address, valset, params)
    return World(
        anvil,
        await rpc.chain_id(),
        deployer,
        guardian,
        user,
        relayer,
        other,
        valset,
        token18.address,
        vault18.address,
        token6.address,
        vault6.address,
        fee_token.address,
        fee_vault.address,
        params,
    )
