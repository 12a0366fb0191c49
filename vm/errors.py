"""Errors of the token VM.

`InvalidTransaction` is the client's fault and is raised before a transaction enters the
mempool or a block (bad encoding, signature, chain id, expiry). `ExecutionFailure` is raised
inside an operation and becomes a value in the receipt (code + message): the transaction
is recorded as failed, its state changes rolled back, its nonce consumed.
"""

from __future__ import annotations


class VMError(Exception):
    """Root of every VM error; `code` is stable, `message` is one sentence."""

    code = "vm_error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidTransaction(VMError):
    """A transaction that must be rejected outright (never executed)."""

    code = "invalid_transaction"


class ExecutionFailure(VMError):
    """An operation failed during execution; recorded in the receipt."""

    code = "execution_failed"
