"""JSON views of chain objects, shared by the API and the CLI's text output.

Bytes are lowercase hex; 20-byte account fields are `scc1...` addresses; amounts are JSON
integers (exact up to 2^64; JavaScript clients should parse them as BigInt).
"""

from __future__ import annotations

from typing import Any

from consensus.certificates import CommitCertificate
from primitives.keys import address_of, format_address
from scctn_node.chain.block import Block, Header
from vm import accounts, ledger
from vm.ledger import PointType
from vm.ops.registry import Operation
from vm.receipt import Event, Receipt
from vm.tx import SignedTransaction

_ADDRESS_FIELDS = {"to", "issuer"}


def value(v: object, name: str = "") -> Any:
    if isinstance(v, bytes):
        if len(v) == 20 and (name in _ADDRESS_FIELDS or name == ""):
            return format_address(v)
        if 20 < len(v) <= accounts.MAX_ACCOUNT and name == "" and accounts.valid_account(v):
            return accounts.format_account(v)  # a custody sub-account in an event
        return v.hex()
    if isinstance(v, (list, tuple)):
        return [value(x) for x in v]
    return v


def operation(op: Operation) -> dict[str, Any]:
    return op.to_json()


def transaction(stx: SignedTransaction) -> dict[str, Any]:
    tx = stx.tx
    return {
        "hash": stx.hash.hex(),
        "chain_id": tx.chain_id,
        "sender": tx.sender.hex(),
        "from": format_address(address_of(tx.sender)),
        "nonce": tx.nonce,
        "gas_limit": tx.gas_limit,
        "expiry_height": tx.expiry_height,
        "memo": tx.memo,
        "ops": [operation(op) for op in tx.ops],
        "signature": stx.signature.hex(),
    }


def event(e: Event) -> dict[str, Any]:
    return {"kind": e.kind, "fields": [value(f) for f in e.fields]}


def receipt(r: Receipt) -> dict[str, Any]:
    return {
        "tx_hash": r.tx_hash.hex(),
        "code": r.code,
        "message": r.message,
        "gas_used": r.gas_used,
        "events": [event(e) for e in r.events],
    }


def certificate(c: CommitCertificate | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "height": int(c.seq),
        "view": int(c.view),
        "epoch": int(c.epoch),
        "digest": c.digest.hex(),
        "votes": [{"validator": int(v.sender), "signature": v.signature.hex()} for v in c.votes],
    }


def header(h: Header) -> dict[str, Any]:
    return {
        "chain_id": h.chain_id,
        "height": h.height,
        "prev_hash": h.prev_hash.hex(),
        "time_ms": h.time_ms,
        "proposer": h.proposer.hex(),
        "txs_root": h.txs_root.hex(),
        "state_root": h.state_root.hex(),
        "validator_set_hash": h.validator_set_hash.hex(),
    }


def block(b: Block, receipts: list[Receipt] | None = None, full: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "height": b.height,
        "hash": b.hash.hex(),
        "header": header(b.header),
        "num_txs": len(b.txs),
        "last_commit": certificate(b.last_commit),
    }
    if full:
        out["txs"] = [transaction(t) for t in b.txs]
    else:
        out["tx_hashes"] = [t.hash.hex() for t in b.txs]
    if receipts is not None:
        out["receipts"] = [receipt(r) for r in receipts]
    return out


def asset(a: PointType) -> dict[str, Any]:
    return {
        "symbol": a.symbol,
        "name": a.name,
        "decimals": a.decimals,
        "cap": a.cap,
        "issuer": format_address(a.issuer),
        "supply": a.outstanding,
        "rules": ledger.rules_text(a.flags),
        "expiry_blocks": a.expiry_blocks,
        "spend_order": "newest_first" if a.spend_order == ledger.NEWEST_FIRST else "oldest_first",
        "frozen": a.frozen_reason or None,
        "uri": a.uri,
        "liability": liability(a),
    }


def liability(a: PointType) -> dict[str, Any]:
    """The issuer's points liability: counts in base units, value in millionths of the
    currency (exact integers; value = outstanding * unit_value)."""
    return {
        "issued": a.issued,
        "redeemed": a.redeemed,
        "expired": a.expired,
        "clawed_back": a.clawed_back,
        "outstanding": a.outstanding,
        "currency": a.currency,
        "unit_value_micros": a.unit_value,
        "outstanding_value_micros": a.outstanding * a.unit_value,
    }
