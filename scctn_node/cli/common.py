"""Shared CLI plumbing: the node client, output in JSON or text, errors as one stderr line.

Exit codes: 0 success, 1 the node or the input refused (a typed error), 2 the node could
not be reached or the command line is wrong.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

DEFAULT_NODE = "http://127.0.0.1:26657"
F = TypeVar("F", bound=Callable[..., Any])


class CliError(Exception):
    def __init__(self, code: str, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.exit_code = exit_code


def fail(code: str, message: str, exit_code: int = 1) -> NoReturn:
    raise CliError(code, message, exit_code)


def handle_errors(func: F) -> F:
    """Turn every typed error into one line on stderr and a non-zero exit."""
    from primitives.errors import PrimitivesError
    from scctn_node.errors import NodeError
    from scctn_node.keystore import KeystoreError
    from scctn_node.storage.kv import StorageError
    from vm.errors import VMError

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CliError as exc:
            click.echo(f"error: {exc.code}: {exc.message}", err=True)
            sys.exit(exc.exit_code)
        except (NodeError, KeystoreError, PrimitivesError, VMError, StorageError) as exc:
            message = getattr(exc, "message", str(exc))
            click.echo(f"error: {exc.code}: {message}", err=True)
            sys.exit(1)
        except Exception as exc:
            if type(exc).__name__ == "GenesisError":
                click.echo(f"error: invalid_genesis: {exc}", err=True)
                sys.exit(1)
            raise

    return wrapper  # type: ignore[return-value]


def resolve_node(node: str | None, home: Path | None) -> str:
    if node:
        return node.rstrip("/")
    if os.environ.get("SCCTN_NODE"):
        return os.environ["SCCTN_NODE"].rstrip("/")
    if home is not None:
        from scctn_node.node import read_node_info

        info = read_node_info(home)
        if info and isinstance(info.get("api"), str):
            return str(info["api"])
        try:
            from scctn_node.config import load_config

            cfg = load_config(home)
            return f"http://{cfg.api.host}:{cfg.api.port}"
        except Exception:  # noqa: S110 - fall through to the default
            pass
    return DEFAULT_NODE


class NodeClient:
    def __init__(self, base: str, timeout: float = 10.0) -> None:
        self.base = base.rstrip("/")
        self.timeout = timeout

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            try:
                err = json.loads(exc.read())
                code, message = err["code"], err["message"]
            except (ValueError, KeyError, TypeError):
                code, message = "http_error", f"HTTP {exc.code}"
            fail(code, message)
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            fail("node_unreachable", f"cannot reach the node at {self.base}: {reason}", 2)

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, body)


def emit(data: Any, output: str, text: Callable[[Any], str] | None = None) -> None:
    if output == "json" or text is None:
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(text(data))


def node_options(func: F) -> F:
    func = click.option(
        "--output",
        "-o",
        type=click.Choice(["json", "text"]),
        default="text",
        show_default=True,
        help="json goes to stdout for scripts",
    )(func)
    func = click.option(
        "--home",
        type=click.Path(path_type=Path),
        default=None,
        help="node home (finds the API address and keys)",
    )(func)
    func = click.option("--node", default=None, help=f"node API URL (default {DEFAULT_NODE})")(func)
    return func
