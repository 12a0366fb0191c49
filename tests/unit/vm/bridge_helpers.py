"""A 4-validator chain with the bridge configured, for the bridge tests: validators that
are also the alliance's members, secp256k1 bridge keys, deposits and signatures."""

from __future__ import annotations

from dataclasses import dataclass

from primitives import eth
from primitives.keys import PrivateKey
from tests.unit.vm.gov_helpers import T0, Chain
from tests.unit.vm.helpers import key
from vm import bridge, bridge_state, governance, validators
from vm.context import BlockContext, ExecContext
from vm.errors import ExecutionFailure
from vm.ops.bridge import BridgeAttest, BridgeConfigure, BridgeRegisterKey, BridgeSign
from vm.ops.registry import Operation
from vm.receipt import Receipt

CHAIN = "scctn-test"
ETH_CHAIN = 31337
VAULT = bytes.fromhex("5fbdb2315678afecb367f032d93f642f64180aa3")
T0_S = T0 // 1000
TTL = 3_600
V = [key(10 + i) for i in range(4)]  # validators (and members)
EK = [bytes([0x40 + i]) * 32 for i in range(6)]  # bridge keys
ALICE, BOB = key(30), key(31)


def eth_address(i: int) -> bytes:
    return eth.address_of_private_key(EK[i])


def proof(v: PrivateKey, ek: bytes, chain: str = CHAIN) -> bytes:
    address = eth.address_of_private_key(ek)
    return eth.sign(ek, eth.key_binding_digest(chain, v.public.raw, address))


def deposit_op(nonce: int, amount: int, recipient: bytes, *, tx: bytes = b"") -> BridgeAttest:
    return BridgeAttest(
        nonce,
        tx or nonce.to_bytes(32, "big"),
        nonce % 7,
        amount.to_bytes(32, "big"),
        recipient,
    )


@dataclass
class Bridge:
    chain: Chain

    @property
    def state(self):  # type: ignore[no-untyped-def]
        return self.chain.state

    def run(self, k: PrivateKey, *ops: Operation) -> Receipt:
        return self.chain.run(k, *ops)

    def ok(self, k: PrivateKey, *ops: Operation) -> Receipt:
        return self.chain.ok(k, *ops)

    def fails(self, k: PrivateKey, op: Operation, code: str) -> Receipt:
        r = self.chain.run(k, op)
        assert r.code == code, (r.code, r.message)
        return r

    def gov(self, op: Operation) -> ExecContext:
        """Run `op` as governance (what a passed proposal does)."""
        ctx = ExecContext(
            state=self.state,
            block=BlockContext(CHAIN, self.chain.height, self.chain.time_ms),
            sender=governance.GOVERNANCE,
        )
        op.execute(ctx)
        self.state.release()
        return ctx

    def gov_fails(self, op: Operation, code: str) -> None:
        mark = self.state.snapshot()
        try:
            self.gov(op)
        except ExecutionFailure as exc:
            assert exc.code == code, (exc.code, exc.message)
            self.state.rollback(mark)
            return
        raise AssertionError(f"expected {code}")

    def attest_all(self, nonce: int, amount: int, recipient: bytes, who: range | list[int]) -> None:
        for i in who:
            self.ok(V[i], deposit_op(nonce, amount, recipient))

    def status(self) -> bridge_state.Status:
        return bridge_state.get_status(self.state)

    def balance(self, account: bytes) -> int:
        return self.chain.balance(account, "SCCTN")

    def digest(self, kind: int, oid: int) -> bytes:
        o = bridge_state.get_outbox(self.state, kind, oid)
        assert o is not None
        d = bridge.digest_of(self.state, o)
        assert d is not None
        return d

    def sign(self, i: int, kind: int, oid: int, sender: PrivateKey | None = None) -> Receipt:
        sig = eth.sign(EK[i], self.digest(kind, oid))
        return self.run(sender or V[i % 4], BridgeSign(kind, oid, sig))


def make_bridge(
    *, keys: int = 4, token_decimals: int = 18, wrapped_decimals: int = 8, vault: bytes = VAULT
) -> Bridge:
    """Members V[0..3] (also the validators), ALICE and BOB; the bridge configured and the
    first `keys` validators' bridge keys registered (valset 1 holds them all when every
    key is registered in one go; each registration records a valset)."""
    c = Chain(*((v, ()) for v in V), (ALICE, ()), (BOB, ())).at(5)
    validators.put_validators(
        c.state, [validators.Member(f"v{i}", v.public.raw) for i, v in enumerate(V)]
    )
    c.state.release()
    b = Bridge(c)
    b.gov(BridgeConfigure(ETH_CHAIN, vault, token_decimals, wrapped_decimals, TTL))
    for i in range(keys):
        b.ok(V[i], BridgeRegisterKey(eth_address(i), proof(V[i], EK[i])))
    return b
