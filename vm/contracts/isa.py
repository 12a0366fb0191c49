"""The one table of the contract machine's instructions and system calls.

The assembler, disassembler, validator, interpreter and the documentation all read
`INSTRUCTIONS` and `SYSCALLS`; nothing else lists opcodes. An instruction's gas is charged
before it runs; a system call costs the SYS instruction's gas plus its own.

Values are unsigned 64-bit ints (0..2**64-1) or byte strings (0..MAX_VALUE_BYTES bytes).
For binary operators the top of the stack is the right operand: `PUSH a; PUSH b; SUB` is
a - b. Immediates are big-endian. `imm` is the fixed immediate size in bytes; PUSHB's one
length byte n is followed by n more bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

MAX_CODE = 24 * 1024
MAX_STACK = 256
MAX_MEMORY = 256
MAX_VALUE_BYTES = 256
MAX_CALL_DEPTH = 4
U64_MAX = 2**64 - 1


class Op(IntEnum):
    STOP = 0x00
    ADD = 0x01
    SUB = 0x02
    MUL = 0x03
    DIV = 0x04
    MOD = 0x05
    MULDIV = 0x06
    LT = 0x07
    GT = 0x08
    EQ = 0x09
    ISZERO = 0x0A
    AND = 0x0B
    OR = 0x0C
    NOT = 0x0D
    MIN = 0x0E
    MAX = 0x0F
    PUSH = 0x10
    PUSHB = 0x11
    POP = 0x12
    DUP = 0x13
    SWAP = 0x14
    JUMP = 0x20
    JUMPI = 0x21
    JUMPDEST = 0x22
    MLOAD = 0x30
    MSTORE = 0x31
    SLOAD = 0x40
    SSTORE = 0x41
    ARG = 0x50
    NARGS = 0x51
    CONCAT = 0x52
    LEN = 0x53
    TOBYTES = 0x54
    TOINT = 0x55
    HASH = 0x56
    RETURN = 0x60
    REVERT = 0x61
    SYS = 0x70


@dataclass(frozen=True, slots=True)
class Instr:
    """One instruction: pops/pushes are nominal (DUP, SWAP, RETURN, SYS depend on the
    immediate; see `doc`)."""

    name: str
    code: int
    imm: int
    pops: int
    pushes: int
    gas: int
    doc: str = ""


def _i(op: Op, imm: int, pops: int, pushes: int, gas: int, doc: str) -> Instr:
    return Instr(op.name, int(op), imm, pops, pushes, gas, doc)


INSTRUCTIONS: list[Instr] = [
    _i(Op.STOP, 0, 0, 0, 1, "end, returning nothing (running off the end: a free STOP)"),
    _i(Op.ADD, 0, 2, 1, 3, "a + b; traps on overflow"),
    _i(Op.SUB, 0, 2, 1, 3, "a - b; traps on underflow (reason `overflow`)"),
    _i(Op.MUL, 0, 2, 1, 5, "a * b; traps on overflow"),
    _i(Op.DIV, 0, 2, 1, 5, "a // b; traps if b == 0"),
    _i(Op.MOD, 0, 2, 1, 5, "a % b; traps if b == 0"),
    _i(Op.MULDIV, 0, 3, 1, 8, "a * b // c, exact intermediate; traps if c == 0 or result > u64"),
    _i(Op.LT, 0, 2, 1, 3, "1 if a < b else 0"),
    _i(Op.GT, 0, 2, 1, 3, "1 if a > b else 0"),
    _i(Op.EQ, 0, 2, 1, 3, "1 if a == b else 0 (two ints or two byte strings)"),
    _i(Op.ISZERO, 0, 1, 1, 2, "1 if a == 0 else 0"),
    _i(Op.AND, 0, 2, 1, 3, "bitwise a & b (logical on 0/1)"),
    _i(Op.OR, 0, 2, 1, 3, "bitwise a | b (logical on 0/1)"),
    _i(Op.NOT, 0, 1, 1, 2, "logical: 1 if a == 0 else 0"),
    _i(Op.MIN, 0, 2, 1, 3, "min(a, b)"),
    _i(Op.MAX, 0, 2, 1, 3, "max(a, b)"),
    _i(Op.PUSH, 8, 0, 1, 2, "push the 8-byte big-endian immediate"),
    _i(Op.PUSHB, 1, 0, 1, 3, "push the n bytes that follow the 1-byte length n"),
    _i(Op.POP, 0, 1, 0, 1, "drop the top"),
    _i(Op.DUP, 1, 0, 1, 2, "DUP k: copy the k-th item from the top (1 = top), k >= 1"),
    _i(Op.SWAP, 1, 0, 0, 2, "SWAP k: swap the top with the (k+1)-th item, k >= 1"),
    _i(Op.JUMP, 2, 0, 0, 4, "jump to the 2-byte absolute offset (a JUMPDEST)"),
    _i(Op.JUMPI, 2, 1, 0, 5, "pop cond; jump to the offset if cond != 0"),
    _i(Op.JUMPDEST, 0, 0, 0, 1, "a jump target"),
    _i(Op.MLOAD, 0, 1, 1, 3, "pop index (0..255) -> memory[index], 0 if unset"),
    _i(Op.MSTORE, 0, 2, 0, 3, "pop index, pop value: memory[index] = value"),
    _i(Op.SLOAD, 0, 1, 1, 200, "pop key -> stored value, 0 if absent"),
    _i(Op.SSTORE, 0, 2, 0, 5000, "pop key, pop value: store (0 or empty bytes deletes)"),
    _i(Op.ARG, 0, 1, 1, 3, "pop i -> call argument i"),
    _i(Op.NARGS, 0, 0, 1, 2, "number of call arguments"),
    _i(Op.CONCAT, 0, 2, 1, 10, "pop b, pop a -> a + b (bytes, at most 256)"),
    _i(Op.LEN, 0, 1, 1, 2, "length of a byte string"),
    _i(Op.TOBYTES, 0, 1, 1, 3, "int -> 8 bytes big-endian"),
    _i(Op.TOINT, 0, 1, 1, 3, "at most 8 bytes big-endian -> int"),
    _i(Op.HASH, 0, 1, 1, 60, "bytes -> 32-byte SHA-256 under the tag scctn/contract-hash/v1"),
    _i(Op.RETURN, 1, 0, 0, 2, "RETURN n: end successfully, returning the top n values"),
    _i(Op.REVERT, 0, 1, 0, 2, "pop reason bytes: fail with it (state changes reverted)"),
    _i(Op.SYS, 1, 0, 0, 5, "SYS id: system call (pops/pushes/gas: see the system calls)"),
]

BY_NAME: dict[str, Instr] = {i.name: i for i in INSTRUCTIONS}
BY_CODE: dict[int, Instr] = {i.code: i for i in INSTRUCTIONS}


class Sys(IntEnum):
    CALLER = 0
    SELF = 1
    HEIGHT = 2
    TIME = 3
    BALANCE = 4
    TRANSFER = 5
    ISSUE = 6
    BURN = 7
    EMIT = 8
    CALL = 9
    ROLE = 10
    DEPLOYER = 11


# id -> (name, pops, pushes, gas); CALL pops address, n args and n, pushes m results and m,
# and the callee's gas is added to its own.
SYSCALLS: dict[int, tuple[str, int, int, int]] = {
    Sys.CALLER: ("CALLER", 0, 1, 2),
    Sys.SELF: ("SELF", 0, 1, 2),
    Sys.HEIGHT: ("HEIGHT", 0, 1, 2),
    Sys.TIME: ("TIME", 0, 1, 2),
    Sys.BALANCE: ("BALANCE", 2, 1, 400),
    Sys.TRANSFER: ("TRANSFER", 3, 0, 2000),
    Sys.ISSUE: ("ISSUE", 3, 0, 3000),
    Sys.BURN: ("BURN", 2, 0, 2000),
    Sys.EMIT: ("EMIT", 2, 0, 300),
    Sys.CALL: ("CALL", 2, 1, 1000),
    Sys.ROLE: ("ROLE", 2, 1, 300),
    Sys.DEPLOYER: ("DEPLOYER", 0, 1, 200),
}
SYSCALL_BY_NAME: dict[str, int] = {v[0]: k for k, v in SYSCALLS.items()}

_SYS_DOC: dict[int, str] = {
    Sys.CALLER: "-> address of the transaction sender or calling contract (20 bytes)",
    Sys.SELF: "-> this contract's address",
    Sys.HEIGHT: "-> block height",
    Sys.TIME: "-> block time in ms",
    Sys.BALANCE: "(account, symbol) -> spendable balance at this height",
    Sys.TRANSFER: "(symbol, to, amount): move points from the contract's own account",
    Sys.ISSUE: "(symbol, to, amount): issue under the issuer's delegation to this contract",
    Sys.BURN: "(symbol, amount): redeem points the contract holds",
    Sys.EMIT: "(topic bytes, value): event `contract.event`",
    Sys.CALL: "(address, a1..an, n) -> r1..rm, m: call a contract (+ the callee's gas)",
    Sys.ROLE: "(address, role name) -> 1 if the address holds the governance role, else 0",
    Sys.DEPLOYER: "-> the address that deployed this contract (for an owner set at init)",
}


def render_markdown() -> str:
    """The instruction and system-call tables of docs/contracts.md."""
    lines = [
        "| Byte | Name | Immediate | Pops | Pushes | Gas | Effect |",
        "|------|------|-----------|------|--------|-----|--------|",
    ]
    for i in INSTRUCTIONS:
        imm = "1 + n" if i.code == Op.PUSHB else str(i.imm)
        lines.append(
            f"| 0x{i.code:02x} | {i.name} | {imm} | {i.pops} | {i.pushes} | {i.gas} | {i.doc} |"
        )
    lines += [
        "",
        "| Id | System call | Pops | Pushes | Gas (+ SYS) | Effect |",
        "|----|-------------|------|--------|-------------|--------|",
    ]
    for sid in sorted(SYSCALLS):
        name, pops, pushes, gas = SYSCALLS[sid]
        if sid == Sys.CALL:
            p, q = "n + 2", "m + 1"
        else:
            p, q = str(pops), str(pushes)
        lines.append(f"| {sid} | {name} | {p} | {q} | {gas} | {_SYS_DOC[sid]} |")
    lines += [
        "",
        "| Limit | Value |",
        "|-------|-------|",
        f"| code size (bytes) | {MAX_CODE} |",
        f"| stack depth | {MAX_STACK} |",
        f"| memory slots | {MAX_MEMORY} |",
        f"| value size (bytes) | {MAX_VALUE_BYTES} |",
        f"| call depth | {MAX_CALL_DEPTH} |",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # python -m vm.contracts.isa: the tables for the docs
    print(render_markdown(), end="")
