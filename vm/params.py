"""Chain parameters in the state: limits, fees and the gas schedule.

Genesis writes them; governance changes them (`param.set`), effective from the next
transaction. Two state keys:

    G + b"chain" -> [tx_base_gas, block_gas_limit, max_tx_gas, max_block_txs,
                     fee_symbol, gas_price, fee_collector, max_voting_blocks]
    G + b"gas"   -> [[op code, gas per op, gas per list item], ...] sorted by op code

Fees are optional: with `fee_symbol` empty (the default on a consortium network) gas is
metered and limited but costs nothing. With a fee symbol, a transaction pays
`gas_used * gas_price // 1000` of that point type (the price is per thousand gas) to
`fee_collector`, also when it fails.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from primitives import codec
from vm import codes, tables
from vm.accounts import module_account
from vm.errors import ExecutionFailure
from vm.ops.registry import CODE_BY_NAME, DEFAULT_GAS, DEFAULT_TX_BASE_GAS, OP_NAMES, OpCode
from vm.state import StateReader

CHAIN_KEY = tables.PARAMS + b"chain"
GAS_KEY = tables.PARAMS + b"gas"
FEE_COLLECTOR = module_account("fees")


@dataclass(frozen=True, slots=True)
class ChainParams:
    tx_base_gas: int = DEFAULT_TX_BASE_GAS
    block_gas_limit: int = 50_000_000
    max_tx_gas: int = 5_000_000
    max_block_txs: int = 5_000
    fee_symbol: str = ""
    gas_price: int = 0
    fee_collector: bytes = FEE_COLLECTOR
    max_voting_blocks: int = 1_000_000

    def to_wire(self) -> list[object]:
        return [getattr(self, f.name) for f in fields(self)]

    @classmethod
    def from_wire(cls, wire: object) -> ChainParams:
        f = codec.expect_list(wire, len(fields(cls)), what="chain params")
        return cls(*f)

    def to_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["fee_collector"] = self.fee_collector.hex()
        return out


INT_PARAMS = (
    "tx_base_gas",
    "block_gas_limit",
    "max_tx_gas",
    "max_block_txs",
    "gas_price",
    "max_voting_blocks",
)

GasSchedule = dict[int, tuple[int, int]]
DEFAULT_SCHEDULE: GasSchedule = {int(c): g for c, g in DEFAULT_GAS.items()}

_cache: dict[bytes, Any] = {}


def _decoded(raw: bytes, decode: Any) -> Any:
    value = _cache.get(raw)
    if value is None:
        if len(_cache) > 64:
            _cache.clear()
        value = _cache[raw] = decode(codec.decode_trusted(raw))
    return value


def chain_params(state: StateReader) -> ChainParams:
    raw = state.get(CHAIN_KEY)
    if raw is None:
        return ChainParams()
    params: ChainParams = _decoded(raw, ChainParams.from_wire)
    return params


def gas_schedule(state: StateReader) -> GasSchedule:
    raw = state.get(GAS_KEY)
    if raw is None:
        return DEFAULT_SCHEDULE
    return _decoded(raw, lambda w: {int(c): (int(b), int(i)) for c, b, i in w})  # type: ignore[no-any-return]


def encode_chain(params: ChainParams) -> bytes:
    return codec.encode(params.to_wire())


def encode_schedule(schedule: GasSchedule) -> bytes:
    return codec.encode([[c, b, i] for c, (b, i) in sorted(schedule.items())])


def genesis_writes(
    params: ChainParams, gas_overrides: dict[str, tuple[int, int]]
) -> list[tuple[bytes, bytes]]:
    schedule = dict(DEFAULT_SCHEDULE)
    for name, gas in gas_overrides.items():
        schedule[int(CODE_BY_NAME[name])] = gas
    return [(CHAIN_KEY, encode_chain(params)), (GAS_KEY, encode_schedule(schedule))]


def param_names() -> list[str]:
    """Every name `param.set` accepts."""
    names = [*INT_PARAMS, "fee_symbol", "fee_collector"]
    for name in OP_NAMES.values():
        names += [f"gas.{name}", f"gas_item.{name}"]
    return names


def set_param(state: Any, name: str, value: int, text: str) -> None:
    """Apply `param.set`: an integer parameter takes `value`, `fee_symbol` takes `text`
    ("" turns fees off), `fee_collector` takes `text` as 40 hex digits of an address."""
    params = chain_params(state)
    if name in INT_PARAMS:
        if name in ("block_gas_limit", "max_tx_gas", "max_block_txs", "max_voting_blocks") and (
            value <= 0
        ):
            raise ExecutionFailure(f"{name} must be positive", codes.INVALID_PARAM)
        params = replace(params, **{name: value})  # type: ignore[arg-type]
    elif name == "fee_symbol":
        from vm.ledger import get_asset

        if text and get_asset(state, text) is None:
            raise ExecutionFailure(f"no point type {text!r} to take fees in", codes.UNKNOWN_ASSET)
        params = replace(params, fee_symbol=text)
    elif name == "fee_collector":
        try:
            address = bytes.fromhex(text)
        except ValueError:
            address = b""
        if len(address) != 20:
            raise ExecutionFailure(
                "fee_collector takes an address as 40 hex digits", codes.INVALID_PARAM
            )
        params = replace(params, fee_collector=address)
    elif name.startswith(("gas.", "gas_item.")):
        kind, _, op_name = name.partition(".")
        code = CODE_BY_NAME.get(op_name)
        if code is None:
            raise ExecutionFailure(f"no operation {op_name!r}", codes.INVALID_PARAM)
        schedule = dict(gas_schedule(state))
        base, item = schedule.get(int(code), (0, 0))
        schedule[int(code)] = (value, item) if kind == "gas" else (base, value)
        state.put(GAS_KEY, encode_schedule(schedule))
        return
    else:
        raise ExecutionFailure(f"no parameter {name!r}", codes.INVALID_PARAM)
    state.put(CHAIN_KEY, encode_chain(params))


def op_gas(schedule: GasSchedule, op: Any) -> int:
    base, per_item = schedule.get(int(op.CODE), (0, 0))
    return base + (per_item * op.list_items() if per_item else 0)


__all__ = ["ChainParams", "OpCode", "chain_params", "gas_schedule", "op_gas", "set_param"]


def gas_json(state: StateReader) -> dict[str, Any]:
    """The gas schedule as clients read it: base gas and {op name: [per op, per item]}."""
    schedule = gas_schedule(state)
    return {
        "tx_base_gas": chain_params(state).tx_base_gas,
        "schedule": {
            OP_NAMES[OpCode(c)]: [b, i] for c, (b, i) in sorted(schedule.items()) if c in OP_NAMES
        },
    }
