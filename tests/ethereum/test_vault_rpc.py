"""The JSON-RPC client and transaction plumbing under trio against a real anvil: typed
errors, block tags, pending nonces, legacy and EIP-1559 transactions, reorgs."""

from __future__ import annotations

import socket

import pytest
import trio

from scctn_node.bridge.anvil import CHAIN_ID, address_of
from scctn_node.bridge.rpc import EthConnectionError, EthRpc, EthRpcError
from scctn_node.bridge.vault import (
    Fees,
    Token,
    VaultError,
    decode_revert,
    sign_transaction,
    suggest_fees,
    wait_for_receipt,
)
from tests.ethereum.world import T18, World

BOB = bytes.fromhex("b0b0000000000000000000000000000000000003")


def test_chain_and_block_tags(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        assert await rpc.chain_id() == CHAIN_ID
        await rpc.mine(5)
        head = await rpc.block_number()
        latest = await rpc.get_block("latest")
        finalized = await rpc.get_block("finalized")
        assert latest is not None and latest.number == head
        assert finalized is not None and 0 < finalized.number <= head
        assert latest.base_fee is not None
        parent = await rpc.get_block(head - 1)
        assert parent is not None and latest.parent_hash == parent.hash
        assert await rpc.get_block_by_hash(latest.hash) == latest
        assert await rpc.get_block(head + 1000) is None

    world.anvil.run(body)


def test_errors_are_typed(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        with pytest.raises(EthRpcError) as e:
            await rpc.request("eth_noSuchMethod")
        assert e.value.code == -32601
        # a reverting view: the revert data decodes to the vault's custom error
        b = world.bind(rpc)
        data = b.vault18.encode("release", 99)
        with pytest.raises(EthRpcError) as e:
            await rpc.call(to=b.vault18.address, data=data)
        assert e.value.revert_data is not None
        assert decode_revert(e.value.revert_data).name == "NotQueued"
        with pytest.raises(VaultError) as ve:
            await b.vault18.call("release", 99)
        assert ve.value.name == "NotQueued"

    world.anvil.run(body)


def test_unreachable_endpoint_is_a_connection_error() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    async def main() -> None:
        async with EthRpc(f"http://127.0.0.1:{port}", timeout=2.0) as rpc:
            with pytest.raises(EthConnectionError) as e:
                await rpc.chain_id()
            assert e.value.code == EthConnectionError.CODE

    trio.run(main)


def test_pending_nonce_and_both_transaction_kinds(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = world.bind(rpc)
        user = world.user
        await b.token18.mint(user, address_of(user), 10 * T18)
        fees = await suggest_fees(rpc)
        assert fees.priority_fee is not None  # anvil has a base fee: EIP-1559
        legacy = Fees(await rpc.gas_price(), None)
        await rpc.set_automine(False)
        try:
            data = b.token18.encode("transfer", BOB, T18)
            first = await sign_transaction(rpc, user, to=b.token18.address, data=data, gas=100_000)
            await rpc.send_raw_transaction(first.raw)
            # the next nonce counts the pending transaction
            second = await sign_transaction(
                rpc, user, to=b.token18.address, data=data, gas=100_000, fees=legacy
            )
            assert second.nonce == first.nonce + 1
            await rpc.send_raw_transaction(second.raw)
            await rpc.mine(1)
        finally:
            await rpc.set_automine(True)
        r1 = await wait_for_receipt(rpc, first.hash, timeout=10)
        r2 = await wait_for_receipt(rpc, second.hash, timeout=10)
        assert (r1.status, r2.status) == (1, 1)
        assert r1.block_number == r2.block_number
        tx2 = await rpc.get_transaction(second.hash)
        assert tx2 is not None and int(tx2["type"], 16) == 0
        assert await Token.at(rpc, b.token18.address).balance_of(BOB) == 2 * T18

    world.anvil.run(body)


def test_reorg_removes_a_deposit_log(world: World) -> None:
    async def body(rpc: EthRpc) -> None:
        b = world.bind(rpc)
        start = await rpc.block_number()
        await b.fund(b.token18, b.vault18, T18)
        [deposit] = await b.vault18.deposits(start + 1, "latest")
        await rpc.reorg(3)  # the deposit's block (the last one) is replaced
        assert await b.vault18.deposits(start + 1, "latest") == []
        assert await rpc.get_transaction_receipt(deposit.tx_hash) is None
        replaced = await rpc.get_block(deposit.block_number)
        assert replaced is not None and replaced.hash != deposit.block_hash
        assert await b.vault18.deposit_nonce() == 0

    world.anvil.run(body)
