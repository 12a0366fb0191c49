"""The validator's bridge watcher: a trio service inside a validator node.

Each round it:
1. registers the validator's secp256k1 bridge key (bridge.register_key) when the chain's
   latest valset does not hold the key's address;
2. reads `Deposited` events from safe Ethereum blocks (scan.DepositScanner) and submits
   bridge.attest for the deposits the chain has not minted, in nonce order, signed by the
   validator's own key and admitted through the node's own mempool;
3. signs every outbox message it may sign (bridge.sign), after recomputing the EIP-712
   digest itself from the message, the Ethereum chain id and the vault address;
4. checks the supply invariant (vault balance in chain units >= wrapped SCCTN on chain).
   A violation latches a local halt: no more attestations and no withdrawal signatures
   until the node restarts (valsets and vault changes are still signed so the operators
   can rotate keys and pause). It shows in /health and the metrics.

State that matters after a restart comes from the chain (minted nonces, attestations and
signatures already on chain) plus the saved block cursor (`<home>/data/bridge-watcher.json`),
so a restart never skips a deposit and never double-submits harmfully (the VM ignores a
repeated identical attestation).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import trio

from primitives import eth
from scctn_node.bridge.ethkeys import EthSigner, key_binding_proof
from scctn_node.bridge.metrics import BridgeMetrics
from scctn_node.bridge.scan import (
    DEPOSITED_TOPIC,
    Deposit,
    DepositScanner,
    InvariantReading,
    decode_deposit_log,
    invariant_reading,
    safe_head,
)
from scctn_node.errors import NodeError
from vm.bridge_state import KINDS
from vm.ops.bridge import BridgeAttest, BridgeRegisterKey, BridgeSign

log = logging.getLogger("scctn.bridge")

RESUBMIT_AFTER = 20.0  # seconds before an attestation or signature is tried again
OUTBOX_RESCAN = 120.0  # seconds between full outbox rescans (renewals, valset joins)
OUTBOX_PAGE = 100


@dataclass(frozen=True, slots=True)
class WatcherSettings:
    confirmations: int = 12
    poll_interval: float = 2.0
    max_log_range: int = 2_000
    finality: str = "auto"  # depth | finalized | auto (finalized when the endpoint has it)
    start_block: int = 0
    cursor_path: Path | None = None


class EthSource(Protocol):
    """What the watcher needs from an Ethereum endpoint."""

    async def chain_id(self) -> int: ...
    async def block_number(self) -> int: ...
    async def finalized_block(self) -> int | None: ...
    async def get_logs(
        self, address: str, topics: list[str | None], first: int, last: int
    ) -> list[dict[str, Any]]: ...
    async def call(self, to: str, data: bytes) -> bytes: ...


class ChainPort(Protocol):
    """What the watcher needs from its own node: bridge reads and transaction submission."""

    chain_id: str
    validator_key: bytes  # Ed25519 public key

    def is_validator(self) -> bool: ...
    async def bridge(self) -> dict[str, Any]: ...
    async def deposit(self, nonce: int) -> dict[str, Any] | None: ...
    async def outbox(self, kind: str, start: int, limit: int) -> list[dict[str, Any]]: ...
    async def valset(self, which: int | str) -> dict[str, Any] | None: ...
    async def submit(self, op: list[Any]) -> str: ...


def _selector(signature: str) -> bytes:
    return eth.keccak256(signature.encode())[:4]


def _addr(text: str) -> bytes:
    return eth.parse_eth_address(text)


def valset_members(doc: dict[str, Any] | None) -> list[str]:
    """Lower-case 0x addresses of a valset document from the API."""
    if not doc:
        return []
    return [str(a).lower() for a in doc.get("validators", [])]


@dataclass(slots=True)
class WatcherState:
    """What /health and `scctn bridge status` show about this watcher."""

    running: bool = False
    eth_chain_ok: bool | None = None
    registered: bool = False
    last_scanned: int = -1
    safe_head: int = -1
    invariant: InvariantReading | None = None
    local_halt: str | None = None
    chain_halted: dict[str, Any] | None = None
    conflicts: int = 0
    last_error: str | None = None
    last_error_at: float = 0.0
    attested: int = 0
    signed: int = 0


@dataclass
class BridgeWatcher:
    settings: WatcherSettings
    chain: ChainPort
    eth_source: EthSource
    signer: EthSigner
    metrics: BridgeMetrics
    state: WatcherState = field(default_factory=WatcherState)
    now: Callable[[], float] = time.time
    sleep: Callable[[float], Awaitable[None]] = trio.sleep
    _scanner: DepositScanner | None = None
    _config: dict[str, Any] | None = None
    _submitted: dict[tuple[str, int], float] = field(default_factory=dict)
    _outbox_cursor: dict[str, int] = field(default_factory=dict)
    _last_rescan: float = 0.0
    _register_sent: float = 0.0
    _scale: int | None = None
    _token: str | None = None

    # --------------------------------------------------------------- lifecycle
    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        self.state.running = True
        task_status.started()
        backoff = self.settings.poll_interval
        while True:
            try:
                await self.step()
                backoff = self.settings.poll_interval
            except Exception as exc:  # every error of one round is logged and retried
                self._error(exc)
                backoff = min(backoff * 2, 30.0)
            await self.sleep(backoff)

    def _error(self, exc: BaseException) -> None:
        text = f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}"
        if text != self.state.last_error:
            log.warning("bridge watcher: %s", text)
        self.state.last_error = text
        self.state.last_error_at = self.now()
        self.metrics.errors.labels(type(exc).__name__).inc()

    def health_reasons(self) -> list[str]:
        s = self.state
        reasons = []
        if s.local_halt:
            reasons.append(f"bridge watcher halted: {s.local_halt}")
        if s.chain_halted:
            h = s.chain_halted
            reasons.append(
                f"bridge minting halted on chain at deposit {h.get('nonce')}: {h.get('reason')}"
            )
        if s.eth_chain_ok is False:
            reasons.append("bridge watcher: the Ethereum endpoint is on the wrong chain")
        if s.last_error and self.now() - s.last_error_at < 3 * self.settings.poll_interval + 5:
            reasons.append(f"bridge watcher: {s.last_error}")
        return reasons

    def health(self) -> dict[str, Any]:
        s = self.state
        inv = s.invariant
        return {
            "enabled": True,
            "address": self.signer.address,
            "registered": s.registered,
            "last_scanned_block": s.last_scanned,
            "invariant_ok": None if inv is None else inv.ok,
            "locked": None if inv is None else inv.locked_chain_units,
            "minted": None if inv is None else inv.minted_chain_units,
            "halted": s.local_halt,
            "chain_halted": s.chain_halted,
            "conflicts": s.conflicts,
            "last_error": s.last_error,
        }

    # ------------------------------------------------------------------ a round
    async def step(self) -> None:
        info = await self.chain.bridge()
        if not info.get("configured"):
            return
        config = info["config"]
        if self._config != config:
            await self._configure(config)
        if not self.state.eth_chain_ok:
            return
        self._observe_chain(info)
        if not self.chain.is_validator():
            return
        latest = await self.chain.valset("latest")
        await self._ensure_registered(latest)
        await self._check_invariant(info)
        if self.state.registered and self.state.local_halt is None and not info.get("halted"):
            await self._scan_and_attest(int(info["next_deposit_nonce"]))
        else:
            await self._scan_only(int(info["next_deposit_nonce"]))
        if self.state.registered:
            await self._sign_outbox(config, latest)

    async def _configure(self, config: dict[str, Any]) -> None:
        chain_id = await self.eth_source.chain_id()
        self.state.eth_chain_ok = chain_id == int(config["eth_chain_id"])
        if not self.state.eth_chain_ok:
            raise WatcherError(
                f"the Ethereum endpoint is chain {chain_id}, the bridge is on {config['eth_chain_id']}"
            )
        self._config = config
        self._scale = int(config["scale"])
        cursor = self._load_cursor(config)
        self._scanner = DepositScanner.resume(
            self.settings.start_block,
            self.settings.confirmations,
            cursor,
            self.settings.max_log_range,
        )
        self._token = None

    def _observe_chain(self, info: dict[str, Any]) -> None:
        halted = info.get("halted")
        if self.state.chain_halted and not halted:
            # governance resumed: the halted nonce's attestations were dropped; attest afresh
            for key in [k for k in self._submitted if k[0] == "d"]:
                del self._submitted[key]
        self.state.chain_halted = halted if halted else None
        self.metrics.halted.set(1 if (halted or self.state.local_halt) else 0)

    # -------------------------------------------------------------- registering
    async def _ensure_registered(self, latest: dict[str, Any] | None) -> None:
        mine = self.signer.address.lower()
        self.state.registered = mine in valset_members(latest)
        if self.state.registered:
            return
        if self.now() - self._register_sent < RESUBMIT_AFTER:
            return
        proof = key_binding_proof(self.signer, self.chain.chain_id, self.chain.validator_key)
        tx = await self.chain.submit(BridgeRegisterKey(self.signer.address_bytes, proof).to_wire())
        self._register_sent = self.now()
        log.info("bridge: registering key %s (tx %s)", self.signer.address, tx)

    # ----------------------------------------------------------------- deposits
    async def _read_safe_head(self) -> int:
        latest = await self.eth_source.block_number()
        finalized = None
        if self.settings.finality in ("auto", "finalized"):
            finalized = await self.eth_source.finalized_block()
            if finalized is None and self.settings.finality == "finalized":
                raise WatcherError("the Ethereum endpoint has no finalized block")
        head = safe_head(latest, self.settings.confirmations, finalized)
        self.state.safe_head = head
        return head

    async def _scan(self, next_nonce: int) -> None:
        scanner = self._scanner
        assert scanner is not None and self._config is not None
        scanner.forget_below(next_nonce)
        head = await self._read_safe_head()
        vault = self._config["vault"]
        for _ in range(50):  # bounded work per round; the rest next round
            rng = scanner.next_range(head)
            if rng is None:
                break
            entries = await self.eth_source.get_logs(
                vault, ["0x" + DEPOSITED_TOPIC.hex()], rng[0], rng[1]
            )
            deposits = [decode_deposit_log(e) for e in entries if not e.get("removed")]
            scanner.on_logs(rng[0], rng[1], deposits)
            self.state.last_scanned = scanner.scanned_to
            self.metrics.last_scanned.set(scanner.scanned_to)
        if scanner.missing_expected(next_nonce):
            log.warning("bridge: deposit %d not found below the cursor; rescanning", next_nonce)
            scanner.rewind()
        self._save_cursor(scanner.cursor(next_nonce))

    async def _scan_only(self, next_nonce: int) -> None:
        await self._scan(next_nonce)

    async def _scan_and_attest(self, next_nonce: int) -> None:
        await self._scan(next_nonce)
        scanner = self._scanner
        assert scanner is not None
        now = self.now()
        recent = {
            n
            for (what, n), at in self._submitted.items()
            if what == "d" and now - at < RESUBMIT_AFTER
        }
        for d in scanner.to_attest(next_nonce, recent):
            if await self._already_attested(d):
                self._submitted[("d", d.nonce)] = now  # looked at again after a while
                continue
            await self._attest(d)
        for key in [k for k in self._submitted if k[0] == "d" and k[1] < next_nonce]:
            del self._submitted[key]

    async def _already_attested(self, d: Deposit) -> bool:
        doc = await self.chain.deposit(d.nonce)
        if doc is None:
            return False
        if doc.get("status") == "minted":
            return True
        me = {self.chain.validator_key.hex()}
        digests = set()
        mine = False
        for a in doc.get("attestations", []):
            digests.add(a.get("digest"))
            if str(a.get("validator", "")).lower() in me or a.get("validator") == self._me_address:
                mine = True
        if len(digests) > 1:
            self.state.conflicts = max(self.state.conflicts, len(digests) - 1)
            self.metrics.conflicts.set(self.state.conflicts)
        return mine

    @property
    def _me_address(self) -> str:
        from primitives.keys import address_of, format_address

        return format_address(address_of(self.chain.validator_key))

    async def _attest(self, d: Deposit) -> None:
        if len(d.recipient) != 20:
            # the vault refuses such deposits; never seen unless the vault is not ours
            raise WatcherError(f"deposit {d.nonce} names a {len(d.recipient)}-byte recipient")
        op = BridgeAttest(
            d.nonce, d.tx_hash, d.log_index, d.amount.to_bytes(32, "big"), d.recipient
        )
        tx = await self.chain.submit(op.to_wire())
        self._submitted[("d", d.nonce)] = self.now()
        self.state.attested += 1
        self.metrics.attestations.inc()
        log.info("bridge: attested deposit %d (tx %s)", d.nonce, tx)

    # ------------------------------------------------------------------- outbox
    async def _sign_outbox(self, config: dict[str, Any], latest: dict[str, Any] | None) -> None:
        now = self.now()
        if now - self._last_rescan > OUTBOX_RESCAN:
            self._outbox_cursor.clear()
            self._last_rescan = now
        members = valset_members(latest)
        kinds = ["valset", "change"]
        if self.state.local_halt is None:
            kinds.append("withdrawal")
        for kind in kinds:
            await self._sign_kind(kind, config, members)

    async def _sign_kind(self, kind: str, config: dict[str, Any], members: list[str]) -> None:
        mine = self.signer.address.lower()
        cursor = self._outbox_cursor.get(kind, 1)
        advancing = True
        for _ in range(20):  # pages per round
            items = await self.chain.outbox(kind, cursor, OUTBOX_PAGE)
            if not items:
                break
            last = cursor
            for item in items:
                item_id = int(item["id"])
                last = item_id
                signed = mine in {str(s["eth_address"]).lower() for s in item.get("signatures", [])}
                settled = signed or await self._sign_item(kind, item, config, members)
                if advancing and settled:
                    self._outbox_cursor[kind] = item_id + 1
                else:
                    advancing = False
            if len(items) < OUTBOX_PAGE:
                break
            cursor = last + 1

    async def _sign_item(
        self, kind: str, item: dict[str, Any], config: dict[str, Any], members: list[str]
    ) -> bool:
        """Sign if allowed; True when this item needs nothing more from this watcher."""
        item_id = int(item["id"])
        message = message_from_json(kind, item["message"])
        mine = self.signer.address.lower()
        if kind == "valset":
            previous = await self.chain.valset(item_id - 1)
            if mine not in valset_members(previous):
                return True  # only the previous set signs a valset
        else:
            if mine not in members:
                return False  # may be allowed after a valset change: look again later
            expiry = getattr(message, "expiry", None)
            if expiry is not None and expiry < self.now():
                return False  # the owner may renew it
        if self.now() - self._submitted.get((kind[0], item_id), 0.0) < RESUBMIT_AFTER:
            return False
        digest = eth.message_digest(int(config["eth_chain_id"]), _addr(config["vault"]), message)
        shown = str(item.get("digest", ""))
        if shown and shown.lower() != "0x" + digest.hex():
            raise WatcherError(f"{kind} {item_id}: the node's digest differs from ours; not signed")
        signature = self.signer.sign_digest(digest)
        tx = await self.chain.submit(BridgeSign(KINDS[kind], item_id, signature).to_wire())
        self._submitted[(kind[0], item_id)] = self.now()
        self.state.signed += 1
        self.metrics.signatures.inc()
        log.info("bridge: signed %s %d (tx %s)", kind, item_id, tx)
        return False

    # ---------------------------------------------------------------- invariant
    async def _check_invariant(self, info: dict[str, Any]) -> None:
        assert self._config is not None and self._scale is not None
        vault = self._config["vault"]
        if self._token is None:
            raw = await self.eth_source.call(vault, _selector("token()"))
            self._token = eth.to_checksum(raw[12:32])
        minted_before = outstanding(info)
        raw = await self.eth_source.call(
            self._token, _selector("balanceOf(address)") + bytes(12) + _addr(vault)
        )
        locked = int.from_bytes(raw[:32], "big")
        after = await self.chain.bridge()
        reading = invariant_reading(locked, self._scale, minted_before, outstanding(after))
        self.state.invariant = reading
        self.metrics.locked.set(reading.locked_chain_units)
        self.metrics.minted.set(reading.minted_chain_units)
        self.metrics.invariant_ok.set(1 if reading.ok else 0)
        if not reading.ok and self.state.local_halt is None:
            self.state.local_halt = (
                f"invariant violated: vault holds {reading.locked_chain_units} chain units, "
                f"{reading.minted_chain_units} minted"
            )
            log.error(
                "bridge: %s; attestations and withdrawal signatures stop", self.state.local_halt
            )
            self.metrics.halted.set(1)

    # ------------------------------------------------------------------- cursor
    def _load_cursor(self, config: dict[str, Any]) -> int | None:
        path = self.settings.cursor_path
        if path is None:
            return None
        try:
            doc = json.loads(path.read_text())
        except (FileNotFoundError, ValueError):
            return None
        if doc.get("vault", "").lower() != str(config["vault"]).lower() or doc.get(
            "eth_chain_id"
        ) != int(config["eth_chain_id"]):
            return None  # a cursor for another vault: start from the start block
        cursor = doc.get("cursor")
        return cursor if isinstance(cursor, int) and cursor >= 0 else None

    def _save_cursor(self, cursor: int) -> None:
        path = self.settings.cursor_path
        if path is None or self._config is None:
            return
        doc = {
            "vault": self._config["vault"],
            "eth_chain_id": int(self._config["eth_chain_id"]),
            "cursor": cursor,
        }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc) + "\n")
        os.replace(tmp, path)


class WatcherError(NodeError):
    code = "bridge_watcher"


def outstanding(info: dict[str, Any]) -> int:
    """Wrapped SCCTN outstanding on chain (chain units): minted less withdrawn."""
    if "outstanding" in info:
        return int(info["outstanding"])
    return int(info.get("minted", 0)) - int(info.get("withdrawn", 0))


def _uint(value: Any) -> int:
    return int(value) if not isinstance(value, str) else int(value, 0)


def message_from_json(kind: str, m: dict[str, Any]) -> eth.Message:
    """An outbox message as the API shows it (uint256 as decimal strings, 0x addresses)."""
    if kind == "withdrawal":
        return eth.Withdrawal(
            _uint(m["id"]), _addr(m["recipient"]), _uint(m["amount"]), _uint(m["expiry"])
        )
    if kind == "valset":
        return eth.Valset(
            _uint(m["nonce"]),
            tuple(_addr(a) for a in m["validators"]),
            tuple(_uint(p) for p in m["powers"]),
        )
    if kind == "change":
        return eth.VaultChange(
            _uint(m["nonce"]),
            _uint(m.get("perTxCap", m.get("per_tx_cap"))),
            _uint(m.get("dailyLimit", m.get("daily_limit"))),
            _uint(m.get("largeAmount", m.get("large_amount"))),
            _uint(m.get("largeDelay", m.get("large_delay"))),
            _addr(m["guardian"]),
            bool(m["unpause"]),
        )
    raise ValueError(f"unknown outbox kind {kind!r}")


class RpcEthSource:
    """`EthSource` over the JSON-RPC client (scctn_node.bridge.rpc)."""

    def __init__(self, rpc: Any) -> None:
        self.rpc = rpc

    async def chain_id(self) -> int:
        return int(await self.rpc.chain_id())

    async def block_number(self) -> int:
        return int(await self.rpc.block_number())

    async def finalized_block(self) -> int | None:
        block = await self.rpc.get_block("finalized")
        return None if block is None else int(block.number)

    async def get_logs(
        self, address: str, topics: list[str | None], first: int, last: int
    ) -> list[dict[str, Any]]:
        flt = {"address": address, "fromBlock": hex(first), "toBlock": hex(last), "topics": topics}
        result = await self.rpc.request("eth_getLogs", [flt])
        if not isinstance(result, list):
            raise WatcherError("eth_getLogs did not return a list")
        return [e for e in result if isinstance(e, dict)]

    async def call(self, to: str, data: bytes) -> bytes:
        return bytes(await self.rpc.call(to=_addr(to), data=data))
