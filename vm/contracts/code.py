"""Bytecode validation and pre-decoding.

`validate(code)` checks a program once, at deploy: every opcode known, every immediate
complete, every jump aimed at a JUMPDEST, sizes within the limits. It returns a `Program`:
the instruction list the interpreter runs, cached by code hash so a contract is decoded
once per process.

Gas is charged per basic block. A block starts at offset 0, at every JUMPDEST and after
every jump, SYS or terminator; SYS ends a block because CALL hands the remaining gas to the
callee. `fast[i]` is `(op, arg, gas)` where `gas` is the whole block's gas on the block's
first instruction and 0 elsewhere; `slow[i]` has each instruction's own gas, for the block
that cannot be paid in full (so out of gas stops at the exact instruction); `rest[i]` is
the gas of the instructions after i in its block, refunded when i traps.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from vm.contracts.errors import InvalidCode
from vm.contracts.isa import BY_CODE, MAX_CODE, SYSCALLS, Op

Decoded = tuple[int, Any, int]

_TERMINATORS = frozenset({Op.STOP, Op.RETURN, Op.REVERT})
_BLOCK_ENDS = frozenset({Op.JUMP, Op.JUMPI, Op.SYS}) | _TERMINATORS
_CACHE_SIZE = 512


@dataclass(frozen=True, slots=True)
class Program:
    """A validated, pre-decoded program. Index len(offsets) is an implicit free STOP."""

    code: bytes
    code_hash: bytes
    fast: tuple[Decoded, ...]
    slow: tuple[Decoded, ...]
    rest: tuple[int, ...]
    offsets: tuple[int, ...]


_cache: dict[bytes, Program] = {}


def decode_one(code: bytes, pc: int) -> tuple[int, Any, int]:
    """(opcode, immediate, next offset) of the instruction at `pc`; InvalidCode if malformed."""
    op = code[pc]
    instr = BY_CODE.get(op)
    if instr is None:
        raise InvalidCode(f"unknown opcode 0x{op:02x} at offset {pc}")
    end = pc + 1 + instr.imm
    if end > len(code):
        raise InvalidCode(f"truncated immediate of {instr.name} at offset {pc}")
    raw = code[pc + 1 : end]
    arg: Any = None
    if op == Op.PUSH or op == Op.JUMP or op == Op.JUMPI:
        arg = int.from_bytes(raw, "big")
    elif op == Op.PUSHB:
        n = raw[0]
        if end + n > len(code):
            raise InvalidCode(f"truncated immediate of PUSHB at offset {pc}")
        arg = code[end : end + n]
        end += n
    elif instr.imm:
        arg = raw[0]
        if (op == Op.DUP or op == Op.SWAP) and arg == 0:
            raise InvalidCode(f"{instr.name} 0 at offset {pc}")
        if op == Op.SYS and arg not in SYSCALLS:
            raise InvalidCode(f"unknown system call {arg} at offset {pc}")
    return op, arg, end


def _gas(op: int, arg: Any) -> int:
    gas = BY_CODE[op].gas
    if op == Op.SYS:
        gas += SYSCALLS[arg][3]
    return gas


def _decode(code: bytes) -> Program:
    if len(code) > MAX_CODE:
        raise InvalidCode(f"code is {len(code)} bytes, over the limit of {MAX_CODE} at offset 0")
    ops: list[tuple[int, Any]] = []
    offsets: list[int] = []
    pc = 0
    while pc < len(code):
        op, arg, nxt = decode_one(code, pc)
        ops.append((op, arg))
        offsets.append(pc)
        pc = nxt
    index = {off: i for i, off in enumerate(offsets)}
    resolved: list[tuple[int, Any]] = []
    for (op, arg), off in zip(ops, offsets, strict=True):
        if op == Op.JUMP or op == Op.JUMPI:
            target = index.get(arg)
            if target is None or ops[target][0] != Op.JUMPDEST:
                raise InvalidCode(f"jump at offset {off} to {arg}, not a JUMPDEST")
            arg = target
        resolved.append((op, arg))
    resolved.append((int(Op.STOP), None))  # running off the end: a free STOP
    gases = [_gas(op, arg) for op, arg in resolved[:-1]] + [0]
    return _blocks(code, resolved, gases, tuple(offsets))


def _blocks(
    code: bytes, ops: list[tuple[int, Any]], gases: list[int], offsets: tuple[int, ...]
) -> Program:
    n = len(ops)
    leader = [False] * n
    leader[0] = True
    for i, (op, _) in enumerate(ops):
        if op == Op.JUMPDEST:
            leader[i] = True
        if op in _BLOCK_ENDS and i + 1 < n:
            leader[i + 1] = True
    block_gas = [0] * n
    rest = [0] * n
    i = n - 1
    acc = 0
    while i >= 0:
        rest[i] = acc
        acc += gases[i]
        if leader[i]:
            block_gas[i] = acc
            acc = 0
        i -= 1
    fast = tuple((op, arg, block_gas[i]) for i, (op, arg) in enumerate(ops))
    slow = tuple((op, arg, gases[i]) for i, (op, arg) in enumerate(ops))
    return Program(code, hashlib.sha256(code).digest(), fast, slow, tuple(rest), offsets)


def validate(code: bytes) -> Program:
    """Check `code` and return its pre-decoded program (cached); InvalidCode if malformed."""
    code = bytes(code)
    key = hashlib.sha256(code).digest()
    program = _cache.get(key)
    if program is None:
        program = _decode(code)
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = program
    return program
