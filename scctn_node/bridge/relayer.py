"""The relayer (`scctn bridge relay`): carries signed valset updates, vault changes and
withdrawals from the consortium chain's outbox to the vault. Anyone may run it; it holds
no power: the vault checks every signature, and a relayer can only waste its own gas.

Theory of operation. Each round:
1. `track`: for every pending submission in the store, look for a receipt of any of its
   transaction hashes (a gas bump makes several). A receipt `confirmations` deep finishes
   the item (success) or drops it for a retry (revert). No receipt: if the block that had
   it was reorged away, or the node forgot the transaction, the signed bytes are sent
   again; if the account's nonce moved past it without any of our hashes being mined,
   the attempt is dead and the item is re-evaluated from scratch; a transaction waiting
   longer than `bump_after` is replaced with the same nonce and higher fees.
2. valsets, in nonce order, one at a time: the chain's valset `vault.valsetNonce() + 1`
   once the vault's current set (fetched from the node, checked against the vault's
   checkpoint) has signed it with more than two thirds of its power.
3. vault changes (`scheduleChange`, then `applyChange` after the delay).
4. withdrawals from the cursor: skipped when `used(id)` (someone relayed it), waited for
   while the vault is paused or the signatures lack a quorum of the vault's *current* set.
5. queued large withdrawals, whoever relayed them: `release(id)` after their eta.

Every transaction is recorded (synced) in LevelDB before it is broadcast, and every
submission is preceded by a check of its effect on the vault (`used`, nonces) and a gas
estimate, which reverts for anything the vault would refuse; so a kill -9 at any point
followed by a restart completes the work without a harmful double submission.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import trio
from eth_account.signers.local import LocalAccount

from primitives import eth
from scctn_node.bridge.ethkeys import recover_address
from scctn_node.bridge.rpc import EthConnectionError, EthRpc, EthRpcError
from scctn_node.bridge.store import (
    KIND_APPLY,
    KIND_CHANGE,
    KIND_NAMES,
    KIND_RELEASE,
    KIND_VALSET,
    KIND_WITHDRAWAL,
    Pending,
    RelayerStore,
)
from scctn_node.bridge.vault import (
    Fees,
    Vault,
    VaultError,
    change_arg,
    sig_arg,
    sign_transaction,
    valset_arg,
    withdrawal_arg,
)
from scctn_node.bridge.watcher import message_from_json
from scctn_node.errors import NodeError

log = logging.getLogger("scctn.relayer")

# reverts that mean "not now": the item stays and is looked at again next round
WAIT_ERRORS = {
    "Paused",
    "Expired",
    "WrongValset",
    "NoQuorum",
    "OverDailyLimit",
    "TooEarly",
    "StaleNonce",
    "UnknownChange",
}
PAGE = 100


class RelayerError(NodeError):
    code = "relayer_error"


@dataclass(frozen=True, slots=True)
class RelayerSettings:
    confirmations: int = 2
    poll_interval: float = 2.0
    bump_after: float = 30.0  # seconds unmined before a replacement with higher fees
    bump_percent: int = 25  # nodes need >= 10% to accept a replacement
    max_fee: int = 500 * 10**9  # never pay more per gas than this (wei)
    max_in_flight: int = 32
    once: bool = False  # one round, then return (for scripts and tests)


def quorum_signatures(
    digest: bytes, valset: eth.Valset, signatures: list[dict[str, Any]]
) -> tuple[list[int], list[bytes]] | None:
    """The fewest valid signatures, in member order, with power * 3 > total * 2; or None.

    Signatures from non-members, bad or high-s signatures and duplicates are ignored, so
    a hostile node cannot make the relayer send a transaction the vault refuses.
    """
    by_address: dict[str, bytes] = {}
    for s in signatures:
        try:
            sig = bytes.fromhex(str(s["signature"]).removeprefix("0x"))
        except (KeyError, ValueError):
            continue
        signer = recover_address(digest, sig)
        if signer is not None and signer.lower() == str(s.get("eth_address", "")).lower():
            by_address.setdefault(signer.lower(), sig)
    total = sum(valset.powers)
    signers: list[int] = []
    sigs: list[bytes] = []
    power = 0
    for i, member in enumerate(valset.validators):
        found = by_address.get("0x" + member.hex())
        if found is None:
            continue
        signers.append(i)
        sigs.append(found)
        power += valset.powers[i]
        if power * 3 > total * 2:
            return signers, sigs
    return None


def bumped(fees: Fees, percent: int, cap: int) -> Fees:
    """Fees raised by `percent` (at least +1 wei each), capped at `cap`."""

    def up(x: int) -> int:
        return min(max(x + x * percent // 100, x + 1), cap)

    return Fees(up(fees.max_fee), None if fees.priority_fee is None else up(fees.priority_fee))


class NodeApi:
    """The consortium node's bridge API (read only: the relayer never signs there)."""

    def __init__(self, base: str, timeout: float = 10.0) -> None:
        self.base = base.rstrip("/")
        self.client = httpx.AsyncClient(timeout=timeout)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        try:
            resp = await self.client.get(self.base + path, params=params)
        except httpx.HTTPError as exc:
            raise RelayerError(
                f"cannot reach the node at {self.base}: {exc}", "node_unreachable"
            ) from None
        if resp.status_code == 404:
            return None
        if resp.status_code != 200:
            raise RelayerError(f"node answered {resp.status_code} to {path}", "node_error")
        return resp.json()

    async def bridge(self) -> dict[str, Any]:
        doc = await self.get("/v1/bridge")
        if not isinstance(doc, dict) or not doc.get("configured"):
            raise RelayerError("the node's bridge is not configured", "bridge_not_configured")
        return doc

    async def outbox(self, kind: str, start: int, limit: int = PAGE) -> list[dict[str, Any]]:
        doc = await self.get("/v1/bridge/outbox", {"kind": kind, "from": start, "limit": limit})
        if isinstance(doc, dict):
            doc = doc.get("items", [])
        return [x for x in (doc or []) if isinstance(x, dict)]

    async def valset(self, which: int | str) -> eth.Valset | None:
        doc = await self.get(f"/v1/bridge/valsets/{which}")
        if not isinstance(doc, dict):
            return None
        message = message_from_json("valset", doc)
        assert isinstance(message, eth.Valset)
        return message


