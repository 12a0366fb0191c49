"""The mempool: admission, ordering for block building, and bounded memory.

Admission (in order, each failure a typed `TransactionRejected` with a stable code):
strict decode and size, chain id, signature, expiry, gas limit, nonce window against the
committed state, the per-account limit, and the global limit (`MempoolFull`, HTTP 429 with
a retry hint).

Nonces must be contiguous: a transaction is admitted only with the account's next
committed nonce or the one right after its pending transactions (`nonce_gap` otherwise,
which a client retries once the earlier nonce is in). So every pooled transaction can
execute, and a full pool always drains: transactions waiting behind a gap can never fill
the pool and lock out the ones that would close the gap (the livelock other nodes show
under overload). A transaction admitted is never dropped silently: it leaves the pool only
by being committed in a block, or by expiring, which is recorded with its reason
(`dropped()`), so a client asking about it always gets an answer.

Block building takes, sender by sender in order of first arrival, the transactions whose
nonces follow on from the account's committed nonce with no gap.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from scctn_node.errors import MempoolFull, TransactionRejected
from vm import codes
from vm.errors import InvalidTransaction
from vm.executor import intrinsic_gas
from vm.params import DEFAULT_SCHEDULE, ChainParams, GasSchedule
from vm.tx import SignedTransaction, tx_hash_of


@dataclass(frozen=True, slots=True)
class MempoolConfig:
    max_txs: int = 50_000
    max_per_account: int = 1_024
    nonce_window: int = 1_024
    max_tx_gas: int = 5_000_000
    dropped_memory: int = 100_000


@dataclass(frozen=True, slots=True)
class Admitted:
    tx_hash: bytes
    known: bool  # True when the transaction was already pending (idempotent resubmission)


class Mempool:
    def __init__(
        self,
        config: MempoolConfig,
        chain_id: str,
        committed_nonce: Callable[[bytes], int],
        committed_tx: Callable[[bytes], bool],
    ) -> None:
        self.config = config
        self.chain_id = chain_id
        self._nonce = committed_nonce
        self._committed = committed_tx
        self._by_hash: dict[bytes, SignedTransaction] = {}
        self._raw: dict[bytes, bytes] = {}
        self._senders: OrderedDict[bytes, dict[int, bytes]] = OrderedDict()
        self._dropped: OrderedDict[bytes, str] = OrderedDict()
        self._schedule: GasSchedule = DEFAULT_SCHEDULE
        self._base_gas = ChainParams().tx_base_gas
        self._max_tx_gas = config.max_tx_gas

    def set_gas_rules(self, schedule: GasSchedule, base_gas: int, max_tx_gas: int) -> None:
        """The chain's current gas schedule and limit (governance may change them)."""
        self._schedule, self._base_gas, self._max_tx_gas = schedule, base_gas, max_tx_gas

    def __len__(self) -> int:
        return len(self._by_hash)

    def __contains__(self, tx_hash: bytes) -> bool:
        return tx_hash in self._by_hash

    def get(self, tx_hash: bytes) -> SignedTransaction | None:
        return self._by_hash.get(tx_hash)

    def dropped(self, tx_hash: bytes) -> str | None:
        return self._dropped.get(tx_hash)

    # ------------------------------------------------------------- admission
    def decode(self, raw: bytes) -> SignedTransaction:
        """Stateless checks (decode, chain, gas, signature): safe to run in a worker thread."""
        known = self._by_hash.get(tx_hash_of(raw))
        if known is not None:  # a rebroadcast of a pooled transaction: `admit` says "known"
            return known
        try:
            stx = SignedTransaction.decode(raw)
        except InvalidTransaction as exc:
            raise TransactionRejected(exc.message, exc.code) from exc
        tx = stx.tx
        if tx.chain_id != self.chain_id:
            raise TransactionRejected(
                f"transaction is for chain {tx.chain_id!r}, this is {self.chain_id!r}",
                codes.WRONG_CHAIN,
            )
        if tx.gas_limit > self._max_tx_gas:
            raise TransactionRejected(
                f"gas limit {tx.gas_limit} exceeds the maximum {self._max_tx_gas}",
                codes.GAS_LIMIT_TOO_HIGH,
            )
        needed = intrinsic_gas(tx, self._schedule, self._base_gas)
        if tx.gas_limit < needed:
            raise TransactionRejected(
                f"gas limit {tx.gas_limit} is below the {needed} this needs", codes.OUT_OF_GAS
            )
        if stx.hash in self._by_hash:
            return stx  # already admitted (a rebroadcast): `admit` will answer "known"
        if not stx.verify_signature():
            raise TransactionRejected("signature does not verify", codes.BAD_SIGNATURE)
        return stx

    def admit(self, stx: SignedTransaction, raw: bytes, next_height: int) -> Admitted:
        """Stateful checks and insertion; `stx` comes from `decode`."""
        tx_hash = stx.hash
        if tx_hash in self._by_hash or self._committed(tx_hash):
            return Admitted(tx_hash, True)
        tx = stx.tx
        if tx.expiry_height < next_height:
            raise TransactionRejected(
                f"transaction expired at height {tx.expiry_height}", codes.EXPIRED
            )
        sender = tx.sender_address
        base = self._nonce(sender)
        if tx.nonce < base:
            raise TransactionRejected(
                f"nonce {tx.nonce} already used; the account's next nonce is {base}",
                codes.NONCE_TOO_LOW,
            )
        if tx.nonce >= base + self.config.nonce_window:
            raise TransactionRejected(
                f"nonce {tx.nonce} is too far ahead of the account's next nonce {base}",
                codes.NONCE_TOO_HIGH,
            )
        pending = self._senders.get(sender)
        if pending is not None and tx.nonce in pending:
            raise TransactionRejected(
                f"another transaction with nonce {tx.nonce} is already pending", codes.BAD_NONCE
            )
        # after the highest pending nonce: not `base + len(pending)`, because a commit makes
        # the new nonces visible a moment before `finish` removes its transactions from
        # the pool, and in that moment base + len(pending) would admit a nonce past a gap
        # that nothing could fill later
        expected = max(base, max(pending) + 1) if pending else base
        if tx.nonce != expected:
            raise TransactionRejected(
                f"nonce {tx.nonce} leaves a gap; the account's next nonce is {expected}"
                " (submit the earlier ones first)",
                codes.NONCE_GAP,
            )
        if pending is not None and len(pending) >= self.config.max_per_account:
            raise MempoolFull(
                f"account has {len(pending)} pending transactions (the limit); retry later",
                "account_limit",
            )
        if len(self._by_hash) >= self.config.max_txs:
            raise MempoolFull(f"mempool holds {len(self._by_hash)} transactions; retry later")
        self._by_hash[tx_hash] = stx
        self._raw[tx_hash] = raw
        self._senders.setdefault(sender, {})[tx.nonce] = tx_hash
        return Admitted(tx_hash, False)

    # ---------------------------------------------------------- block building
    def select(
        self, max_txs: int, max_gas: int, next_height: int, max_bytes: int = 2**62
    ) -> list[SignedTransaction]:
        """Transactions for the next block, in an order that executes without nonce gaps."""
        chosen: list[SignedTransaction] = []
        gas = 0
        size = 0
        for sender, pending in self._senders.items():
            nonce = self._nonce(sender)
            while nonce in pending and len(chosen) < max_txs:
                stx = self._by_hash[pending[nonce]]
                if stx.tx.expiry_height < next_height:
                    break
                if gas + stx.tx.gas_limit > max_gas or size + len(stx.raw) > max_bytes:
                    return chosen
                gas += stx.tx.gas_limit
                size += len(stx.raw)
                chosen.append(stx)
                nonce += 1
            if len(chosen) >= max_txs:
                break
        return chosen

    def remove_committed(self, txs: Iterable[SignedTransaction]) -> None:
        for stx in txs:
            self._remove(stx.hash)

    def prune(self, next_height: int, senders: Iterable[bytes] | None = None) -> list[bytes]:
        """Drop transactions that can no longer be included (expired, or nonce already used
        by a committed transaction); record why. Returns the dropped hashes. With
        `senders`, look only at those accounts (cheap, after each block)."""
        gone: list[tuple[bytes, str]] = []
        accounts = list(self._senders) if senders is None else sorted(senders)
        for sender in accounts:
            pending = self._senders.get(sender)
            if pending is None:
                continue
            base = self._nonce(sender)
            for nonce, tx_hash in pending.items():
                stx = self._by_hash[tx_hash]
                if nonce < base:
                    gone.append((tx_hash, "nonce_used"))
                elif stx.tx.expiry_height < next_height:
                    gone.append((tx_hash, "expired"))
        for tx_hash, reason in gone:
            self._remove(tx_hash)
            self._dropped[tx_hash] = reason
            while len(self._dropped) > self.config.dropped_memory:
                self._dropped.popitem(last=False)
        return [h for h, _ in gone]

    def _remove(self, tx_hash: bytes) -> None:
        stx = self._by_hash.pop(tx_hash, None)
        self._raw.pop(tx_hash, None)
        if stx is None:
            return
        sender = stx.tx.sender_address
        pending = self._senders.get(sender)
        if pending is not None:
            pending.pop(stx.tx.nonce, None)
            if not pending:
                del self._senders[sender]

    def raw(self, tx_hashes: Sequence[bytes]) -> list[tuple[bytes, bytes]]:
        return [(h, self._raw[h]) for h in tx_hashes if h in self._raw]

    def oldest(self, limit: int) -> list[tuple[bytes, bytes]]:
        """(hash, bytes) of the longest-waiting transactions, oldest first."""
        out = []
        for tx_hash in self._by_hash:
            out.append((tx_hash, self._raw[tx_hash]))
            if len(out) == limit:
                break
        return out

    def next_nonce(self, sender: bytes) -> int:
        """The nonce a new transaction of `sender` should use: after the pending ones."""
        nonce = self._nonce(sender)
        pending = self._senders.get(sender)
        return max(nonce, max(pending) + 1) if pending else nonce

    def pending_count(self, sender: bytes) -> int:
        return len(self._senders.get(sender, ()))
