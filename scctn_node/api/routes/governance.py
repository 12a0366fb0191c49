"""Read endpoints of governance (vm/governance.py) and the chain parameters (vm/params.py).

    GET /v1/members                     every member with its roles, and the vote threshold
    GET /v1/members/{address}           one address: member or not, its roles
    GET /v1/proposals?status=&after=&limit=   proposals by id (status: open, passed,
                                        failed, rejected, expired)
    GET /v1/proposals/{id}              one proposal with its votes and its action
    GET /v1/params                      chain parameters and the gas schedule by op name

A proposal's `status` is as of the next block (height + 1): "open" means a vote sent now
can still count; a proposal whose deadline has passed without a decision is "expired".
Yes and no counts are those of current members, as the VM counts them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Query

from primitives import codec
from primitives.errors import InvalidAddress, PrimitivesError
from primitives.keys import format_address, parse_address
from scctn_node.api.routes import height, state_items, state_view
from scctn_node.errors import BadRequest, NotFound
from vm import governance, tables
from vm.errors import VMError
from vm.governance import Proposal
from vm.ops.catalog import decode_operation
from vm.params import chain_params, gas_json
from vm.state import StateReader

if TYPE_CHECKING:
    from scctn_node.service import NodeService

STATUSES = ("open", "passed", "failed", "rejected", "expired")
MAX_LIMIT = 1_000


def _address_arg(text: str) -> bytes:
    try:
        return parse_address(text)
    except InvalidAddress as exc:
        raise BadRequest(exc.message, exc.code) from exc


def member_json(state: StateReader, address: bytes) -> dict[str, Any]:
    return {
        "address": format_address(address),
        "member": governance.is_member(state, address),
        "name": governance.member_name(state, address),
        "roles": governance.roles_text(governance.roles_of(state, address)),
    }


def proposal_json(state: StateReader, p: Proposal, at_height: int) -> dict[str, Any]:
    n = governance.member_count(state)
    try:
        action: Any = decode_operation(p.action).to_json()
    except (PrimitivesError, VMError):  # an operation retired since: show the raw form
        action = {"op": "unknown", "wire": codec.encode(p.action).hex()}
    return {
        "id": p.id,
        "title": p.title,
        "proposer": format_address(p.proposer),
        "created": p.created,
        "deadline": p.deadline,
        "status": p.status_at(at_height),
        "result": p.result,
        "yes": sum(1 for a in p.yes if governance.is_member(state, a)),
        "no": sum(1 for a in p.no if governance.is_member(state, a)),
        "needed": governance.threshold(n),
        "members": n,
        "yes_voters": [format_address(a) for a in p.yes],
        "no_voters": [format_address(a) for a in p.no],
        "action": action,
    }


def routes(service: NodeService) -> APIRouter:
    router = APIRouter(tags=["governance"])

    @router.get("/v1/members", summary="Members of the alliance and their roles")
    async def members() -> dict[str, Any]:
        state = state_view(service)
        items = [
            member_json(state, key[len(tables.MEMBER) :])
            for key, _ in state_items(service, tables.MEMBER)
        ]
        n = governance.member_count(state)
        return {
            "height": height(service),
            "count": n,
            "threshold": governance.threshold(n),
            "members": items,
        }

    @router.get("/v1/members/{address}", summary="One address: membership and roles")
    async def member(address: str) -> dict[str, Any]:
        addr = _address_arg(address)
        body = member_json(state_view(service), addr)
        if not body["member"] and not body["roles"]:
            raise NotFound(f"{address} is not a member and holds no role", "member_not_found")
        return body

    @router.get("/v1/proposals", summary="Governance proposals, oldest first")
    async def proposals(
        status: str = "",
        after: int = Query(0, ge=0, description="only ids above this"),
        limit: int = Query(100, ge=1, le=MAX_LIMIT),
    ) -> dict[str, Any]:
        if status and status not in STATUSES:
            raise BadRequest(f"status must be one of {', '.join(STATUSES)}", "bad_request")
        state = state_view(service)
        at = height(service) + 1
        out = []
        for key, raw in state_items(service, tables.PROPOSAL):
            if int.from_bytes(key[1:], "big") <= after:
                continue
            p = Proposal.from_wire(codec.decode_trusted(raw))
            if status and p.status_at(at) != status:
                continue
            out.append(proposal_json(state, p, at))
            if len(out) == limit:
                break
        return {"height": at - 1, "proposals": out}

    @router.get("/v1/proposals/{pid}", summary="One proposal with its votes and action")
    async def proposal(pid: int) -> dict[str, Any]:
        state = state_view(service)
        p = governance.get_proposal(state, pid)
        if p is None:
            raise NotFound(f"no proposal {pid}", "proposal_not_found")
        return {"height": height(service), **proposal_json(state, p, height(service) + 1)}

    @router.get("/v1/params", summary="Chain parameters and the gas schedule")
    async def params() -> dict[str, Any]:
        state = state_view(service)
        body = chain_params(state).to_json()
        body["fee_collector"] = format_address(chain_params(state).fee_collector)
        return {"height": height(service), "params": body, "gas": gas_json(state)}

    return router