@dataclass
class Relayer:
    settings: RelayerSettings
    node: NodeApi
    rpc: EthRpc
    account: LocalAccount
    store: RelayerStore
    now: Callable[[], float] = time.time
    vault: Vault | None = None
    eth_chain_id: int = 0
    sent: int = 0
    completed: dict[str, int] = field(default_factory=dict)
    last_error: str | None = None
    _valsets: dict[int, eth.Valset] = field(default_factory=dict)
    _retry_at: dict[tuple[int, int], float] = field(default_factory=dict)
    _failures: dict[tuple[int, int], int] = field(default_factory=dict)

    @property
    def sender(self) -> bytes:
        return bytes.fromhex(self.account.address[2:])

    # ------------------------------------------------------------------ running
    async def run(self) -> None:
        delay = self.settings.poll_interval
        while True:
            try:
                await self.step()
                delay = self.settings.poll_interval
                self.last_error = None
            except Exception as exc:  # any failed round is logged and retried with backoff
                text = f"{type(exc).__name__}: {getattr(exc, 'message', exc)}"
                if text != self.last_error:
                    log.warning("relayer: %s", text)
                self.last_error = text
                delay = min(max(delay * 2, 1.0), 60.0)  # backoff while things fail
                if self.settings.once:
                    raise
            if self.settings.once:
                return
            await trio.sleep(delay)

    async def setup(self) -> None:
        info = await self.node.bridge()
        config = info["config"]
        self.eth_chain_id = await self.rpc.chain_id()
        if self.eth_chain_id != int(config["eth_chain_id"]):
            raise RelayerError(
                f"the Ethereum endpoint is chain {self.eth_chain_id}, the bridge is on "
                f"{config['eth_chain_id']}",
                "wrong_chain",
            )
        vault = eth.parse_eth_address(config["vault"])
        if not await self.rpc.get_code(vault):
            raise RelayerError(f"no contract at the vault address {config['vault']}", "no_vault")
        self.vault = Vault.at(self.rpc, vault)
        status = await self.node.get("/v1/status")
        self.store.check_identity(
            {
                "eth_chain_id": self.eth_chain_id,
                "vault": config["vault"].lower(),
                "chain_id": status.get("chain_id") if isinstance(status, dict) else None,
                "sender": self.account.address.lower(),
            }
        )

    async def step(self) -> None:
        if self.vault is None:
            await self.setup()
        await self.track()
        await self.relay_valsets()
        await self.relay_changes()
        await self.relay_withdrawals()
        await self.release_queued()

    def _v(self) -> Vault:
        assert self.vault is not None
        return self.vault

    # ------------------------------------------------------------ the vault's set
    async def current_valset(self) -> eth.Valset:
        """The vault's current valset, from the node, checked against the vault."""
        nonce = int(await self._v().valset_nonce())
        known = self._valsets.get(nonce)
        if known is not None:
            return known
        vs = await self.node.valset(nonce)
        if vs is None:
            raise RelayerError(f"the node has no valset {nonce}", "unknown_valset")
        if vs.struct_hash() != await self._v().valset_checkpoint():
            raise RelayerError(
                f"the node's valset {nonce} does not match the vault's checkpoint", "bad_valset"
            )
        self._valsets[nonce] = vs
        return vs

    def _digest(self, message: eth.Message) -> bytes:
        return eth.message_digest(self.eth_chain_id, self._v().address, message)

    # ------------------------------------------------------------------- sending
    def _waiting(self, kind: int, item_id: int) -> bool:
        return self.now() < self._retry_at.get((kind, item_id), 0.0)

    def _later(self, kind: int, item_id: int, seconds: float | None = None) -> None:
        key = (kind, item_id)
        n = self._failures.get(key, 0) + 1
        self._failures[key] = n
        delay = seconds if seconds is not None else min(2.0**n, 300.0)
        self._retry_at[key] = self.now() + delay

    async def _next_nonce(self) -> int:
        nonce = await self.rpc.get_transaction_count(self.sender, "pending")
        pending = [p.eth_nonce for p in self.store.all_pending()]
        return max([nonce, *(n + 1 for n in pending)])

    async def submit(self, kind: int, item_id: int, fn: str, *args: Any) -> bool:
        """Estimate, sign, record, broadcast. False when the vault would refuse it now."""
        if self.store.get_pending(kind, item_id) is not None or self.store.is_done(kind, item_id):
            return False
        if len(self.store.all_pending()) >= self.settings.max_in_flight:
            return False
        vault = self._v()
        data = vault.encode(fn, *args)
        try:
            tx = await sign_transaction(
                self.rpc,
                self.account,
                to=vault.address,
                data=data,
                nonce=await self._next_nonce(),
                chain_id=self.eth_chain_id,
            )
        except VaultError as exc:
            name = exc.name
            if name in WAIT_ERRORS:
                self._later(kind, item_id, self.settings.poll_interval * 2)
                log.debug("%s %d not now: %s", KIND_NAMES[kind], item_id, name)
            else:
                self._later(kind, item_id)
                log.warning("%s %d: the vault refuses it: %s", KIND_NAMES[kind], item_id, name)
            return False
        p = Pending(
            kind=kind,
            id=item_id,
            eth_nonce=tx.nonce,
            gas_price=tx.fees.max_fee,
            raw_tx="0x" + tx.raw.hex(),
            tx_hashes=["0x" + tx.hash.hex()],
            sent_at=self.now(),
            to="0x" + vault.address.hex(),
            data="0x" + data.hex(),
            gas=tx.gas,
            priority_fee=tx.fees.priority_fee,
        )
        self.store.put_pending(p)  # before the broadcast: a crash after it still knows
        await self._broadcast(tx.raw)
        self.sent += 1
        log.info(
            "sent %s %d (nonce %d, tx %s)", KIND_NAMES[kind], item_id, tx.nonce, p.tx_hashes[-1]
        )
        return True

    async def _broadcast(self, raw: bytes) -> None:
        try:
            await self.rpc.send_raw_transaction(raw)
        except EthConnectionError:
            raise
        except EthRpcError as exc:
            # "already known", "nonce too low", "replacement underpriced": track() sorts it out
            log.info("broadcast: %s", exc.message)

    # ------------------------------------------------------------------ tracking
    async def track(self) -> None:
        pendings = sorted(self.store.all_pending(), key=lambda p: p.eth_nonce)
        if not pendings:
            return
        latest = await self.rpc.block_number()
        mined_nonce = await self.rpc.get_transaction_count(self.sender, "latest")
        for p in pendings:
            await self._track_one(p, latest, mined_nonce)

    async def _track_one(self, p: Pending, latest: int, mined_nonce: int) -> None:
        for h in reversed(p.tx_hashes):
            receipt = await self.rpc.get_transaction_receipt(bytes.fromhex(h[2:]))
            if receipt is None:
                continue
            depth = latest - receipt.block_number + 1
            if depth < self.settings.confirmations:
                if p.mined_block != receipt.block_number:
                    p.mined_block = receipt.block_number
                    self.store.put_pending(p)
                    log.info(
                        "%s %d mined in block %d; waiting for %d confirmations",
                        KIND_NAMES[p.kind],
                        p.id,
                        receipt.block_number,
                        self.settings.confirmations,
                    )
                return
            await self._finish(p, h, receipt.status == 1, receipt.block_number)
            return
        if p.mined_block is not None:
            log.warning(
                "%s %d: its block %d was reorged away; sending again",
                KIND_NAMES[p.kind],
                p.id,
                p.mined_block,
            )
            p.mined_block = None
            self.store.put_pending(p)
        if mined_nonce > p.eth_nonce:
            # the nonce was used by a transaction that is none of ours for this item
            log.warning(
                "%s %d: nonce %d taken; re-evaluating", KIND_NAMES[p.kind], p.id, p.eth_nonce
            )
            self.store.drop_pending(p.kind, p.id)
            return
        known = await self.rpc.get_transaction(bytes.fromhex(p.tx_hashes[-1][2:]))
        if self.now() - p.sent_at > self.settings.bump_after:
            await self._bump(p)
        elif known is None:
            await self._broadcast(bytes.fromhex(p.raw_tx[2:]))

    async def _bump(self, p: Pending) -> None:
        old = Fees(p.gas_price, p.priority_fee)
        fees = bumped(old, self.settings.bump_percent, self.settings.max_fee)
        if fees == old:
            await self._broadcast(bytes.fromhex(p.raw_tx[2:]))  # at the cap: just resend
            p.sent_at = self.now()
            self.store.put_pending(p)
            return
        tx = await sign_transaction(
            self.rpc,
            self.account,
            to=bytes.fromhex(p.to[2:]),
            data=bytes.fromhex(p.data[2:]),
            gas=p.gas,
            nonce=p.eth_nonce,
            fees=fees,
            chain_id=self.eth_chain_id,
        )
        p.tx_hashes.append("0x" + tx.hash.hex())
        p.raw_tx = "0x" + tx.raw.hex()
        p.gas_price, p.priority_fee = fees.max_fee, fees.priority_fee
        p.sent_at = self.now()
        p.attempts += 1
        self.store.put_pending(p)
        await self._broadcast(tx.raw)
        log.info(
            "%s %d: fees bumped to %d (tx %s)",
            KIND_NAMES[p.kind],
            p.id,
            fees.max_fee,
            p.tx_hashes[-1],
        )

    async def _finish(self, p: Pending, tx_hash: str, ok: bool, block: int) -> None:
        name = KIND_NAMES[p.kind]
        if not ok:
            log.warning("%s %d: transaction %s reverted; will re-evaluate", name, p.id, tx_hash)
            self.store.drop_pending(p.kind, p.id)
            self._later(p.kind, p.id)
            return
        info: dict[str, Any] = {"tx": tx_hash, "block": block}
        if p.kind == KIND_WITHDRAWAL:
            recipient, amount, eta = await self._v().queued(p.id)
            if amount:
                self.store.add_waiting(KIND_RELEASE, p.id, {"eta": int(eta)})
                info["queued_eta"] = int(eta)
        if p.kind == KIND_CHANGE:
            self.store.add_waiting(KIND_APPLY, p.id, {})
        self.store.mark_done(p.kind, p.id, info)
        self.completed[name] = self.completed.get(name, 0) + 1
        self._failures.pop((p.kind, p.id), None)
        log.info("%s %d done in block %d (tx %s)", name, p.id, block, tx_hash)

    # ---------------------------------------------------------------- the kinds
    async def relay_valsets(self) -> None:
        if any(p.kind == KIND_VALSET for p in self.store.all_pending()):
            return  # strictly one at a time, in order
        current = await self.current_valset()
        target = current.nonce + 1
        if self._waiting(KIND_VALSET, target):
            return
        items = await self.node.outbox("valset", target, 1)
        if not items or int(items[0]["id"]) != target:
            return
        nxt = message_from_json("valset", items[0]["message"])
        assert isinstance(nxt, eth.Valset)
        chosen = quorum_signatures(self._digest(nxt), current, items[0].get("signatures", []))
        if chosen is None:
            return
        signers, sigs = chosen
        await self.submit(
            KIND_VALSET,
            target,
            "updateValset",
            valset_arg(nxt),
            valset_arg(current),
            signers,
            [sig_arg(s) for s in sigs],
        )

    async def relay_changes(self) -> None:
        vault = self._v()
        for change_id, _info in self.store.waiting(KIND_APPLY):
            if self.store.is_done(KIND_APPLY, change_id):
                self.store.drop_waiting(KIND_APPLY, change_id)
                continue
            if self._waiting(KIND_APPLY, change_id):
                continue
            items = await self.node.outbox("change", change_id, 1)
            if items and int(items[0]["id"]) == change_id:
                c = message_from_json("change", items[0]["message"])
                assert isinstance(c, eth.VaultChange)
                await self.submit(KIND_APPLY, change_id, "applyChange", change_arg(c))
        target = int(await vault.change_nonce()) + 1
        if self._waiting(KIND_CHANGE, target) or self.store.is_done(KIND_CHANGE, target):
            return
        items = await self.node.outbox("change", target, 1)
        if not items or int(items[0]["id"]) != target:
            return
        c = message_from_json("change", items[0]["message"])
        assert isinstance(c, eth.VaultChange)
        current = await self.current_valset()
        chosen = quorum_signatures(self._digest(c), current, items[0].get("signatures", []))
        if chosen is None:
            return
        signers, sigs = chosen
        await self.submit(
            KIND_CHANGE,
            target,
            "scheduleChange",
            change_arg(c),
            valset_arg(current),
            signers,
            [sig_arg(s) for s in sigs],
        )

    async def relay_withdrawals(self) -> None:
        vault = self._v()
        cursor = self.store.advance_cursor(KIND_WITHDRAWAL)
        if await vault.paused():
            return  # nothing is lost: the cursor stays, the items wait for the unpause
        current: eth.Valset | None = None
        start = cursor
        for _ in range(10):  # pages per round
            items = await self.node.outbox("withdrawal", start, PAGE)
            for item in items:
                wid = int(item["id"])
                if self.store.is_done(KIND_WITHDRAWAL, wid) or self._waiting(KIND_WITHDRAWAL, wid):
                    continue
                if self.store.get_pending(KIND_WITHDRAWAL, wid) is not None:
                    continue
                if await vault.used(wid):
                    info: dict[str, Any] = {"by": "another relayer"}
                    _, amount, eta = await vault.queued(wid)
                    if amount:  # queued by someone else's withdraw: ours to release all the same
                        self.store.add_waiting(KIND_RELEASE, wid, {"eta": int(eta)})
                        info["queued_eta"] = int(eta)
                    self.store.mark_done(KIND_WITHDRAWAL, wid, info)
                    continue
                w = message_from_json("withdrawal", item["message"])
                assert isinstance(w, eth.Withdrawal)
                if w.expiry <= self.now():
                    continue  # the owner may renew it (bridge.renew); looked at again then
                if current is None:
                    current = await self.current_valset()
                chosen = quorum_signatures(self._digest(w), current, item.get("signatures", []))
                if chosen is None:
                    continue
                signers, sigs = chosen
                await self.submit(
                    KIND_WITHDRAWAL,
                    wid,
                    "withdraw",
                    withdrawal_arg(w),
                    valset_arg(current),
                    signers,
                    [sig_arg(s) for s in sigs],
                )
            if len(items) < PAGE:
                break
            start = int(items[-1]["id"]) + 1
        self.store.advance_cursor(KIND_WITHDRAWAL)

    async def release_queued(self) -> None:
        waiting = self.store.waiting(KIND_RELEASE)
        if not waiting:
            return
        block = await self.rpc.get_block("latest")
        now = block.timestamp if block is not None else int(self.now())
        for wid, info in waiting:
            if self.store.is_done(KIND_RELEASE, wid):
                self.store.drop_waiting(KIND_RELEASE, wid)
                continue
            if int(info.get("eta", 0)) > now or self._waiting(KIND_RELEASE, wid):
                continue
            _, amount, _ = await self._v().queued(wid)
            if not amount:  # released by someone else, or cancelled by the guardian
                self.store.mark_done(KIND_RELEASE, wid, {"by": "another"})
                self.store.drop_waiting(KIND_RELEASE, wid)
                continue
            await self.submit(KIND_RELEASE, wid, "release", wid)

    def status(self) -> dict[str, Any]:
        return {
            "sender": self.account.address,
            "sent": self.sent,
            "completed": dict(self.completed),
            "pending": [
                {
                    "kind": KIND_NAMES[p.kind],
                    "id": p.id,
                    "nonce": p.eth_nonce,
                    "tx": p.tx_hashes[-1],
                }
                for p in self.store.all_pending()
            ],
            "withdrawal_cursor": self.store.cursor(KIND_WITHDRAWAL),
            "last_error": self.last_error,
        }
