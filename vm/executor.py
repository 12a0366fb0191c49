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
from vm.ops.registry import TX_BASE_GAS, op_gas
from vm.receipt import Receipt
from vm.state import StateView
from vm.tx import SignedTransaction, Transaction


def intrinsic_gas(tx: Transaction) -> int:
    return TX_BASE_GAS + sum(op_gas(op) for op in tx.ops)


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
    ledger.set_nonce(state, sender, nonce + 1)
    state.release()
    ctx = ExecContext(state=state, block=block, sender=sender)
    gas = TX_BASE_GAS
    snapshot = state.snapshot()
    try:
        for op in tx.ops:
            gas += op_gas(op)
            if gas > tx.gas_limit:
                raise ExecutionFailure(
                    f"gas limit {tx.gas_limit} is below the {intrinsic_gas(tx)} this needs",
                    codes.OUT_OF_GAS,
                )
            op.execute(ctx)
    except ExecutionFailure as exc:
        state.rollback(snapshot)
        state.release()
        return Receipt(stx.hash, exc.code, exc.message, min(gas, tx.gas_limit), ())
    state.release()
    return Receipt(stx.hash, codes.OK, "", gas, tuple(ctx.events))


def execute_block(
    state: StateView, txs: Sequence[SignedTransaction], block: BlockContext
) -> list[Receipt]:
    return [execute_transaction(state, stx, block) for stx in txs]
