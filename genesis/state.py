"""The state a chain starts from: members and roles, parameters, point types and balances,
and the validator set, as state writes."""

from __future__ import annotations

from genesis.document import GenesisDoc, GenesisError
from vm import bridge, governance, ledger, params, validators
from vm.context import BlockContext, ExecContext
from vm.errors import ExecutionFailure
from vm.state import EmptyState, StateView


def genesis_state(doc: GenesisDoc) -> list[tuple[bytes, bytes | None]]:
    state = StateView(EmptyState())
    p = doc.params
    chain = params.ChainParams(
        tx_base_gas=p.tx_base_gas,
        block_gas_limit=p.block_gas_limit,
        max_tx_gas=p.max_tx_gas,
        max_block_txs=p.max_block_txs,
        fee_symbol=p.fee_symbol,
        gas_price=p.gas_price,
        max_voting_blocks=p.max_voting_blocks,
    )
    for key, value in params.genesis_writes(chain, {n: (b, i) for n, b, i in p.gas}):
        state.put(key, value)
    for m in doc.members:
        governance.add_member(state, m.address, m.name)
        mask = 0
        for role in m.roles:
            mask |= governance.ROLES[role]
        governance.set_roles(state, m.address, mask)
    for a in doc.assets:  # an asset's issuer holds the issuer role
        governance.set_roles(
            state, a.issuer, governance.roles_of(state, a.issuer) | governance.ROLES["issuer"]
        )
        ledger.put_asset(
            state,
            ledger.PointType(
                a.symbol,
                a.name,
                a.decimals,
                a.cap,
                a.issuer,
                flags=ledger.parse_rules(a.rules),
                expiry_blocks=a.expiry_blocks,
                spend_order=ledger.SPEND_ORDERS[a.spend_order],
                currency=a.currency,
                unit_value=a.unit_value,
            ),
        )
    # genesis grants are issued at height 0 (lots of an expiring type expire at N)
    ctx = ExecContext(
        state=state, block=BlockContext(doc.chain_id, 0, doc.genesis_time_ms), sender=b""
    )
    for i, b in enumerate(doc.balances):
        try:
            ledger.issue(ctx, b.symbol, b.address, b.amount, event="")
        except ExecutionFailure as exc:  # e.g. a holder of a require_auth type
            raise GenesisError(f"genesis.balances[{i}]: {exc.message}") from exc
    validators.put_validators(
        state, [validators.Member(v.name, v.public_key) for v in doc.validators]
    )
    if doc.bridge is not None:
        _bridge_state(doc, ctx)
    return state.changes()


def _bridge_state(doc: GenesisDoc, ctx: ExecContext) -> None:
    """The bridge's configuration, point type, key bindings and valset 1."""
    b = doc.bridge
    assert b is not None
    try:
        bridge.configure(ctx, b.config())
        for k in b.validators:
            bridge.bind(ctx.state, doc.chain_id, k.public_key, k.eth_address, k.proof)
        bridge.record_valset(ctx.state)
    except ExecutionFailure as exc:
        raise GenesisError(f"genesis.bridge: {exc.message}") from exc
