"""The watcher against a fake node and a fake Ethereum: registration, confirmation depth,
nonce order, a reorg below the depth, outbox signing with its own digest, the invariant
halt and the restart cursor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import trio
from eth_abi.abi import encode as abi_encode
from prometheus_client import CollectorRegistry

from primitives import eth
from scctn_node.bridge.ethkeys import EthSigner, recover_address
from scctn_node.bridge.metrics import BridgeMetrics
from scctn_node.bridge.scan import DEPOSITED_TOPIC
from scctn_node.bridge.watcher import BridgeWatcher, WatcherSettings

VAULT = "0x" + "5a" * 20
TOKEN = "0x" + "70" * 20
SCALE = 10**10
SIGNER = EthSigner.from_secret(b"\x01" * 32)
OTHER = EthSigner.from_secret(b"\x02" * 32)


class FakeEth:
    def __init__(self) -> None:
        self.latest = 0
        self.logs: list[dict[str, Any]] = []
        self.balance = 0
        self.ranges: list[tuple[int, int]] = []

    def deposit(self, nonce: int, block: int, amount: int, recipient: bytes = b"\x09" * 20) -> None:
        self.logs.append(
            {
                "topics": [
                    "0x" + DEPOSITED_TOPIC.hex(),
                    "0x" + nonce.to_bytes(32, "big").hex(),
                    "0x" + (bytes(12) + b"\x33" * 20).hex(),
                ],
                "data": "0x" + abi_encode(["bytes", "uint256"], [recipient, amount]).hex(),
                "blockNumber": hex(block),
                "transactionHash": "0x" + bytes([nonce]).hex() * 32,
                "logIndex": "0x0",
            }
        )
        self.balance += amount

    async def chain_id(self) -> int:
        return 31337

    async def block_number(self) -> int:
        return self.latest

    async def finalized_block(self) -> int | None:
        return None

    async def get_logs(
        self, address: str, topics: list[str | None], first: int, last: int
    ) -> list[dict[str, Any]]:
        self.ranges.append((first, last))
        return [e for e in self.logs if first <= int(e["blockNumber"], 16) <= last]

    async def call(self, to: str, data: bytes) -> bytes:
        if to == VAULT:
            return bytes(12) + bytes.fromhex(TOKEN[2:])
        return self.balance.to_bytes(32, "big")


class FakeChain:
    chain_id = "test-chain"
    validator_key = b"\x07" * 32

    def __init__(self) -> None:
        self.ops: list[list[Any]] = []
        self.valsets: dict[int, dict[str, Any]] = {}
        self.next_nonce = 1
        self.minted = 0
        self.halted: dict[str, Any] | None = None
        self.outboxes: dict[str, list[dict[str, Any]]] = {}

    def is_validator(self) -> bool:
        return True

    async def bridge(self) -> dict[str, Any]:
        return {
            "configured": True,
            "config": {"eth_chain_id": 31337, "vault": VAULT, "scale": SCALE},
            "next_deposit_nonce": self.next_nonce,
            "minted": self.minted,
            "halted": self.halted,
        }

    async def deposit(self, nonce: int) -> dict[str, Any] | None:
        return None

    async def outbox(self, kind: str, start: int, limit: int) -> list[dict[str, Any]]:
        return [x for x in self.outboxes.get(kind, []) if x["id"] >= start][:limit]

    async def valset(self, which: int | str) -> dict[str, Any] | None:
        if which == "latest":
            return self.valsets[max(self.valsets)] if self.valsets else None
        return self.valsets.get(int(which))

    async def submit(self, op: list[Any]) -> str:
        self.ops.append(op)
        return "ab" * 32

    def attested(self) -> list[int]:
        return [op[1] for op in self.ops if op[0] == 141]


def make(tmp_path: Path, **kw: Any) -> tuple[BridgeWatcher, FakeChain, FakeEth]:
    chain, source = FakeChain(), FakeEth()
    chain.valsets[1] = {"nonce": 1, "validators": [SIGNER.address], "powers": [1]}
    settings = WatcherSettings(
        confirmations=3, poll_interval=0.01, max_log_range=4, cursor_path=tmp_path / "c.json", **kw
    )
    w = BridgeWatcher(settings, chain, source, SIGNER, BridgeMetrics(CollectorRegistry()))
    return w, chain, source


def test_registers_the_key_when_the_valset_lacks_it(tmp_path: Path) -> None:
    w, chain, _ = make(tmp_path)
    chain.valsets[1] = {"nonce": 1, "validators": [OTHER.address], "powers": [1]}
    trio.run(w.step)
    [op] = chain.ops
    assert op[0] == 140 and op[1] == SIGNER.address_bytes
    digest = eth.key_binding_digest(chain.chain_id, chain.validator_key, SIGNER.address_bytes)
    assert recover_address(digest, op[2]) == SIGNER.address
    trio.run(w.step)
    assert len(chain.ops) == 1  # not resent at once


def test_attests_only_below_the_confirmation_depth_in_nonce_order(tmp_path: Path) -> None:
    w, chain, source = make(tmp_path)
    source.deposit(1, 2, 5 * SCALE)
    source.deposit(2, 9, 7 * SCALE)
    source.latest = 10  # safe head 7: only deposit 1
    trio.run(w.step)
    assert chain.attested() == [1]
    assert all(b - a < 4 for a, b in source.ranges)  # bounded ranges
    source.latest = 12
    trio.run(w.step)
    assert chain.attested() == [1, 2]
    op = chain.ops[-1]
    assert op[2] == bytes([2]) * 32 and op[4] == (7 * SCALE).to_bytes(32, "big")
    assert op[5] == b"\x09" * 20


def test_a_deposit_reorged_out_before_the_depth_is_never_attested(tmp_path: Path) -> None:
    w, chain, source = make(tmp_path)
    source.deposit(1, 9, 5 * SCALE)
    source.latest = 10
    trio.run(w.step)
    source.logs.clear()  # the reorg removes it before it was three blocks deep
    source.balance = 0
    source.latest = 30
    trio.run(w.step)
    assert chain.attested() == []


def test_invariant_violation_halts_attesting_and_withdrawal_signing(tmp_path: Path) -> None:
    w, chain, source = make(tmp_path)
    source.deposit(1, 1, 5 * SCALE)
    source.latest = 10
    chain.minted = 6  # more minted than locked
    chain.outboxes["withdrawal"] = [
        {
            "kind": "withdrawal",
            "id": 1,
            "message": {
                "id": "1",
                "recipient": OTHER.address,
                "amount": "1",
                "expiry": "99999999999",
            },
            "signatures": [],
        }
    ]
    trio.run(w.step)
    assert chain.ops == []
    assert w.state.local_halt and "invariant" in w.state.local_halt
    assert any("halted" in r for r in w.health_reasons())
    assert w.metrics.invariant_ok._value.get() == 0  # type: ignore[attr-defined]
    chain.minted = 0  # latched until restart
    trio.run(w.step)
    assert chain.ops == []


def test_signs_outbox_messages_over_its_own_digest(tmp_path: Path) -> None:
    w, chain, _ = make(tmp_path)
    msg = {"id": "3", "recipient": OTHER.address, "amount": "250", "expiry": "99999999999"}
    digest = eth.message_digest(
        31337, bytes.fromhex(VAULT[2:]), eth.Withdrawal(3, OTHER.address_bytes, 250, 99999999999)
    )
    chain.outboxes["withdrawal"] = [
        {
            "kind": "withdrawal",
            "id": 3,
            "message": msg,
            "digest": "0x" + digest.hex(),
            "signatures": [],
        }
    ]
    chain.valsets[2] = {"nonce": 2, "validators": [SIGNER.address, OTHER.address], "powers": [1, 1]}
    chain.outboxes["valset"] = [
        {
            "kind": "valset",
            "id": 2,
            "message": {
                "nonce": "2",
                "validators": chain.valsets[2]["validators"],
                "powers": ["1", "1"],
            },
            "signatures": [],
        }
    ]
    trio.run(w.step)
    signs = [op for op in chain.ops if op[0] == 143]
    assert sorted((op[1], op[2]) for op in signs) == [(1, 3), (2, 2)]
    w_sig = next(op[3] for op in signs if op[1] == 1)
    assert recover_address(digest, w_sig) == SIGNER.address


def test_a_wrong_digest_from_the_node_is_not_signed(tmp_path: Path) -> None:
    w, chain, _ = make(tmp_path)
    msg = {"id": "1", "recipient": OTHER.address, "amount": "250", "expiry": "99999999999"}
    chain.outboxes["withdrawal"] = [
        {
            "kind": "withdrawal",
            "id": 1,
            "message": msg,
            "digest": "0x" + "00" * 32,
            "signatures": [],
        }
    ]
    with pytest.raises(Exception, match="digest"):
        trio.run(w.step)
    assert not [op for op in chain.ops if op[0] == 143]


def test_restart_resumes_from_the_lowest_unminted_deposit(tmp_path: Path) -> None:
    w, chain, source = make(tmp_path)
    source.deposit(1, 2, SCALE)
    source.deposit(2, 6, SCALE)
    source.latest = 20
    trio.run(w.step)
    chain.next_nonce = 2
    chain.minted = 1
    trio.run(w.step)  # saves the cursor: the block of deposit 2, the lowest unminted
    w2, _, _ = make(tmp_path)
    w2.chain = chain
    w2.eth_source = source
    chain.ops.clear()
    source.ranges.clear()
    trio.run(w2.step)
    assert source.ranges[0][0] == 6
    assert chain.attested() == [2]


def test_attests_afresh_after_governance_resumes_a_halt(tmp_path: Path) -> None:
    w, chain, source = make(tmp_path)
    source.deposit(1, 1, 5 * SCALE)
    source.latest = 10
    trio.run(w.step)
    assert chain.attested() == [1]
    chain.halted = {"reason": "two digests", "nonce": 1, "validators": []}
    trio.run(w.step)
    assert chain.attested() == [1]  # nothing while halted
    assert any("halted" in r for r in w.health_reasons())
    chain.halted = None  # resumed: the chain dropped the attestations of nonce 1
    trio.run(w.step)
    assert chain.attested() == [1, 1]


def test_an_endpoint_on_another_chain_is_refused_and_shown(tmp_path: Path) -> None:
    w, chain, source = make(tmp_path)

    async def other_chain() -> int:
        return 1

    source.chain_id = other_chain  # type: ignore[method-assign]
    source.deposit(1, 1, 5 * SCALE)
    source.latest = 10
    with pytest.raises(Exception, match="chain 1"):
        trio.run(w.step)
    assert chain.ops == []
    assert any("wrong chain" in r for r in w.health_reasons())
