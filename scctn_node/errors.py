"""Error root of the node. Every error that reaches a user has a stable `code`, a sentence,
and (for the API) an HTTP status."""

from __future__ import annotations


class NodeError(Exception):
    code = "node_error"
    http_status = 500

    def __init__(
        self, message: str, code: str | None = None, http_status: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if http_status is not None:
            self.http_status = http_status


class BadRequest(NodeError):
    code = "bad_request"
    http_status = 400


class NotFound(NodeError):
    code = "not_found"
    http_status = 404


class TransactionRejected(NodeError):
    """The client's transaction was refused at admission; `code` says why."""

    code = "invalid_transaction"
    http_status = 400


class MempoolFull(NodeError):
    code = "mempool_full"
    http_status = 429
    retry_after_s = 1


class ConfigError(NodeError):
    code = "config_error"
    http_status = 400


class StateCorrupt(NodeError):
    """The node's own data contradicts itself: halt loudly."""

    code = "storage_corrupt"
