"""Read endpoints of the ledger's modules, one module per area (ledger, governance,
custody, issuance modes, rewards, ...). Each module here defines

    def routes(service: NodeService) -> fastapi.APIRouter

and `create_app` includes every module found in this package (sorted by name), so an
area adds its endpoints without touching the app. Shared helpers for them are below.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, Any

from primitives.errors import InvalidAddress
from scctn_node.errors import BadRequest
from vm import accounts
from vm.state import StateView

if TYPE_CHECKING:
    from fastapi import APIRouter

    from scctn_node.service import NodeService


def all_routers(service: NodeService) -> list[APIRouter]:
    out = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        out.append(module.routes(service))
    return out


def state_view(service: NodeService) -> StateView:
    """A read view of the committed state (read it without awaiting in between)."""
    return StateView(service.chain.store.state)


def account_arg(text: str) -> bytes:
    """An account in a path or query: `scc1...` or `scc1.../user`; 400 when malformed."""
    try:
        return accounts.parse_account(text)
    except InvalidAddress as exc:
        raise BadRequest(exc.message, exc.code) from exc


def height(service: NodeService) -> int:
    return int(service.chain.height)


def state_items(service: NodeService, prefix: bytes) -> Any:
    """(key, raw value) pairs of the committed state under `prefix`, in key order."""
    return service.chain.store.state_items(prefix)
