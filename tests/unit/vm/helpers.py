"""Small builders for VM tests."""

from __future__ import annotations

from primitives.keys import PrivateKey
from vm import governance
from vm.context import BlockContext
from vm.ops.registry import Operation
from vm.state import EmptyState, StateView
from vm.tx import SignedTransaction, Transaction

CHAIN = "scctn-test"


def key(n: int) -> PrivateKey:
    return PrivateKey(bytes([n]) * 32)


def signed(
    k: PrivateKey,
    nonce: int,
    *ops: Operation,
    gas: int = 1_000_000,
    expiry: int = 10**9,
    chain: str = CHAIN,
) -> SignedTransaction:
    tx = Transaction(chain, k.public.raw, nonce, gas, expiry, "", tuple(ops))
    return tx.sign(k)


def block(height: int = 1) -> BlockContext:
    return BlockContext(CHAIN, height, 1_700_000_000_000 + height)


def founded(*members: tuple[PrivateKey, tuple[str, ...]]) -> StateView:
    """A fresh state whose founding members are `members` with the given roles."""
    state = StateView(EmptyState())
    for i, (k, roles) in enumerate(members):
        governance.add_member(state, k.address(), f"member-{i}")
        mask = 0
        for role in roles:
            mask |= governance.ROLES[role]
        governance.set_roles(state, k.address(), mask)
    state.release()
    return state
