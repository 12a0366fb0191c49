r"""Assembler and disassembler of the contract machine's bytecode.

Syntax, one statement per line, `;` starts a comment (outside strings):

    .const FEE 5            ; a named int (decimal) or bytes ("text" or 0xhex)
    start:                  ; a label: a jump target (a JUMPDEST is placed here unless
        JUMPDEST            ;   the next instruction already is one)
        PUSH 5              ; decimal u64, or a .const name
        PUSHB "text"        ; bytes: "text" (escapes \\ \" \n \t \xNN) or 0xabcd
        DUP 1               ; DUP/SWAP/RETURN take a small int; SYS a system call name
        SYS TRANSFER
        JUMPI @start        ; JUMP/JUMPI take @label (or a decimal offset)
    .bytes 0x0102           ; raw bytes (the disassembler's form for undecodable code)

Mnemonics and system-call names are case-insensitive; labels and constants are not.
`disassemble(code)` gives source that assembles back to exactly `code`.
"""

from __future__ import annotations

import re

from vm.contracts.code import decode_one
from vm.contracts.errors import AsmError, InvalidCode
from vm.contracts.isa import BY_CODE, BY_NAME, MAX_CODE, SYSCALL_BY_NAME, SYSCALLS, U64_MAX, Op

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\Z")
_DEC = re.compile(r"[0-9][0-9_]*\Z")
_HEX = re.compile(r"0x([0-9a-fA-F]*)\Z")
_ESCAPES = {"\\": "\\", '"': '"', "n": "\n", "t": "\t", "0": "\0"}


def _split(line: str, lineno: int) -> list[str]:
    """Tokens of one line: words and "strings" (kept with their quotes); drops comments."""
    tokens: list[str] = []
    i = 0
    n = len(line)
    while i < n:
        c = line[i]
        if c == ";":
            break
        if c.isspace():
            i += 1
            continue
        if c == '"':
            j = i + 1
            while j < n and line[j] != '"':
                j += 2 if line[j] == "\\" else 1
            if j >= n:
                raise AsmError("unterminated string", lineno)
            tokens.append(line[i : j + 1])
            i = j + 1
            continue
        j = i
        while j < n and not line[j].isspace() and line[j] not in ';"':
            j += 1
        tokens.append(line[i:j])
        i = j
    return tokens


def _string(tok: str, lineno: int) -> bytes:
    """Bytes of a "string" token: UTF-8 text, with \\xNN for a raw byte."""
    body = tok[1:-1]
    data = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            data += c.encode()
            i += 1
            continue
        esc = body[i + 1 : i + 2]
        if esc in _ESCAPES:
            data += _ESCAPES[esc].encode()
            i += 2
        elif esc == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", body[i + 2 : i + 4]):
            data.append(int(body[i + 2 : i + 4], 16))
            i += 4
        else:
            raise AsmError(f"bad escape in string {tok}", lineno)
    return bytes(data)


def _literal(tok: str, consts: dict[str, int | bytes], lineno: int) -> int | bytes:
    if _DEC.match(tok):
        return int(tok)
    m = _HEX.match(tok)
    if m:
        if len(m.group(1)) % 2:
            raise AsmError(f"odd number of hex digits in {tok}", lineno)
        return bytes.fromhex(m.group(1))
    if tok.startswith('"') and tok.endswith('"') and len(tok) >= 2:
        return _string(tok, lineno)
    if tok in consts:
        return consts[tok]
    raise AsmError(f"unknown constant or bad value {tok!r}", lineno)


def _small(tok: str, lineno: int, lo: int, what: str) -> int:
    if not _DEC.match(tok) or not lo <= int(tok) <= 255:
        raise AsmError(f"{what} takes an int {lo}..255, not {tok!r}", lineno)
    return int(tok)


