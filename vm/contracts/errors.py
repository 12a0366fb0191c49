"""Errors of the contract machine.

`InvalidCode` rejects bytecode at deploy (it names the offset); `Trap` is a failure while a
program runs (the interpreter turns it into a failed `Outcome`, never lets it escape);
`AsmError` is a mistake in assembly source (it names the line).
"""

from __future__ import annotations

from vm.errors import VMError


class InvalidCode(VMError):
    """Malformed bytecode: unknown opcode, truncated immediate, bad jump, over a limit."""

    code = "invalid_code"


class Trap(Exception):
    """A typed failure of a running program; `reason` is a short stable phrase."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AsmError(ValueError):
    """A mistake in assembly source, with its 1-based line number (0: not tied to a line)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.message = message
        self.line = line
