"""Generic contract machinery over the JSON-RPC client: the committed artifacts, ABI
encoding with eth_abi, views, transactions signed with an eth_account key, events, and
reverts decoded into typed errors.

- Transactions are EIP-1559 where the node reports a base fee (legacy otherwise); the
  nonce comes from `eth_getTransactionCount(.., "pending")`, the gas from
  `eth_estimateGas` (+20%). `sign_transaction` is exposed alone for callers that manage
  nonces and fees themselves (the relayer).
- A revert surfaces as `VaultError(name)` carrying the custom error's name and arguments
  (`VaultError("AlreadyUsed")`), decoded from the revert data against every artifact's
  ABI, `Error(string)` and `Panic(uint256)`.

Addresses are 20-byte `bytes` everywhere (ABI-decoded addresses are converted back).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import trio
from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address

from .rpc import BlockTag, EthRpc, EthRpcError, Log, Receipt

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"


class VaultError(Exception):
    """A contract call reverted. `name` is the custom error's name ("AlreadyUsed",
    "SafeERC20FailedOperation", ...), "Error" for a require message, "Panic" for a
    panic code, "Reverted" when the node gave no revert data."""

    def __init__(self, name: str, args: tuple[Any, ...] = (), data: bytes = b"") -> None:
        super().__init__(name if not args else f"{name}{args!r}")
        self.name = name
        self.error_args = args
        self.data = data


class TxTimeout(Exception):
    """No receipt within the wait."""


# ------------------------------------------------------------------ artifacts


@dataclass(frozen=True, slots=True)
class Artifact:
    name: str
    abi: tuple[dict[str, Any], ...]
    bytecode: bytes


@cache
def load_artifact(name: str) -> Artifact:
    raw = json.loads((ARTIFACTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return Artifact(name, tuple(raw["abi"]), bytes.fromhex(raw["bytecode"][2:]))


def abi_type(param: Mapping[str, Any]) -> str:
    """The canonical type string of an ABI parameter ("(uint256,address)[]", ...)."""
    t: str = param["type"]
    if t.startswith("tuple"):
        inner = ",".join(abi_type(c) for c in param["components"])
        return f"({inner}){t[len('tuple') :]}"
    return t


def signature(item: Mapping[str, Any]) -> str:
    return f"{item['name']}({','.join(abi_type(p) for p in item['inputs'])})"


def selector(item: Mapping[str, Any]) -> bytes:
    return keccak(signature(item).encode())[:4]


def _to_python(t: str, value: Any) -> Any:
    """ABI-decoded value -> our conventions (addresses as 20 bytes, lists for arrays)."""
    if t.endswith("]"):
        inner = t[: t.rindex("[")]
        return [_to_python(inner, v) for v in value]
    if t.startswith("("):
        parts = _split_tuple(t[1:-1])
        return tuple(_to_python(p, v) for p, v in zip(parts, value, strict=True))
    if t == "address":
        return bytes.fromhex(value[2:])
    return value


def _split_tuple(body: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    if body:
        parts.append(body[start:])
    return parts


def _decode(types: Sequence[str], data: bytes) -> tuple[Any, ...]:
    values = abi_decode(list(types), data)
    return tuple(_to_python(t, v) for t, v in zip(types, values, strict=True))


@cache
def _error_table() -> dict[bytes, tuple[str, tuple[str, ...]]]:
    table: dict[bytes, tuple[str, tuple[str, ...]]] = {
        bytes.fromhex("08c379a0"): ("Error", ("string",)),
        bytes.fromhex("4e487b71"): ("Panic", ("uint256",)),
    }
    for path in sorted(ARTIFACTS_DIR.glob("*.json")):
        for item in load_artifact(path.stem).abi:
            if item["type"] == "error":
                types = tuple(abi_type(p) for p in item["inputs"])
                table[selector(item)] = (item["name"], types)
    return table


def decode_revert(data: bytes) -> VaultError:
    """The typed error for revert data."""
    if len(data) < 4:
        return VaultError("Reverted", (), data)
    known = _error_table().get(data[:4])
    if known is None:
        return VaultError("Unknown", ("0x" + data[:4].hex(),), data)
    name, types = known
    try:
        args = _decode(types, data[4:])
    except Exception:  # malformed arguments: keep the name, drop the arguments
        args = ()
    return VaultError(name, args, data)


def _revert_of(e: EthRpcError) -> VaultError | None:
    data = e.revert_data
    if data is not None:
        return decode_revert(data)
    if "revert" in e.message.lower():
        return VaultError("Reverted", (e.message,))
    return None


# --------------------------------------------------------------- transactions


@dataclass(frozen=True, slots=True)
class Fees:
    max_fee: int  # the legacy gas price when priority_fee is None
    priority_fee: int | None


async def suggest_fees(rpc: EthRpc) -> Fees:
    """EIP-1559 fees (2 x base fee + tip) when the latest block has a base fee."""
    block = await rpc.get_block("latest")
    if block is None or block.base_fee is None:
        return Fees(await rpc.gas_price(), None)
    try:
        tip = await rpc.max_priority_fee()
    except EthRpcError:
        tip = 10**9
    return Fees(2 * block.base_fee + tip, tip)


@dataclass(frozen=True, slots=True)
class SignedTx:
    raw: bytes
    hash: bytes
    nonce: int
    gas: int
    fees: Fees


async def sign_transaction(
    rpc: EthRpc,
    account: LocalAccount,
    *,
    to: bytes | None,
    data: bytes,
    value: int = 0,
    gas: int | None = None,
    nonce: int | None = None,
    fees: Fees | None = None,
    chain_id: int | None = None,
) -> SignedTx:
    """Builds and signs a transaction. Without `gas` it is estimated (+20%), and a
    revert in the estimate raises the decoded `VaultError`."""
    sender = bytes.fromhex(account.address[2:])
    if gas is None:
        try:
            estimate = await rpc.estimate_gas(to=to, data=data, sender=sender, value=value)
        except EthRpcError as e:
            revert = _revert_of(e)
            if revert is not None:
                raise revert from e
            raise
        gas = estimate + estimate // 5 + 10_000
    if nonce is None:
        nonce = await rpc.get_transaction_count(sender, "pending")
    if fees is None:
        fees = await suggest_fees(rpc)
    if chain_id is None:
        chain_id = await rpc.chain_id()
    tx: dict[str, Any] = {
        "chainId": chain_id,
        "nonce": nonce,
        "gas": gas,
        "value": value,
        "data": "0x" + data.hex(),
    }
    if to is not None:
        tx["to"] = to_checksum_address(to)
    if fees.priority_fee is None:
        tx["gasPrice"] = fees.max_fee
    else:
        tx["maxFeePerGas"] = fees.max_fee
        tx["maxPriorityFeePerGas"] = fees.priority_fee
    signed = account.sign_transaction(tx)
    return SignedTx(bytes(signed.raw_transaction), bytes(signed.hash), nonce, gas, fees)


async def wait_for_receipt(
    rpc: EthRpc, tx_hash: bytes, *, timeout: float = 60.0, poll: float = 0.05
) -> Receipt:
    with trio.move_on_after(timeout):
        while True:
            receipt = await rpc.get_transaction_receipt(tx_hash)
            if receipt is not None:
                return receipt
            await trio.sleep(poll)
    raise TxTimeout(f"no receipt for 0x{tx_hash.hex()} within {timeout}s")


async def send_transaction(
    rpc: EthRpc,
    account: LocalAccount,
    *,
    to: bytes | None,
    data: bytes,
    value: int = 0,
    gas: int | None = None,
    timeout: float = 60.0,
) -> Receipt:
    """Signs, sends and waits for the receipt; a reverted transaction raises
    `VaultError` (its reason found by replaying the call on the block before)."""
    tx = await sign_transaction(rpc, account, to=to, data=data, value=value, gas=gas)
    await rpc.send_raw_transaction(tx.raw)
    receipt = await wait_for_receipt(rpc, tx.hash, timeout=timeout)
    if receipt.status != 1:
        sender = bytes.fromhex(account.address[2:])
        try:
            if to is not None:
                await rpc.call(to=to, data=data, sender=sender, block=receipt.block_number - 1)
        except EthRpcError as e:
            revert = _revert_of(e)
            if revert is not None:
                raise revert from e
        raise VaultError("Reverted", ("0x" + receipt.tx_hash.hex(),))
    return receipt


# ------------------------------------------------------------------ contracts


@dataclass(frozen=True, slots=True)
class Event:
    name: str
    args: dict[str, Any]
    log: Log


class Contract:
    def __init__(self, rpc: EthRpc, address: bytes, artifact: Artifact) -> None:
        self.rpc = rpc
        self.address = address
        self.artifact = artifact
        self._functions = {i["name"]: i for i in artifact.abi if i["type"] == "function"}
        self._events = {
            keccak(signature(i).encode()): i for i in artifact.abi if i["type"] == "event"
        }

    @classmethod
    def at(cls, rpc: EthRpc, address: bytes, name: str) -> Contract:
        return cls(rpc, address, load_artifact(name))

    def encode(self, fn: str, *args: Any) -> bytes:
        item = self._functions[fn]
        types = [abi_type(p) for p in item["inputs"]]
        return selector(item) + abi_encode(types, list(args))

    async def call(self, fn: str, *args: Any, block: BlockTag = "latest") -> Any:
        """A view's result: the value if it returns one, else a tuple."""
        item = self._functions[fn]
        try:
            out = await self.rpc.call(to=self.address, data=self.encode(fn, *args), block=block)
        except EthRpcError as e:
            revert = _revert_of(e)
            if revert is not None:
                raise revert from e
            raise
        values = _decode([abi_type(p) for p in item["outputs"]], out)
        return values[0] if len(values) == 1 else values

    async def transact(
        self, account: LocalAccount, fn: str, *args: Any, gas: int | None = None
    ) -> Receipt:
        return await send_transaction(
            self.rpc, account, to=self.address, data=self.encode(fn, *args), gas=gas
        )

    def decode_log(self, log: Log) -> Event | None:
        """The event of a log this contract emitted, or None."""
        if log.address != self.address or not log.topics:
            return None
        item = self._events.get(log.topics[0])
        if item is None:
            return None
        indexed = [p for p in item["inputs"] if p["indexed"]]
        plain = [p for p in item["inputs"] if not p["indexed"]]
        args: dict[str, Any] = {}
        for p, topic in zip(indexed, log.topics[1:], strict=True):
            t = abi_type(p)
            dynamic = t in ("string", "bytes") or t.endswith("]") or t.startswith("(")
            args[p["name"]] = topic if dynamic else _decode([t], topic)[0]
        values = _decode([abi_type(p) for p in plain], log.data)
        args.update({p["name"]: v for p, v in zip(plain, values, strict=True)})
        return Event(item["name"], args, log)

    def events(self, logs: Receipt | Iterable[Log], name: str | None = None) -> list[Event]:
        source = logs.logs if isinstance(logs, Receipt) else logs
        found = [e for e in map(self.decode_log, source) if e is not None]
        return [e for e in found if name is None or e.name == name]

    def event_topic(self, name: str) -> bytes:
        for topic, item in self._events.items():
            if item["name"] == name:
                return topic
        raise KeyError(name)

    async def get_events(self, name: str, from_block: BlockTag, to_block: BlockTag) -> list[Event]:
        logs = await self.rpc.get_logs(
            address=self.address,
            from_block=from_block,
            to_block=to_block,
            topics=[self.event_topic(name)],
        )
        return self.events(logs, name)


async def deploy(
    rpc: EthRpc, account: LocalAccount, name: str, *args: Any, cls: type[Contract] = Contract
) -> Contract:
    artifact = load_artifact(name)
    ctor: Mapping[str, Any] = next(
        (i for i in artifact.abi if i["type"] == "constructor"), {"inputs": []}
    )
    data = artifact.bytecode + abi_encode([abi_type(p) for p in ctor["inputs"]], list(args))
    receipt = await send_transaction(rpc, account, to=None, data=data)
    assert receipt.contract_address is not None
    return cls(rpc, receipt.contract_address, artifact)
