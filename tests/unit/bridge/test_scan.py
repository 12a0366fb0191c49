"""The watcher's pure core: safe heads, bounded ranges, gap-free attestation, the
restart cursor, log decoding and the supply invariant."""

from __future__ import annotations

import pytest
from eth_abi import encode as abi_encode

from scctn_node.bridge.scan import (
    DEPOSITED_TOPIC,
    Deposit,
    DepositScanner,
    ScanError,
    decode_deposit_log,
    invariant_reading,
    safe_head,
)


def dep(nonce: int, block: int, amount: int = 10**18) -> Deposit:
    return Deposit(nonce, block, bytes([nonce]) * 32, 0, b"\x11" * 20, b"\x22" * 20, amount)


def test_safe_head_takes_the_stricter_rule() -> None:
    assert safe_head(100, 6) == 94
    assert safe_head(100, 6, finalized=90) == 90
    assert safe_head(100, 6, finalized=99) == 94
    assert safe_head(3, 6) == -1


def test_ranges_are_bounded_and_contiguous() -> None:
    s = DepositScanner(start_block=10, confirmations=2, max_range=5)
    assert s.next_range(9) is None
    assert s.next_range(30) == (10, 14)
    s.on_logs(10, 14, [])
    assert s.next_range(30) == (15, 19)
    with pytest.raises(ValueError):
        s.on_logs(16, 20, [])
    s.on_logs(15, 19, [])
    assert s.next_range(19) is None


def test_attests_gap_free_from_the_next_unminted_nonce() -> None:
    s = DepositScanner(start_block=0, confirmations=0)
    s.on_logs(0, 10, [dep(1, 2), dep(2, 3), dep(4, 9)])
    assert [d.nonce for d in s.to_attest(1, set())] == [1, 2]
    assert [d.nonce for d in s.to_attest(1, {1})] == [2]
    assert [d.nonce for d in s.to_attest(3, set())] == []
    s.on_logs(11, 12, [dep(3, 11)])
    assert [d.nonce for d in s.to_attest(2, set())] == [2, 3, 4]
    assert [d.nonce for d in s.to_attest(2, set(), window=2)] == [2, 3]


def test_a_nonce_seen_twice_differently_is_never_attested() -> None:
    s = DepositScanner(start_block=0, confirmations=0)
    s.on_logs(0, 5, [dep(1, 2)])
    s.scanned_to = 1  # as if a rescan read the block again after a deep reorg
    s.on_logs(2, 5, [dep(1, 2, amount=5)])
    assert s.to_attest(1, set()) == []


def test_deposit_outside_the_range_is_refused() -> None:
    s = DepositScanner(start_block=0, confirmations=0)
    with pytest.raises(ScanError):
        s.on_logs(0, 5, [dep(1, 6)])


def test_cursor_resumes_at_the_lowest_unminted_deposit() -> None:
    s = DepositScanner(start_block=5, confirmations=0)
    assert s.cursor(1) == 5
    s.on_logs(5, 50, [dep(1, 7), dep(2, 20), dep(3, 40)])
    assert s.cursor(1) == 7
    assert s.cursor(2) == 20
    assert s.cursor(4) == 51
    s.forget_below(3)
    assert sorted(s.seen) == [3]
    r = DepositScanner.resume(5, 0, s.cursor(3))
    assert r.next_range(100) == (40, 100)


def test_a_passed_but_unseen_nonce_asks_for_a_rewind() -> None:
    s = DepositScanner.resume(0, 0, 30)
    s.on_logs(30, 40, [dep(5, 33)])
    assert s.missing_expected(4)
    assert not s.missing_expected(5)
    s.rewind()
    assert s.next_range(40) == (0, 40) and not s.seen


def log_entry(nonce: int, recipient: bytes, amount: int, **over: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "topics": [
            "0x" + DEPOSITED_TOPIC.hex(),
            "0x" + nonce.to_bytes(32, "big").hex(),
            "0x" + (b"\x00" * 12 + b"\xaa" * 20).hex(),
        ],
        "data": "0x" + abi_encode(["bytes", "uint256"], [recipient, amount]).hex(),
        "blockNumber": "0x10",
        "transactionHash": "0x" + "ab" * 32,
        "logIndex": "0x2",
        "removed": False,
    }
    entry.update(over)
    return entry


def test_decode_a_deposited_log() -> None:
    d = decode_deposit_log(log_entry(7, b"\x01" * 20, 123))
    assert d == Deposit(7, 16, b"\xab" * 32, 2, b"\xaa" * 20, b"\x01" * 20, 123)


@pytest.mark.parametrize(
    "over",
    [
        {"topics": []},
        {"data": "0x1234"},
        {"data": "zz"},
        {"blockNumber": 5},
        {"transactionHash": "0x12"},
        {"removed": True},
        {"topics": ["0x" + "00" * 32, "0x" + "00" * 32, "0x" + "00" * 32]},
    ],
)
def test_malformed_logs_raise_scan_error(over: dict[str, object]) -> None:
    with pytest.raises(ScanError):
        decode_deposit_log(log_entry(1, b"\x01" * 20, 1, **over))


def test_invariant_uses_the_smaller_supply_and_floors_the_dust() -> None:
    r = invariant_reading(10**10 * 5 + 99, 10**10, 5, 6)
    assert r.locked_chain_units == 5 and r.minted_chain_units == 5 and r.ok
    assert not invariant_reading(10**10 * 5 - 1, 10**10, 5, 5).ok
    with pytest.raises(ValueError):
        invariant_reading(1, 0, 0, 0)
