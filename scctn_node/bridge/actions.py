"""What `scctn bridge deploy|deposit|status` do on Ethereum, as plain async functions
(the CLI, `scctn localnet --bridge-eth-rpc`, the tests and the benchmark share them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount

from primitives import eth
from scctn_node.bridge.rpc import EthRpc
from scctn_node.bridge.vault import Token, Vault, VaultParams, deploy
from scctn_node.errors import NodeError

LOCAL_CHAIN_IDS = (31337, 1337)  # anvil, hardhat/ganache: test tokens allowed
TEST_TOKENS = {"standard": "TestToken", "scctn-like": "ScctnLikeToken"}
UINT256_MAX = 2**256 - 1


class BridgeActionError(NodeError):
    code = "bridge_error"


@dataclass(frozen=True, slots=True)
class Deployment:
    eth_chain_id: int
    vault: str
    token: str
    token_decimals: int
    block: int
    test_token: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "eth_chain_id": self.eth_chain_id,
            "vault": self.vault,
            "token": self.token,
            "token_decimals": self.token_decimals,
            "block": self.block,
            "test_token": self.test_token,
        }


def default_params(guardian: bytes, chain_decimals: int = 8) -> VaultParams:
    """Limits that do not get in the way on a test network (operators set their own)."""
    return VaultParams(
        chain_decimals=chain_decimals,
        guardian=guardian,
        per_tx_cap=UINT256_MAX // 4,
        daily_limit=UINT256_MAX // 4,
        large_amount=UINT256_MAX // 4,
        large_delay=3_600,
        change_delay=3_600,
    )


async def deploy_bridge(
    rpc: EthRpc,
    account: LocalAccount,
    valset: eth.Valset,
    params: VaultParams,
    *,
    token: bytes | None = None,
    test_token: str | None = None,
    token_decimals: int = 18,
    mint_to: list[bytes] | None = None,
    mint_amount: int = 0,
) -> Deployment:
    """Deploy the vault (and, on a local test network, a test token first)."""
    chain_id = await rpc.chain_id()
    valset.check()
    if (token is None) == (test_token is None):
        raise BridgeActionError("give exactly one of a token address or a test token kind")
    if test_token is not None:
        if chain_id not in LOCAL_CHAIN_IDS:
            raise BridgeActionError(
                f"test tokens are for local networks only (chain {chain_id})", "not_local"
            )
        if test_token not in TEST_TOKENS:
            raise BridgeActionError(f"unknown test token {test_token!r}", "bad_arguments")
        contract = await deploy(
            rpc, account, TEST_TOKENS[test_token], "SCCTN (test)", "SCCTN", token_decimals
        )
        token = contract.address
        t = Token.at(rpc, token, TEST_TOKENS[test_token])
        for who in mint_to or []:
            if mint_amount:
                await t.mint(account, who, mint_amount)
    assert token is not None
    if not await rpc.get_code(token):
        raise BridgeActionError(f"no contract at the token address {eth.to_checksum(token)}")
    vault = await Vault.deploy(rpc, account, token, valset, params)
    return Deployment(
        eth_chain_id=chain_id,
        vault=eth.to_checksum(vault.address),
        token=eth.to_checksum(token),
        token_decimals=int(await vault.token_decimals()),
        block=await rpc.block_number(),
        test_token=test_token,
    )


async def open_vault(rpc: EthRpc, vault_address: bytes) -> Vault:
    """The vault at `vault_address`, after checking there is a contract there: an address
    given for another chain (or mistyped) has no code, and calls to it would "succeed"
    without doing anything."""
    if not await rpc.get_code(vault_address):
        raise BridgeActionError(
            f"no contract at {eth.to_checksum(vault_address)} on Ethereum chain "
            f"{await rpc.chain_id()}: wrong vault address or wrong endpoint",
            "no_vault",
        )
    return Vault.at(rpc, vault_address)


async def deposit(
    rpc: EthRpc, account: LocalAccount, vault_address: bytes, amount: int, recipient: bytes
) -> dict[str, Any]:
    """Approve the vault for `amount` token units, then deposit them for `recipient`."""
    if amount <= 0:
        raise BridgeActionError("the amount must be positive", "bad_amount")
    if len(recipient) != 20:
        raise BridgeActionError("the recipient is a 20-byte consortium address", "bad_address")
    vault = await open_vault(rpc, vault_address)
    token = Token.at(rpc, await vault.token())
    me = bytes.fromhex(account.address[2:])
    if await token.allowance(me, vault_address) < amount:
        await token.approve(account, vault_address, amount)
    receipt = await vault.deposit(account, amount, recipient)
    events = vault.events(receipt, "Deposited")
    if not events:  # our vault always logs a deposit: this contract is something else
        raise BridgeActionError(
            f"the deposit transaction 0x{receipt.tx_hash.hex()} logged no Deposited event: "
            f"{eth.to_checksum(vault_address)} is not an SCCTN vault",
            "no_vault",
        )
    return {
        "nonce": int(events[0].args["nonce"]),
        "amount": int(events[0].args["amount"]),
        "tx": "0x" + receipt.tx_hash.hex(),
        "block": receipt.block_number,
    }


async def vault_status(rpc: EthRpc, vault_address: bytes) -> dict[str, Any]:
    vault = await open_vault(rpc, vault_address)
    token_address = await vault.token()
    token = Token.at(rpc, token_address)
    scale = int(await vault.scale())
    locked = int(await token.balance_of(vault_address))
    return {
        "eth_chain_id": await rpc.chain_id(),
        "vault": eth.to_checksum(vault_address),
        "token": eth.to_checksum(token_address),
        "token_decimals": int(await vault.token_decimals()),
        "scale": scale,
        "locked": str(locked),
        "locked_chain_units": locked // scale,
        "deposit_nonce": int(await vault.deposit_nonce()),
        "valset_nonce": int(await vault.valset_nonce()),
        "change_nonce": int(await vault.change_nonce()),
        "paused": bool(await vault.paused()),
        "guardian": eth.to_checksum(await vault.guardian()),
        "limits": {k: str(v) for k, v in (await vault.limits()).items()},
    }