class _Asm:
    def __init__(self) -> None:
        self.out = bytearray()
        self.consts: dict[str, int | bytes] = {}
        self.labels: dict[str, int] = {}
        self.pending: list[tuple[str, int]] = []  # labels waiting for the next instruction
        self.fixups: list[tuple[int, str, int]] = []  # (position, label, line)

    def place_labels(self, next_op: int | None) -> None:
        if not self.pending:
            return
        if next_op != Op.JUMPDEST:
            self.out.append(Op.JUMPDEST)
            at = len(self.out) - 1
        else:
            at = len(self.out)
        for name, _ in self.pending:
            self.labels[name] = at
        self.pending.clear()

    def line(self, toks: list[str], lineno: int) -> None:
        while toks and toks[0].endswith(":"):
            name = toks.pop(0)[:-1]
            if not _NAME.match(name):
                raise AsmError(f"bad label name {name!r}", lineno)
            if name in self.labels or any(n == name for n, _ in self.pending):
                raise AsmError(f"duplicate label {name}", lineno)
            self.pending.append((name, lineno))
        if not toks:
            return
        head = toks[0]
        if head == ".const":
            self.const(toks, lineno)
        elif head == ".bytes":
            if len(toks) != 2 or not _HEX.match(toks[1]) or len(toks[1]) % 2:
                raise AsmError(".bytes takes one 0xhex operand", lineno)
            self.place_labels(None)
            self.out += bytes.fromhex(toks[1][2:])
        else:
            self.instr(toks, lineno)

    def const(self, toks: list[str], lineno: int) -> None:
        if len(toks) != 3 or not _NAME.match(toks[1]):
            raise AsmError(".const takes a name and a value", lineno)
        name = toks[1]
        if name in self.consts:
            raise AsmError(f"duplicate constant {name}", lineno)
        value = _literal(toks[2], self.consts, lineno)
        if isinstance(value, int) and value > U64_MAX:
            raise AsmError(f"constant {name} over 2**64-1", lineno)
        self.consts[name] = value

    def instr(self, toks: list[str], lineno: int) -> None:
        instr = BY_NAME.get(toks[0].upper())
        if instr is None:
            raise AsmError(f"unknown instruction {toks[0]!r}", lineno)
        op = instr.code
        takes = 1 if instr.imm else 0
        if len(toks) - 1 != takes:
            raise AsmError(f"{instr.name} takes {takes} operand(s)", lineno)
        self.place_labels(op)
        out = self.out
        out.append(op)
        if not takes:
            return
        tok = toks[1]
        if op == Op.PUSH:
            if _HEX.match(tok) or tok.startswith('"'):
                raise AsmError("PUSH takes a decimal int; use PUSHB for bytes", lineno)
            v = _literal(tok, self.consts, lineno)
            if not isinstance(v, int):
                raise AsmError(f"PUSH takes an int; {tok} is bytes (use PUSHB)", lineno)
            if v > U64_MAX:
                raise AsmError(f"{tok} is over 2**64-1", lineno)
            out += v.to_bytes(8, "big")
        elif op == Op.PUSHB:
            if _DEC.match(tok):
                raise AsmError('PUSHB takes bytes: "text" or 0xhex', lineno)
            b = _literal(tok, self.consts, lineno)
            if not isinstance(b, bytes):
                raise AsmError(f"PUSHB takes bytes; {tok} is an int (use PUSH)", lineno)
            if len(b) > 255:
                raise AsmError(f"PUSHB value is {len(b)} bytes, over 255", lineno)
            out.append(len(b))
            out += b
        elif op == Op.JUMP or op == Op.JUMPI:
            if tok.startswith("@"):
                self.fixups.append((len(out), tok[1:], lineno))
                out += b"\0\0"
            elif _DEC.match(tok) and int(tok) <= 0xFFFF:
                out += int(tok).to_bytes(2, "big")
            else:
                raise AsmError(f"{instr.name} takes @label, not {tok!r}", lineno)
        elif op == Op.SYS:
            sid = SYSCALL_BY_NAME.get(tok.upper())
            if sid is None:
                if _DEC.match(tok) and int(tok) in SYSCALLS:
                    sid = int(tok)
                else:
                    raise AsmError(f"unknown system call {tok!r}", lineno)
            out.append(sid)
        else:
            lo = 1 if op in (Op.DUP, Op.SWAP) else 0
            out.append(_small(tok, lineno, lo, instr.name))

    def finish(self) -> bytes:
        self.place_labels(None)
        for pos, name, lineno in self.fixups:
            if name not in self.labels:
                raise AsmError(f"undefined label {name}", lineno)
            target = self.labels[name]
            if target > 0xFFFF:
                raise AsmError(f"label {name} beyond offset 65535", lineno)
            self.out[pos : pos + 2] = target.to_bytes(2, "big")
        if len(self.out) > MAX_CODE:
            raise AsmError(f"code is {len(self.out)} bytes, over the limit of {MAX_CODE}", 0)
        return bytes(self.out)


def assemble(text: str) -> bytes:
    """Bytecode of assembly `text`; AsmError(message, line) on the first mistake."""
    asm = _Asm()
    for lineno, raw in enumerate(text.splitlines(), start=1):
        asm.line(_split(raw, lineno), lineno)
    return asm.finish()


def _render_bytes(b: bytes) -> str:
    if all(0x20 <= c < 0x7F and c not in b'"\\;' for c in b):
        return '"' + b.decode("ascii") + '"'
    return "0x" + b.hex()


def disassemble(code: bytes) -> str:
    """Source for `code` that assembles back to the same bytes (undecodable parts as
    `.bytes`). Every JUMPDEST gets a label `L<offset>`; jumps to one use it."""
    items: list[tuple[int, int, object, int]] = []  # (offset, op, arg, end); op -1: raw
    pc = 0
    while pc < len(code):
        try:
            op, arg, end = decode_one(code, pc)
        except InvalidCode:
            op, arg, end = -1, None, pc + 1
        items.append((pc, op, arg, end))
        pc = end
    dests = {off for off, op, _, _ in items if op == Op.JUMPDEST}
    lines: list[str] = []
    for off, op, arg, end in items:
        if op == -1:
            lines.append(f"    .bytes 0x{code[off:end].hex()}")
            continue
        name = BY_CODE[op].name
        if op == Op.JUMPDEST:
            lines.append(f"L{off}:")
        if arg is None:
            lines.append(f"    {name}")
        elif op == Op.PUSHB:
            assert isinstance(arg, bytes)
            lines.append(f"    {name} {_render_bytes(arg)}")
        elif op in (Op.JUMP, Op.JUMPI):
            lines.append(f"    {name} @L{arg}" if arg in dests else f"    {name} {arg}")
        elif op == Op.SYS:
            assert isinstance(arg, int)
            lines.append(f"    {name} {SYSCALLS[arg][0]}")
        else:
            lines.append(f"    {name} {arg}")
    return "\n".join(lines) + "\n"
