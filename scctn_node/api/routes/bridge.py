"""Read endpoints of the Ethereum bridge (vm/bridge.py), for users, validators (what to
attest and sign) and relayers (what to carry to the vault).

    GET /v1/bridge                       configuration, pause/halt, counters
    GET /v1/bridge/deposits/{nonce}      a deposit: pending (its attestations) or minted
    GET /v1/bridge/outbox?kind=&from=&limit=   messages to sign/relay with their signatures
    GET /v1/bridge/withdrawals/{id}      one withdrawal (an outbox item with its details)
    GET /v1/bridge/valsets/latest        the latest valset
    GET /v1/bridge/valsets/{nonce}       one valset

Ethereum values in Ethereum form: addresses `0x...` (EIP-55), hashes and signatures `0x`
hex, uint256 values (amounts, ids, nonces, expiries of an EIP-712 message) decimal
strings. A message's `message` object has the EIP-712 field names of its type, so a
relayer passes it to the vault as it is; `digest` is the EIP-712 digest the signatures
are over (null until the vault address is configured). Chain amounts are integers.
Unknown ids are 404 with a `bridge_*_not_found` code; malformed parameters are 400.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Query

from primitives import codec, eth
from scctn_node.api.routes import height, state_items, state_view
from scctn_node.errors import BadRequest, NotFound
from vm import accounts, bridge, bridge_state, validators
from vm.state import StateView

if TYPE_CHECKING:
    from scctn_node.service import NodeService

KIND_NAMES = {v: k for k, v in bridge_state.KINDS.items()}
MAX_LIMIT = 1_000


def _hex(raw: bytes) -> str:
    return "0x" + raw.hex()


def _id_arg(text: str, what: str, low: int = 1) -> int:
    try:
        value = int(text, 10)
    except ValueError:
        raise BadRequest(f"{what} must be an integer of at least {low}", "bad_request") from None
    if not low <= value <= codec.U64_MAX:
        raise BadRequest(f"{what} must be an integer of at least {low}", "bad_request")
    return value


def status_json(state: StateView) -> dict[str, Any]:
    config = bridge_state.get_config(state)
    s = bridge_state.get_status(state)
    halted = None
    if s.halt_reason:
        halted = {
            "reason": s.halt_reason,
            "nonce": s.halt_nonce,
            "validators": [k.hex() for k in s.halt_validators],
            "more_nonces": list(s.more_halts),
        }
    return {
        "configured": config is not None,
        "config": None
        if config is None
        else {
            "eth_chain_id": config.eth_chain_id,
            "vault": eth.to_checksum(config.vault) if config.vault else None,
            "token_decimals": config.token_decimals,
            "wrapped_decimals": config.wrapped_decimals,
            "scale": config.scale,
            "symbol": config.symbol,
            "withdraw_ttl": config.withdraw_ttl,
        },
        "paused": s.paused,
        "halted": halted,
        "next_deposit_nonce": s.next_nonce,
        "next_withdrawal_id": s.next_withdrawal,
        "valset_nonce": s.valset_nonce,
        "change_nonce": s.change_nonce,
        "minted": s.minted,
        "withdrawn": s.withdrawn,
        "deposited": str(s.deposited),
        "suspended": s.suspended,
        "validators": len(validators.get_validators(state)),
        "quorum": bridge_state.quorum(len(validators.get_validators(state))),
    }


def _deposit_json(d: bridge_state.Deposit) -> dict[str, Any]:
    return {
        "nonce": d.nonce,
        "eth_tx": _hex(d.eth_tx),
        "log_index": d.log_index,
        "amount": str(d.amount),
        "recipient": accounts.format_account(d.recipient),
    }


def deposit_json(state: StateView, nonce: int) -> dict[str, Any] | None:
    members = [m.public_key for m in validators.get_validators(state)]
    minted = bridge_state.get_minted(state, nonce)
    keys = sorted({*members, *(minted.attesters if minted else ())})
    attestations = []
    if minted is not None:
        attestations += [
            {"validator": k.hex(), "digest": _hex(minted.digest)} for k in minted.attesters
        ]
    for k in keys:
        digest = bridge_state.attested(state, nonce, k)
        if digest is None:
            continue
        item: dict[str, Any] = {"validator": k.hex(), "digest": _hex(digest)}
        content = bridge_state.deposit_for(state, nonce, digest)
        if content is not None:
            item["deposit"] = _deposit_json(content)
        attestations.append(item)
    if minted is None and not attestations:
        return None
    record = None
    if minted is not None:
        record = {
            **_deposit_json(minted.deposit),
            "digest": _hex(minted.digest),
            "minted": minted.amount,
            "credited": accounts.format_account(minted.credited) if minted.credited else None,
            "height": minted.height,
        }
    return {
        "nonce": nonce,
        "status": "minted" if minted is not None else "pending",
        "quorum": bridge_state.quorum(len(members)),
        "attestations": attestations,
        "record": record,
    }


def _message_json(message: eth.Message) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, t in message.TYPES[message.PRIMARY]:
        value = message.fields()[name]
        if t == "address":
            out[name] = eth.to_checksum(value)
        elif t == "address[]":
            out[name] = [eth.to_checksum(a) for a in value]
        elif t == "uint256[]":
            out[name] = [str(v) for v in value]
        elif t == "uint256":
            out[name] = str(value)
        else:
            out[name] = value
    return out


def outbox_json(state: StateView, o: bridge_state.Outbox, now_s: int | None) -> dict[str, Any]:
    digest = bridge.digest_of(state, o)
    signatures = []
    for address in o.signers:
        raw = state.get(bridge_state.signature_key(o.kind, o.id, address))
        if raw is not None:
            sig = codec.decode_trusted(raw)
            signatures.append({"eth_address": eth.to_checksum(address), "signature": _hex(sig)})
    signed, total = bridge.signed_power(state, o)
    counting = bridge.allowed_signers(state, o)
    out: dict[str, Any] = {
        "kind": KIND_NAMES[o.kind],
        "id": o.id,
        "message": _message_json(bridge.message_of(state, o)),
        "digest": None if digest is None else _hex(digest),
        "signatures": signatures,
        "signed_power": signed,
        "total_power": total,
        "quorum": bridge.has_quorum(signed, total),
        "signing_valset": None if counting is None else counting.nonce,
    }
    if o.kind == bridge_state.KIND_WITHDRAWAL:
        w = bridge_state.Withdrawal.of(o)
        out["withdrawal"] = {
            "owner": accounts.format_account(w.owner),
            "recipient": eth.to_checksum(w.recipient),
            "amount": w.amount,
            "token_amount": str(w.token_amount),
            "expiry": w.expiry,
            "expired": None if now_s is None else now_s > w.expiry,
            "renewals": w.renewals,
            "created_valset": o.valset,
        }
    return out


def valset_json(state: StateView, record: bridge_state.ValsetRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "nonce": record.nonce,
        "validators": [eth.to_checksum(a) for a in record.addresses],
        "powers": [str(p) for p in record.powers],
        "members": [k.hex() for k in record.members],
        "total_power": record.total_power,
        "checkpoint": _hex(record.message().struct_hash()),
        "digest": None,
        "signatures": [],
    }
    o = bridge_state.get_outbox(state, bridge_state.KIND_VALSET, record.nonce)
    if o is not None:
        item = outbox_json(state, o, None)
        for k in ("digest", "signatures", "signed_power", "quorum", "signing_valset"):
            out[k] = item[k]
    return out


def routes(service: NodeService) -> APIRouter:
    router = APIRouter(tags=["bridge"])

    def now_s() -> int | None:
        header = service.chain.store.header(height(service))
        return None if header is None else int(header.time_ms) // 1000

    @router.get("/v1/bridge", summary="The bridge: configuration, pause/halt and counters")
    async def status() -> dict[str, Any]:
        return {"height": height(service), **status_json(state_view(service))}

    @router.get("/v1/bridge/deposits/{nonce}", summary="One deposit: attestations or mint")
    async def deposit(nonce: str) -> dict[str, Any]:
        n = _id_arg(nonce, "nonce")
        body = deposit_json(state_view(service), n)
        if body is None:
            raise NotFound(f"no attestation of deposit {n} yet", "bridge_deposit_not_found")
        return body

    @router.get("/v1/bridge/outbox", summary="Messages for the validators to sign and relay")
    async def outbox_list(
        kind: str = Query("", description="withdrawal|valset|change (default: all)"),
        start: str = Query("1", alias="from", description="the first id (ids start at 1)"),
        limit: str = Query("100", description=f"at most this many (1-{MAX_LIMIT})"),
    ) -> list[dict[str, Any]]:
        if kind and kind not in bridge_state.KINDS:
            raise BadRequest("kind must be one of withdrawal, valset, change", "bad_request")
        first = _id_arg(start, "from", low=0)
        n = _id_arg(limit, "limit")
        if n > MAX_LIMIT:
            raise BadRequest(f"limit is at most {MAX_LIMIT}", "bad_request")
        state = state_view(service)
        now = now_s()
        out: list[dict[str, Any]] = []
        kinds = [bridge_state.KINDS[kind]] if kind else sorted(bridge_state.KINDS.values())
        for k in kinds:
            prefix = bridge_state.outbox_key(k, 0)[:2]
            for key, raw in state_items(service, prefix):
                oid = int.from_bytes(key[2:], "big")
                if oid < first:
                    continue
                o = bridge_state.Outbox.from_wire(k, oid, codec.decode_trusted(raw))
                out.append(outbox_json(state, o, now))
                if len(out) == n:
                    return out
        return out

    @router.get("/v1/bridge/withdrawals/{wid}", summary="One withdrawal and its signatures")
    async def withdrawal(wid: str) -> dict[str, Any]:
        n = _id_arg(wid, "id")
        state = state_view(service)
        o = bridge_state.get_outbox(state, bridge_state.KIND_WITHDRAWAL, n)
        if o is None:
            raise NotFound(f"no withdrawal {n}", "bridge_withdrawal_not_found")
        return outbox_json(state, o, now_s())

    @router.get("/v1/bridge/valsets/latest", summary="The latest bridge valset")
    async def latest_valset() -> dict[str, Any]:
        state = state_view(service)
        record = bridge_state.get_valset(state, bridge_state.get_status(state).valset_nonce)
        if record is None:
            raise NotFound("no valset recorded yet", "bridge_valset_not_found")
        return valset_json(state, record)

    @router.get("/v1/bridge/valsets/{nonce}", summary="One bridge valset and its signatures")
    async def valset(nonce: str) -> dict[str, Any]:
        n = _id_arg(nonce, "nonce")
        state = state_view(service)
        record = bridge_state.get_valset(state, n)
        if record is None:
            raise NotFound(f"no valset {n}", "bridge_valset_not_found")
        return valset_json(state, record)

    return router
