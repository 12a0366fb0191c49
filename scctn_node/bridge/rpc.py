"""An asynchronous Ethereum JSON-RPC client over httpx (works under trio: httpx's
transport runs on anyio, which drives trio).

Values cross this module's boundary as Python types: quantities as `int`, hashes,
addresses and data as `bytes`, logs, receipts and blocks as frozen dataclasses. Every
failure is an `EthRpcError` with the node's JSON-RPC `code`, `message` and `data` (the
revert data of a failed call, as the node sent it); transport failures are its subclass
`EthConnectionError`.

The `anvil_*` / `evm_*` helpers exist for tests and benchmarks against a local anvil.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

BlockTag = int | str  # a number, or "latest" | "pending" | "safe" | "finalized" | "earliest"


class EthRpcError(Exception):
    """The endpoint answered with a JSON-RPC error (or could not be reached)."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{message} (code {code})")
        self.code = code
        self.message = message
        self.data = data

    @property
    def revert_data(self) -> bytes | None:
        """The revert data of a failed call or gas estimate, if the node reported it."""
        data = self.data
        if isinstance(data, dict):  # some nodes nest it: {"data": "0x..."}
            data = data.get("data")
        if isinstance(data, str) and data.startswith("0x"):
            try:
                return bytes.fromhex(data[2:])
            except ValueError:
                return None
        return None


class EthConnectionError(EthRpcError):
    """No usable answer: connection refused, timeout, HTTP error or malformed JSON."""

    CODE = -32099

    def __init__(self, message: str) -> None:
        super().__init__(self.CODE, message)


@dataclass(frozen=True, slots=True)
class Log:
    address: bytes
    topics: tuple[bytes, ...]
    data: bytes
    block_number: int
    block_hash: bytes
    tx_hash: bytes
    tx_index: int
    log_index: int
    removed: bool


@dataclass(frozen=True, slots=True)
class Receipt:
    tx_hash: bytes
    status: int  # 1 success, 0 reverted
    block_number: int
    block_hash: bytes
    gas_used: int
    effective_gas_price: int
    contract_address: bytes | None
    logs: tuple[Log, ...]


@dataclass(frozen=True, slots=True)
class Block:
    number: int
    hash: bytes
    parent_hash: bytes
    timestamp: int
    base_fee: int | None  # None before London


def hex_int(value: int) -> str:
    return hex(value)


def hex_bytes(value: bytes) -> str:
    return "0x" + value.hex()


def _int(value: str) -> int:
    return int(value, 16)


def _bytes(value: str) -> bytes:
    return bytes.fromhex(value[2:] if value.startswith("0x") else value)


def _tag(block: BlockTag) -> str:
    return hex(block) if isinstance(block, int) else block


def parse_log(raw: dict[str, Any]) -> Log:
    return Log(
        address=_bytes(raw["address"]),
        topics=tuple(_bytes(t) for t in raw["topics"]),
        data=_bytes(raw["data"]),
        block_number=_int(raw["blockNumber"]),
        block_hash=_bytes(raw["blockHash"]),
        tx_hash=_bytes(raw["transactionHash"]),
        tx_index=_int(raw["transactionIndex"]),
        log_index=_int(raw["logIndex"]),
        removed=bool(raw.get("removed", False)),
    )


def parse_receipt(raw: dict[str, Any]) -> Receipt:
    contract = raw.get("contractAddress")
    return Receipt(
        tx_hash=_bytes(raw["transactionHash"]),
        status=_int(raw["status"]),
        block_number=_int(raw["blockNumber"]),
        block_hash=_bytes(raw["blockHash"]),
        gas_used=_int(raw["gasUsed"]),
        effective_gas_price=_int(raw.get("effectiveGasPrice", "0x0")),
        contract_address=_bytes(contract) if contract else None,
        logs=tuple(parse_log(x) for x in raw["logs"]),
    )


def parse_block(raw: dict[str, Any]) -> Block:
    base_fee = raw.get("baseFeePerGas")
    return Block(
        number=_int(raw["number"]),
        hash=_bytes(raw["hash"]),
        parent_hash=_bytes(raw["parentHash"]),
        timestamp=_int(raw["timestamp"]),
        base_fee=_int(base_fee) if base_fee is not None else None,
    )


def call_object(
    *, to: bytes | None, data: bytes, sender: bytes | None = None, value: int = 0
) -> dict[str, str]:
    """The transaction object of eth_call / eth_estimateGas."""
    tx: dict[str, str] = {"data": hex_bytes(data)}
    if to is not None:
        tx["to"] = hex_bytes(to)
    if sender is not None:
        tx["from"] = hex_bytes(sender)
    if value:
        tx["value"] = hex_int(value)
    return tx


