"""A stand-in for the node behind the API's route modules (scctn_node/api/routes/):
the state a test built by executing transactions, at a height and block time, served by
a FastAPI app with the node's JSON errors."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from scctn_node.errors import NodeError
from vm.state import StateView

with warnings.catch_warnings():  # starlette prefers httpx2; httpx works, with a warning
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

GENESIS_TIME_MS = 1_700_000_000_000


@dataclass
class Header:
    time_ms: int


@dataclass
class Genesis:
    genesis_time_ms: int = GENESIS_TIME_MS


class Store:
    def __init__(self, state: StateView, height: int, time_ms: int | None) -> None:
        self.state = state
        self._height = height
        self._time_ms = time_ms

    def header(self, height: int) -> Header | None:
        """The latest block's header only (None without a block time)."""
        if self._time_ms is None or height != self._height:
            return None
        return Header(self._time_ms)

    def state_items(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        for k, v in self.state.changes():  # sorted by key, like the store
            if k.startswith(prefix) and v is not None:
                yield k, v


class Chain:
    def __init__(self, state: StateView, height: int, time_ms: int | None) -> None:
        self.store = Store(state, height, time_ms)
        self.height = height
        self.genesis = Genesis()


class Service:
    def __init__(self, state: StateView, height: int, time_ms: int | None = None) -> None:
        self.chain = Chain(state, height, time_ms)


def client(state: StateView, *routes: Any, height: int, time_ms: int | None = None) -> TestClient:
    """A test client for the route modules `routes` over `state`."""
    app = FastAPI()

    @app.exception_handler(NodeError)
    async def _error(request: Request, exc: NodeError) -> JSONResponse:
        return JSONResponse({"code": exc.code, "message": exc.message}, exc.http_status)

    service = Service(state, height, time_ms)
    for module in routes:
        app.include_router(module.routes(service))
    return TestClient(app)


def get_json(c: TestClient, path: str, status: int = 200) -> Any:
    r = c.get(path)
    assert r.status_code == status, r.text
    return r.json()
