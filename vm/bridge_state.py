"""Records and state keys of the Ethereum bridge (the logic is in vm/bridge.py).

State (vm/tables.py):

    E + b"c"                       -> Config
    E + b"s"                       -> Status
    E + b"k" + validator key(32)   -> bound eth address(20)
    v + nonce(8)                   -> valset [addresses, powers, validator keys]
    w + kind(1) + id(8)            -> outbox message (kind 1 withdrawal, 2 valset, 3 change)
    x + kind(1) + id(8) + addr(20) -> signature(65)
    z + nonce(8) + 0 + key(32)     -> the digest that validator attested
    z + nonce(8) + 1               -> minted deposit record
    z + nonce(8) + 2 + digest(32)  -> the deposit an attested digest stands for
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from primitives import codec, eth
from vm import codes, tables
from vm.accounts import module_account
from vm.context import ExecContext
from vm.errors import ExecutionFailure
from vm.state import StateReader, StateView

MODULE = module_account("bridge")
SUSPENSE = module_account("bridge.suspense")  # deposits whose recipient cannot receive
WINDOW = 256
MAX_TTL = 365 * 86_400
MIN_TTL = 60
MAX_TOKEN_DECIMALS = 36
DEFAULT_SYMBOL = "SCCTN"
DEPOSIT_TAG = b"SCCTN deposit\x00"

KIND_WITHDRAWAL, KIND_VALSET, KIND_CHANGE = 1, 2, 3
KINDS = {"withdrawal": KIND_WITHDRAWAL, "valset": KIND_VALSET, "change": KIND_CHANGE}

CONFIG_KEY = tables.BRIDGE + b"c"
STATUS_KEY = tables.BRIDGE + b"s"
BINDING = tables.BRIDGE + b"k"


def _u64(n: int) -> bytes:
    return n.to_bytes(8, "big")


def u256_bytes(n: int) -> bytes:
    return n.to_bytes(32, "big")


def u256(raw: bytes) -> int:
    return int.from_bytes(raw, "big")


# --- records -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Config:
    eth_chain_id: int
    vault: bytes  # b"" until the vault is deployed
    token_decimals: int
    wrapped_decimals: int
    withdraw_ttl: int
    symbol: str = DEFAULT_SYMBOL

    @property
    def scale(self) -> int:
        return int(10 ** (self.token_decimals - self.wrapped_decimals))

    def to_wire(self) -> list[object]:
        return [getattr(self, f.name) for f in fields(self)]

    @classmethod
    def from_wire(cls, w: object) -> Config:
        f = codec.expect_list(w, 6, what="bridge config")
        return cls(int(f[0]), bytes(f[1]), int(f[2]), int(f[3]), int(f[4]), str(f[5]))


@dataclass(frozen=True, slots=True)
class Status:
    paused: bool = False
    halt_reason: str = ""  # non-empty: minting halted
    halt_nonce: int = 0
    halt_validators: tuple[bytes, ...] = ()
    next_nonce: int = 1  # the next deposit nonce to mint
    next_withdrawal: int = 1
    valset_nonce: int = 0  # the latest recorded valset (0: none yet)
    change_nonce: int = 0  # the latest vault change put in the outbox
    minted: int = 0  # chain units minted (to recipients and to suspense)
    withdrawn: int = 0  # chain units burned by withdrawals
    deposited: int = 0  # token units of the minted deposits (dust included)
    suspended: int = 0  # chain units minted to SUSPENSE
    # nonces of further disagreements found while halted (resume clears them with the first)
    more_halts: tuple[int, ...] = ()

    def to_wire(self) -> list[object]:
        return [
            self.paused,
            self.halt_reason,
            self.halt_nonce,
            list(self.halt_validators),
            self.next_nonce,
            self.next_withdrawal,
            self.valset_nonce,
            self.change_nonce,
            self.minted,
            self.withdrawn,
            u256_bytes(self.deposited),
            self.suspended,
            list(self.more_halts),
        ]

    @classmethod
    def from_wire(cls, w: object) -> Status:
        f = codec.expect_list(w, 13, what="bridge status")
        return cls(
            bool(f[0]),
            str(f[1]),
            int(f[2]),
            tuple(bytes(x) for x in f[3]),
            int(f[4]),
            int(f[5]),
            int(f[6]),
            int(f[7]),
            int(f[8]),
            int(f[9]),
            u256(bytes(f[10])),
            int(f[11]),
            tuple(int(n) for n in f[12]),
        )


@dataclass(frozen=True, slots=True)
class ValsetRecord:
    nonce: int
    addresses: tuple[bytes, ...]
    powers: tuple[int, ...]
    members: tuple[bytes, ...]  # the validators' Ed25519 keys, in the order of addresses

    def message(self) -> eth.Valset:
        return eth.Valset(self.nonce, self.addresses, self.powers)

    @property
    def total_power(self) -> int:
        return sum(self.powers)


@dataclass(frozen=True, slots=True)
class Outbox:
    """One message for the validators to sign: `fields` are the kind's own fields (see
    `message_of`), `valset` the valset nonce it was created (or renewed) under."""

    kind: int
    id: int
    fields: tuple[Any, ...]
    valset: int
    signers: tuple[bytes, ...] = ()  # eth addresses that signed, sorted

    def to_wire(self) -> list[object]:
        return [list(self.fields), self.valset, list(self.signers)]

    @classmethod
    def from_wire(cls, kind: int, oid: int, w: object) -> Outbox:
        f = codec.expect_list(w, 3, what="outbox message")
        return cls(kind, oid, tuple(f[0]), int(f[1]), tuple(bytes(s) for s in f[2]))


@dataclass(frozen=True, slots=True)
class Withdrawal:
    id: int
    owner: bytes
    recipient: bytes
    amount: int  # chain units burned
    token_amount: int  # what the vault pays
    expiry: int  # unix seconds
    renewals: int = 0

    @classmethod
    def of(cls, o: Outbox) -> Withdrawal:
        f = o.fields
        return cls(
            o.id, bytes(f[0]), bytes(f[1]), int(f[2]), u256(bytes(f[3])), int(f[4]), int(f[5])
        )

    def fields_wire(self) -> tuple[Any, ...]:
        return (
            self.owner,
            self.recipient,
            self.amount,
            u256_bytes(self.token_amount),
            self.expiry,
            self.renewals,
        )


@dataclass(frozen=True, slots=True)
class Deposit:
    nonce: int
    eth_tx: bytes
    log_index: int
    amount: int  # token units
    recipient: bytes

    def wire(self) -> list[object]:
        return [self.nonce, self.eth_tx, self.log_index, u256_bytes(self.amount), self.recipient]

    def digest(self) -> bytes:
        return eth.keccak256(DEPOSIT_TAG + codec.encode(self.wire()))

    @classmethod
    def from_wire(cls, w: object) -> Deposit:
        f = codec.expect_list(w, 5, what="deposit")
        return cls(int(f[0]), bytes(f[1]), int(f[2]), u256(bytes(f[3])), bytes(f[4]))


@dataclass(frozen=True, slots=True)
class Minted:
    deposit: Deposit
    digest: bytes
    amount: int  # chain units
    credited: bytes  # the recipient, SUSPENSE, or b"" (too large to mint: nothing minted)
    height: int
    attesters: tuple[bytes, ...] = field(default=())

    def to_wire(self) -> list[object]:
        return [
            self.deposit.wire(),
            self.digest,
            self.amount,
            self.credited,
            self.height,
            list(self.attesters),
        ]

    @classmethod
    def from_wire(cls, w: object) -> Minted:
        f = codec.expect_list(w, 6, what="minted deposit")
        return cls(
            Deposit.from_wire(f[0]),
            bytes(f[1]),
            int(f[2]),
            bytes(f[3]),
            int(f[4]),
            tuple(bytes(a) for a in f[5]),
        )


# --- keys and accessors ----------------------------------------------------------------


def valset_key(nonce: int) -> bytes:
    return tables.BRIDGE_VALSET + _u64(nonce)


def outbox_key(kind: int, oid: int) -> bytes:
    return tables.BRIDGE_OUTBOX + bytes((kind,)) + _u64(oid)


def signature_key(kind: int, oid: int, address: bytes) -> bytes:
    return tables.BRIDGE_SIGNATURE + bytes((kind,)) + _u64(oid) + address


def signature_prefix(kind: int, oid: int) -> bytes:
    return tables.BRIDGE_SIGNATURE + bytes((kind,)) + _u64(oid)


def attestation_key(nonce: int, validator: bytes) -> bytes:
    return tables.BRIDGE_DEPOSIT + _u64(nonce) + b"\x00" + validator


def minted_key(nonce: int) -> bytes:
    return tables.BRIDGE_DEPOSIT + _u64(nonce) + b"\x01"


def content_key(nonce: int, digest: bytes) -> bytes:
    return tables.BRIDGE_DEPOSIT + _u64(nonce) + b"\x02" + digest


def get_config(state: StateReader) -> Config | None:
    raw = state.get(CONFIG_KEY)
    return None if raw is None else Config.from_wire(codec.decode_trusted(raw))


def require_config(state: StateReader) -> Config:
    config = get_config(state)
    if config is None:
        raise ExecutionFailure(
            "the bridge is not configured (bridge.configure)", codes.BRIDGE_NOT_CONFIGURED
        )
    return config


def get_status(state: StateReader) -> Status:
    raw = state.get(STATUS_KEY)
    return Status() if raw is None else Status.from_wire(codec.decode_trusted(raw))


def put_status(state: StateView, status: Status) -> None:
    state.put(STATUS_KEY, codec.encode(status.to_wire()))


def bound_address(state: StateReader, validator_key: bytes) -> bytes | None:
    raw = state.get(BINDING + validator_key)
    return None if raw is None else bytes(codec.decode_trusted(raw))


def get_valset(state: StateReader, nonce: int) -> ValsetRecord | None:
    if nonce <= 0:
        return None
    raw = state.get(valset_key(nonce))
    if raw is None:
        return None
    f = codec.decode_trusted(raw)
    return ValsetRecord(
        nonce,
        tuple(bytes(a) for a in f[0]),
        tuple(int(p) for p in f[1]),
        tuple(bytes(k) for k in f[2]),
    )


def get_outbox(state: StateReader, kind: int, oid: int) -> Outbox | None:
    raw = state.get(outbox_key(kind, oid))
    return None if raw is None else Outbox.from_wire(kind, oid, codec.decode_trusted(raw))


def put_outbox(state: StateView, o: Outbox) -> None:
    state.put(outbox_key(o.kind, o.id), codec.encode(o.to_wire()))


def get_minted(state: StateReader, nonce: int) -> Minted | None:
    raw = state.get(minted_key(nonce))
    return None if raw is None else Minted.from_wire(codec.decode_trusted(raw))


def attested(state: StateReader, nonce: int, validator: bytes) -> bytes | None:
    raw = state.get(attestation_key(nonce, validator))
    return None if raw is None else bytes(codec.decode_trusted(raw))


def deposit_for(state: StateReader, nonce: int, digest: bytes) -> Deposit | None:
    raw = state.get(content_key(nonce, digest))
    return None if raw is None else Deposit.from_wire(codec.decode_trusted(raw))


def quorum(n: int) -> int:
    """Attestations needed among n current validators (as vm/validators.py counts)."""
    return n * 2 // 3 + 1


def now_s(ctx: ExecContext) -> int:
    return ctx.block.time_ms // 1000