class EthRpc:
    """One JSON-RPC endpoint. Use as `async with EthRpc(url) as rpc:` or call `aclose`."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url
        self._client = httpx.AsyncClient(timeout=timeout)
        self._ids = itertools.count(1)

    async def __aenter__(self) -> EthRpc:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(self, method: str, params: Sequence[Any] = ()) -> Any:
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        try:
            resp = await self._client.post(self.url, json=body)
        except httpx.HTTPError as e:
            raise EthConnectionError(f"{method}: {type(e).__name__}: {e}") from e
        try:
            answer = resp.json()
        except ValueError as e:
            raise EthConnectionError(f"{method}: HTTP {resp.status_code}, not JSON") from e
        if not isinstance(answer, dict):
            raise EthConnectionError(f"{method}: HTTP {resp.status_code}, not a JSON-RPC answer")
        error = answer.get("error")
        if error is not None:
            if not isinstance(error, dict):
                raise EthRpcError(-32603, str(error))
            raise EthRpcError(
                int(error.get("code", -32603)), str(error.get("message", "")), error.get("data")
            )
        if resp.status_code != 200 or "result" not in answer:
            raise EthConnectionError(f"{method}: HTTP {resp.status_code} without a result")
        return answer["result"]

    # ------------------------------------------------------------- standard

    async def chain_id(self) -> int:
        return _int(await self.request("eth_chainId"))

    async def block_number(self) -> int:
        return _int(await self.request("eth_blockNumber"))

    async def get_block(self, block: BlockTag = "latest") -> Block | None:
        """The block (header fields only), or None if the node has no such block; with
        "finalized" or "safe", None also when the node does not know that tag yet."""
        try:
            raw = await self.request("eth_getBlockByNumber", [_tag(block), False])
        except EthRpcError as e:
            if isinstance(block, str) and block in ("finalized", "safe") and e.code != -32099:
                return None
            raise
        return parse_block(raw) if raw else None

    async def get_block_by_hash(self, block_hash: bytes) -> Block | None:
        raw = await self.request("eth_getBlockByHash", [hex_bytes(block_hash), False])
        return parse_block(raw) if raw else None

    async def get_logs(
        self,
        *,
        address: bytes,
        from_block: BlockTag,
        to_block: BlockTag,
        topics: Sequence[bytes | None] = (),
    ) -> list[Log]:
        flt: dict[str, Any] = {
            "address": hex_bytes(address),
            "fromBlock": _tag(from_block),
            "toBlock": _tag(to_block),
        }
        if topics:
            flt["topics"] = [hex_bytes(t) if t is not None else None for t in topics]
        return [parse_log(x) for x in await self.request("eth_getLogs", [flt])]

    async def call(
        self,
        *,
        to: bytes,
        data: bytes,
        sender: bytes | None = None,
        block: BlockTag = "latest",
    ) -> bytes:
        tx = call_object(to=to, data=data, sender=sender)
        return _bytes(await self.request("eth_call", [tx, _tag(block)]))

    async def estimate_gas(
        self, *, to: bytes | None, data: bytes, sender: bytes, value: int = 0
    ) -> int:
        tx = call_object(to=to, data=data, sender=sender, value=value)
        return _int(await self.request("eth_estimateGas", [tx]))

    async def gas_price(self) -> int:
        return _int(await self.request("eth_gasPrice"))

    async def max_priority_fee(self) -> int:
        return _int(await self.request("eth_maxPriorityFeePerGas"))

    async def fee_history(
        self, blocks: int, newest: BlockTag = "latest", percentiles: Sequence[int] = ()
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self.request(
            "eth_feeHistory", [hex_int(blocks), _tag(newest), list(percentiles)]
        )
        return result

    async def get_transaction_count(self, address: bytes, block: BlockTag = "pending") -> int:
        return _int(
            await self.request("eth_getTransactionCount", [hex_bytes(address), _tag(block)])
        )

    async def get_balance(self, address: bytes, block: BlockTag = "latest") -> int:
        return _int(await self.request("eth_getBalance", [hex_bytes(address), _tag(block)]))

    async def get_code(self, address: bytes, block: BlockTag = "latest") -> bytes:
        return _bytes(await self.request("eth_getCode", [hex_bytes(address), _tag(block)]))

    async def send_raw_transaction(self, raw: bytes) -> bytes:
        """Submits a signed transaction; returns its hash."""
        return _bytes(await self.request("eth_sendRawTransaction", [hex_bytes(raw)]))

    async def get_transaction_receipt(self, tx_hash: bytes) -> Receipt | None:
        raw = await self.request("eth_getTransactionReceipt", [hex_bytes(tx_hash)])
        return parse_receipt(raw) if raw else None

    async def get_transaction(self, tx_hash: bytes) -> dict[str, Any] | None:
        raw: dict[str, Any] | None = await self.request(
            "eth_getTransactionByHash", [hex_bytes(tx_hash)]
        )
        return raw

    # ------------------------------------------------------ anvil (tests only)

    async def snapshot(self) -> str:
        result: str = await self.request("evm_snapshot")
        return result

    async def revert(self, snapshot_id: str) -> bool:
        return bool(await self.request("evm_revert", [snapshot_id]))

    async def mine(self, blocks: int = 1) -> None:
        await self.request("anvil_mine", [hex_int(blocks)])

    async def increase_time(self, seconds: int) -> None:
        await self.request("evm_increaseTime", [seconds])

    async def set_next_block_timestamp(self, timestamp: int) -> None:
        await self.request("evm_setNextBlockTimestamp", [timestamp])

    async def set_automine(self, enabled: bool) -> None:
        await self.request("evm_setAutomine", [enabled])

    async def set_balance(self, address: bytes, wei: int) -> None:
        await self.request("anvil_setBalance", [hex_bytes(address), hex_int(wei)])

    async def reorg(self, depth: int, txs: Sequence[tuple[bytes, int]] = ()) -> None:
        """anvil_reorg: replaces the last `depth` blocks; `txs` are (signed raw tx, index
        of the new block to put it in) pairs."""
        await self.request("anvil_reorg", [depth, [[hex_bytes(tx), i] for tx, i in txs]])
