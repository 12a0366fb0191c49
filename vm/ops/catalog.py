"""Decoder table: op code -> operation class, collected from each operation module's
`OPS` tuple. A new module of operations is added to `_MODULES`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from primitives import codec
from primitives.errors import DecodeError
from vm import codes
from vm.errors import InvalidTransaction
from vm.ops import (
    asset,
    bridge,
    card,
    contract,
    coupon,
    custody,
    exchange,
    governance,
    mall,
    mining,
    payments,
    rewards,
    transfer,
    validator,
)
from vm.ops.fields import field_default
from vm.ops.registry import CODE_BY_NAME, OP_NAMES, OpCode, Operation

_MODULES: tuple[Any, ...] = (
    asset,
    transfer,
    validator,
    governance,
    custody,
    rewards,
    coupon,
    card,
    mining,
    contract,
    exchange,
    payments,
    mall,
    bridge,
)

OP_CLASSES: dict[OpCode, Any] = {}
for _module in _MODULES:
    for _cls in _module.OPS:
        assert _cls.CODE not in OP_CLASSES, _cls
        OP_CLASSES[_cls.CODE] = _cls
DECODERS: dict[OpCode, Callable[[list[object]], Operation]] = {
    code: cls.from_args for code, cls in OP_CLASSES.items()
}


def decode_operation(wire: object) -> Operation:
    f = codec.expect_list(wire, what="operation")
    if not f:
        raise DecodeError("operation: empty array")
    code = codec.expect_int(f[0], 0, 2**16, what="op code")
    try:
        decoder = DECODERS[OpCode(code)]
    except (ValueError, KeyError) as exc:
        raise InvalidTransaction(f"unknown operation code {code}", codes.UNKNOWN_OPERATION) from exc
    return decoder(f[1:])


def operation_class(name: str) -> Any:
    code = CODE_BY_NAME.get(name)
    if code is None or code not in OP_CLASSES:
        raise DecodeError(f"no operation {name!r}")
    return OP_CLASSES[code]


def operation_from_json(obj: Any, resolve: Callable[[str], bytes]) -> Operation:
    """An operation from its JSON form `{"op": name, field: value, ...}` (the form the API
    shows); fields with a default may be left out. Raises DecodeError."""
    if not isinstance(obj, dict) or not isinstance(obj.get("op"), str):
        raise DecodeError('an operation is a JSON object with "op" naming it')
    cls = operation_class(obj["op"])
    import dataclasses

    defaults = {f.name: field_default(f) for f in dataclasses.fields(cls)}
    unknown = sorted(set(obj) - set(defaults) - {"op"})
    if unknown:
        raise DecodeError(f"{obj['op']}: unknown field(s) {', '.join(unknown)}")
    values = []
    for name, kind in cls.spec():
        if name in obj:
            try:
                values.append(kind.from_json(obj[name], resolve))
            except DecodeError as exc:
                raise DecodeError(f"{obj['op']}.{name}: {exc.message}") from None
        elif defaults[name] is not dataclasses.MISSING:
            values.append(defaults[name])
        else:
            raise DecodeError(f"{obj['op']}: missing field {name!r}")
    op: Operation = cls(*values)
    return decode_operation(op.to_wire())  # the wire checks apply to JSON input too


__all__ = ["OP_NAMES", "decode_operation", "operation_from_json"]
