"""A small chain for contract tests: a state with an issuer, a point type, and helpers to
deploy and call contracts through vm.executor.execute_transaction."""

from __future__ import annotations

from primitives.keys import PrivateKey
from scctn_node.bench.contract_calls import COUNTER
from tests.unit.vm.helpers import block, founded, key, signed
from vm import codes, ledger
from vm.contracts import asm
from vm.contracts import ledger_host as lh
from vm.executor import execute_transaction
from vm.ops.asset import AssetCreate, AssetIssue
from vm.ops.contract import ContractCall, ContractDelegate, ContractDeploy
from vm.ops.registry import Operation
from vm.ops.transfer import Transfer
from vm.receipt import Receipt

ALICE, BOB, CAROL = key(1), key(2), key(3)  # ALICE issues PTS
# COUNTER: add arg 0 to the counter at key 1; emit and return the new value


PAYER = """
; store 7 at key 9, pay arg 1 PTS to arg 0; revert if arg 2 != 0
    PUSH 7
    PUSH 9
    SSTORE
    PUSHB "PTS"
    PUSH 0
    ARG
    PUSH 1
    ARG
    SYS TRANSFER
    PUSH 2
    ARG
    JUMPI @bad
    STOP
bad:
    PUSHB "refused"
    REVERT
"""

ISSUER = """
; issue arg 1 PTS to arg 0 under the issuer's delegation
    PUSHB "PTS"
    PUSH 0
    ARG
    PUSH 1
    ARG
    SYS ISSUE
    STOP
"""

BURNER = """
; burn arg 0 PTS the contract holds; return its balance after
    PUSHB "PTS"
    PUSH 0
    ARG
    SYS BURN
    SYS SELF
    PUSHB "PTS"
    SYS BALANCE
    RETURN 1
"""

RECURSE = """
; call itself with no arguments, forever (stopped by the call depth bound)
    SYS SELF
    PUSH 0
    SYS CALL
    STOP
"""

FORWARD = """
; call the contract at arg 0 with arg 1; return what it returned (one value)
    PUSH 0
    ARG
    PUSH 1
    ARG
    PUSH 1
    SYS CALL
    POP
    RETURN 1
"""

WHO = """
; return the caller
    SYS CALLER
    RETURN 1
"""

LOOP = """
top:
    JUMP @top
"""


class Chain:
    def __init__(self, cap: int = 10**9) -> None:
        self.state = founded((ALICE, ("issuer",)), (BOB, ()), (CAROL, ("issuer",)))
        self.nonces: dict[bytes, int] = {}
        self.height = 1
        self.receipts: list[Receipt] = []
        self.ok(ALICE, AssetCreate("PTS", "Points", 0, cap))
        self.ok(ALICE, AssetIssue("PTS", ALICE.address(), 1_000))

    def nonce(self, k: PrivateKey) -> int:
        return self.nonces.get(k.address(), 0)

    def run(self, k: PrivateKey, *ops: Operation, gas: int = 1_000_000) -> Receipt:
        n = self.nonce(k)
        self.nonces[k.address()] = n + 1
        r = execute_transaction(self.state, signed(k, n, *ops, gas=gas), block(self.height))
        self.receipts.append(r)
        return r

    def ok(self, k: PrivateKey, *ops: Operation, gas: int = 1_000_000) -> Receipt:
        r = self.run(k, *ops, gas=gas)
        assert r.code == codes.OK, (r.code, r.message)
        return r

    def deploy(self, k: PrivateKey, source: str, salt: bytes = b"") -> bytes:
        r = self.ok(k, ContractDeploy(asm.assemble(source), salt))
        (event,) = [e for e in r.events if e.kind == "contract.deployed"]
        address = event.fields[0]
        assert isinstance(address, bytes)
        return address

    def call(
        self, k: PrivateKey, address: bytes, *args: int | bytes, budget: int = 200_000
    ) -> Receipt:
        return self.run(k, ContractCall(address, tuple(args), budget))

    def balance(self, account: bytes) -> int:
        return ledger.get_balance(self.state, account, "PTS", self.height)

    def storage(self, address: bytes, k: int | bytes) -> int | bytes:
        return lh.sload(self.state, address, k)


def scenario() -> Chain:
    """The deploys and calls the determinism test runs in two processes."""
    c = Chain()
    counter = c.deploy(ALICE, COUNTER)
    payer = c.deploy(ALICE, PAYER, b"\x01")
    issuer = c.deploy(CAROL, ISSUER)
    forward = c.deploy(BOB, FORWARD)
    c.ok(ALICE, Transfer("PTS", payer, 300))
    c.ok(ALICE, ContractDelegate("PTS", issuer, 500, True))
    for i in range(1, 6):
        c.height += 1
        c.call(BOB, counter, i)
        c.call(BOB, payer, CAROL.address(), 10 * i, i % 2)
        c.call(CAROL, issuer, BOB.address(), 40 * i)
        c.call(CAROL, forward, counter, 100 + i)
    c.call(BOB, c.deploy(BOB, LOOP), budget=5_000)
    return c
