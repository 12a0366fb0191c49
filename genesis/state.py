"""The state a chain starts from: the genesis assets and balances as state writes."""

from __future__ import annotations

from genesis.document import GenesisDoc
from vm import ledger, validators
from vm.state import EmptyState, StateView


def genesis_state(doc: GenesisDoc) -> list[tuple[bytes, bytes | None]]:
    state = StateView(EmptyState())
    supply = {a.symbol: 0 for a in doc.assets}
    for b in doc.balances:
        ledger.credit(state, b.address, b.symbol, b.amount)
        supply[b.symbol] += b.amount
    for a in doc.assets:
        ledger.put_asset(
            state,
            ledger.AssetRecord(a.symbol, a.name, a.decimals, a.cap, a.issuer, supply[a.symbol]),
        )
    validators.put_validators(
        state, [validators.Member(v.name, v.public_key) for v in doc.validators]
    )
    return state.changes()
