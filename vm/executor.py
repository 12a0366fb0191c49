"""Executing transactions and blocks.

Theory of operation: a block's transactions run in order against one `StateView`. For
each transaction the executor checks the envelope against the state (chain, expiry,
nonce), consumes the nonce, then charges gas and runs the operations all or nothing: on
any `ExecutionFailure` (or running out of gas) every write of the operations is rolled
back, the nonce stays consumed, and the receipt records the error code. A transaction
whose envelope does not fit the state (wrong nonce, expired) is skipped with a receipt
too, so a block's receipts line up with its transactions one to one.

Signatures are checked before execution (mempool admission, or block validation for
blocks from other proposers): the executor trusts the transactions it is given.
"""

from __future__ import annotations

from collections.abc import Sequence

from vm import codes, ledger
from vm.context import BlockContext, ExecContext
from vm.errors import ExecutionFailure
from vm.params import DEFAULT_SCHEDULE, ChainParams, GasSchedule, chain_params, gas_schedule, op_gas
from vm.receipt import Receipt
from vm.state import StateReader, StateView
from vm.tx import SignedTransaction, Transaction


def intrinsic_gas(
    tx: Transaction, schedule: GasSchedule = DEFAULT_SCHEDULE, base: int | None = None
) -> int:
    """Gas a transaction needs under a schedule (default: the genesis default)."""
    tx_base = ChainParams().tx_base_gas if base is None else base
    # an operation that may use more than its schedule entry (a contract call's budget, an
    # order's matching) needs a limit that covers its worst case
    return tx_base + sum(op_gas(schedule, op) + op.extra_gas() for op in tx.ops)


def required_gas(state: StateReader, tx: Transaction) -> int:
    """Gas a transaction needs under the chain's current schedule."""
    return intrinsic_gas(tx, gas_schedule(state), chain_params(state).tx_base_gas)


def _envelope_failure(tx: Transaction, block: BlockContext, nonce: int) -> tuple[str, str] | None:
    if tx.chain_id != block.chain_id:
        return codes.WRONG_CHAIN, f"transaction is for chain {tx.chain_id!r}"
    if tx.expiry_height < block.height:
        return codes.EXPIRED, f"transaction expired at height {tx.expiry_height}"
    if tx.nonce != nonce:
        return codes.BAD_NONCE, f"nonce {tx.nonce} does not match the account nonce {nonce}"
    return None


def execute_transaction(state: StateView, stx: SignedTransaction, block: BlockContext) -> Receipt:
    tx = stx.tx
    sender = tx.sender_address
    nonce = ledger.get_nonce(state, sender)
    failure = _envelope_failure(tx, block, nonce)
    if failure is not None:
        return Receipt(stx.hash, failure[0], failure[1], 0, ())
    params = chain_params(state)
    ledger.set_nonce(state, sender, nonce + 1)
    state.release()
    ctx = ExecContext(state=state, block=block, sender=sender, gas_limit=tx.gas_limit)
    if params.fee_symbol and params.gas_price:
        max_fee = tx.gas_limit * params.gas_price // 1000
        if ledger.get_balance(state, sender, params.fee_symbol, block.height) < max_fee:
            return Receipt(
                stx.hash,
                codes.INSUFFICIENT_FEE,
                f"the fee for gas limit {tx.gas_limit} needs {max_fee} {params.fee_symbol}",
                0,
                (),
            )
    schedule = gas_schedule(state)
    ctx.gas_used = params.tx_base_gas
    snapshot = state.snapshot()
    code, message = codes.OK, ""
    try:
        if tx.gas_limit > params.max_tx_gas:
            raise ExecutionFailure(
                f"gas limit {tx.gas_limit} exceeds the maximum {params.max_tx_gas}",
                codes.GAS_LIMIT_TOO_HIGH,
            )
        for op in tx.ops:
            ctx.gas_used += op_gas(schedule, op)
            if ctx.gas_used > tx.gas_limit:
                needed = intrinsic_gas(tx, schedule, params.tx_base_gas)
                raise ExecutionFailure(
                    f"gas limit {tx.gas_limit} is below the {needed} this needs",
                    codes.OUT_OF_GAS,
                )
            op.execute(ctx)  # a contract call adds the gas it ran on to ctx.gas_used
    except ExecutionFailure as exc:
        state.rollback(snapshot)
        ctx.events.clear()
        code, message = exc.code, exc.message
    gas = min(ctx.gas_used, tx.gas_limit)
    if params.fee_symbol and params.gas_price:
        try:
            _charge_fee(ctx, params, gas)
        except ExecutionFailure:  # the operations spent what the fee needs: undo them
            state.rollback(snapshot)
            ctx.events.clear()
            code, message = codes.INSUFFICIENT_FEE, "the operations left too little for the fee"
            _charge_fee(ctx, params, gas)  # the balance before them covered the maximum fee
    state.release()
    return Receipt(stx.hash, code, message, gas, tuple(ctx.events))


def _charge_fee(ctx: ExecContext, params: ChainParams, gas: int) -> None:
    fee = gas * params.gas_price // 1000
    if fee:
        asset = ledger.require_asset(ctx.state, params.fee_symbol)
        lots = ledger.take_lots(ctx, asset, ctx.sender, fee)
        ledger.put_lots(ctx, asset, params.fee_collector, lots)
        ctx.emit("fee", params.fee_symbol, ctx.sender, fee)


def begin_block(state: StateView, block: BlockContext) -> None:
    """Work due at the start of a block, independent of its transactions: booking the
    points that expire at this height (vm/ledger.py)."""
    ledger.book_expiry(state, block.height)
    state.release()


def execute_block(
    state: StateView, txs: Sequence[SignedTransaction], block: BlockContext
) -> list[Receipt]:
    begin_block(state, block)
    return [execute_transaction(state, stx, block) for stx in txs]
