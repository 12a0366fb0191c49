"""The validator watcher's pure core: which Ethereum blocks are safe to read, which
`Deposited` events to attest next, the restart cursor, and the supply invariant.

Theory of operation. The vault numbers deposits 1, 2, 3, ... (`depositNonce`), and the
consortium chain mints them strictly in that order. A block is *safe* when it is at
least `confirmations` blocks below the latest block (and, where the endpoint has a
`finalized` tag and the watcher is told to use it, at or below the finalized block too).
The scanner reads `Deposited` logs only from safe blocks, in ranges of at most
`max_range` blocks, and keeps the events it saw in memory by nonce. It proposes to
attest the events from the chain's next unminted nonce upward, gap-free, up to a window
ahead; so a reorg shallower than the confirmation depth never reaches an attestation,
and a deposit that vanished is never proposed.

Restart: the saved cursor is the block to resume scanning from: the block of the lowest
deposit not yet minted on chain if one is known, else the block after the last scanned
one. Minted nonces come from the chain, so a restarted watcher re-reads exactly the
events it may still need. If the chain expects a nonce the scanner has not seen although
it has read past later nonces (a cursor from another chain or a lost file), the scanner
rewinds to its start block rather than guess.

Everything here is sans-IO: blocks, logs and chain state come in as values.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from eth_abi.abi import decode as abi_decode
from eth_hash.auto import keccak

log = logging.getLogger("scctn.bridge")

DEPOSITED_TOPIC = keccak(b"Deposited(uint256,address,bytes,uint256)")
ATTEST_WINDOW = 256


class ScanError(Exception):
    """Ethereum returned something the watcher cannot accept (a malformed log)."""

    code = "bridge_scan_error"


@dataclass(frozen=True, slots=True)
class Deposit:
    """One `Deposited` event as the watcher attests it."""

    nonce: int
    block_number: int
    tx_hash: bytes  # 32
    log_index: int
    sender: bytes  # 20
    recipient: bytes  # the raw `bytes recipient` argument (20 bytes for a valid deposit)
    amount: int  # token units actually received


def _hex_bytes(value: object, size: int | None, what: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ScanError(f"log {what} is not 0x hex")
    try:
        raw = bytes.fromhex(value[2:])
    except ValueError:
        raise ScanError(f"log {what} is not 0x hex") from None
    if size is not None and len(raw) != size:
        raise ScanError(f"log {what} is {len(raw)} bytes, expected {size}")
    return raw


def _hex_int(value: object, what: str) -> int:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ScanError(f"log {what} is not a 0x quantity")
    try:
        return int(value, 16)
    except ValueError:
        raise ScanError(f"log {what} is not a 0x quantity") from None


def decode_deposit_log(entry: dict[str, object]) -> Deposit:
    """A `Deposited` event from an `eth_getLogs` entry; ScanError when malformed."""
    topics = entry.get("topics")
    if not isinstance(topics, list) or len(topics) != 3:
        raise ScanError("a Deposited log has three topics")
    if _hex_bytes(topics[0], 32, "topic0") != DEPOSITED_TOPIC:
        raise ScanError("not a Deposited log")
    if entry.get("removed") is True:
        raise ScanError("a removed log")
    nonce = int.from_bytes(_hex_bytes(topics[1], 32, "nonce"), "big")
    sender_word = _hex_bytes(topics[2], 32, "sender")
    data = _hex_bytes(entry.get("data"), None, "data")
    try:
        recipient, amount = abi_decode(["bytes", "uint256"], data)
    except Exception as exc:  # eth_abi raises several unrelated types
        raise ScanError(f"log data does not decode: {type(exc).__name__}") from None
    return Deposit(
        nonce=nonce,
        block_number=_hex_int(entry.get("blockNumber"), "blockNumber"),
        tx_hash=_hex_bytes(entry.get("transactionHash"), 32, "transactionHash"),
        log_index=_hex_int(entry.get("logIndex"), "logIndex"),
        sender=sender_word[12:],
        recipient=bytes(recipient),
        amount=int(amount),
    )


def safe_head(latest: int, confirmations: int, finalized: int | None = None) -> int:
    """The highest block whose events may be acted on (-1: none yet).

    With a finalized block the stricter of the two rules applies.
    """
    head = latest - confirmations
    if finalized is not None:
        head = min(head, finalized)
    return max(head, -1)


@dataclass(slots=True)
class DepositScanner:
    """Which block ranges to read and which deposits to attest. Pure state."""

    start_block: int
    confirmations: int
    max_range: int = 2_000
    scanned_to: int = -1  # the last block whose logs are all in `seen`
    seen: dict[int, Deposit] = field(default_factory=dict)
    inconsistent: set[int] = field(default_factory=set)  # nonces seen twice, differently

    def __post_init__(self) -> None:
        if self.max_range < 1 or self.confirmations < 0 or self.start_block < 0:
            raise ValueError("max_range >= 1, confirmations >= 0, start_block >= 0")
        self.scanned_to = max(self.scanned_to, self.start_block - 1)

    @classmethod
    def resume(
        cls, start_block: int, confirmations: int, cursor: int | None, max_range: int = 2_000
    ) -> DepositScanner:
        """A scanner restarted from a saved cursor (the block to read next)."""
        scanned = (cursor - 1) if cursor is not None else start_block - 1
        return cls(start_block, confirmations, max_range, scanned_to=max(scanned, start_block - 1))

    def next_range(self, head: int) -> tuple[int, int] | None:
        """The next [from, to] block range to read, given the safe head; None if caught up."""
        if self.scanned_to >= head:
            return None
        first = self.scanned_to + 1
        return first, min(head, first + self.max_range - 1)

    def on_logs(self, first: int, last: int, deposits: list[Deposit]) -> None:
        """Record the deposits found in [first, last] (which must be the range asked for)."""
        if first != self.scanned_to + 1 or last < first:
            raise ValueError(f"range [{first}, {last}] does not continue at {self.scanned_to + 1}")
        for d in deposits:
            if not first <= d.block_number <= last:
                raise ScanError(f"deposit {d.nonce} in block {d.block_number} outside the range")
            known = self.seen.get(d.nonce)
            if known is not None and known != d:
                # Only a reorg deeper than the confirmation depth does this: never attest
                # either version; the operator must look (shown in the watcher's status).
                log.error("deposit %d seen twice with different contents", d.nonce)
                self.inconsistent.add(d.nonce)
            self.seen[d.nonce] = d
        self.scanned_to = last

    def forget_below(self, next_mint_nonce: int) -> None:
        """Drop the events the chain has already minted."""
        for nonce in [n for n in self.seen if n < next_mint_nonce]:
            del self.seen[nonce]

    def to_attest(
        self, next_mint_nonce: int, done: set[int], window: int = ATTEST_WINDOW
    ) -> list[Deposit]:
        """Seen deposits from `next_mint_nonce` on, gap-free, minus `done`, within the window."""
        out: list[Deposit] = []
        for nonce in range(next_mint_nonce, next_mint_nonce + window):
            d = self.seen.get(nonce)
            if d is None or nonce in self.inconsistent:
                break
            if nonce not in done:
                out.append(d)
        return out

    def missing_expected(self, next_mint_nonce: int) -> bool:
        """True when the chain waits for a nonce that scanning has passed without seeing.

        It has passed it if a later nonce was seen; then the saved cursor was wrong.
        """
        return next_mint_nonce not in self.seen and any(n > next_mint_nonce for n in self.seen)

    def rewind(self) -> None:
        self.scanned_to = self.start_block - 1
        self.seen.clear()
        self.inconsistent.clear()

    def cursor(self, next_mint_nonce: int) -> int:
        """The block to resume from after a restart (see the module docstring)."""
        pending = [d.block_number for n, d in self.seen.items() if n >= next_mint_nonce]
        if pending:
            return min(pending)
        return self.scanned_to + 1


# --- the supply invariant -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InvariantReading:
    locked_token_units: int
    scale: int
    minted_chain_units: int

    @property
    def locked_chain_units(self) -> int:
        return self.locked_token_units // self.scale

    @property
    def ok(self) -> bool:
        return self.locked_chain_units >= self.minted_chain_units


def invariant_reading(
    locked_token_units: int, scale: int, minted_before: int, minted_after: int
) -> InvariantReading:
    """The invariant from one vault balance read between two reads of the minted supply.

    Taking the smaller of the two supplies removes both races of a poll: a burn (and
    then a release on Ethereum) after the first read, and a mint after the balance read.
    """
    if scale < 1:
        raise ValueError("scale >= 1")
    return InvariantReading(locked_token_units, scale, min(minted_before, minted_after))
