"""Blocks, headers and commit certificates.

Wire forms (canonical msgpack):

    Header = [chain_id, height, prev_hash, time_ms, proposer(pubkey32), txs_root,
              state_root, validator_set_hash]
    Block  = [Header, [SignedTransaction...], last_commit: CommitCertificate | None]

A block is the PBFT payload at sequence number `height`; `last_commit` is the PBFT commit
certificate (2f+1 signed commits, see consensus/certificates.py) of sequence number
height-1: it certifies `batch_digest(encoded block height-1)` (or the null-batch digest
when that height was a null batch). `state_root` in the header of block h is the state
root after block h-1 (agree, then execute).

A block whose proposer is 32 zero bytes is a *filler*: the deterministic empty block
every replica writes at a height where PBFT committed a null batch, or a block that did
not fit the committed chain (see chain.Chain.block_for).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from consensus.certificates import CommitCertificate
from primitives import codec
from primitives.errors import DecodeError
from primitives.hashing import Digest, Tags, digest
from vm.tx import SignedTransaction

MAX_BLOCK_BYTES = 16 * 1024 * 1024
FILLER_PROPOSER = b"\x00" * 32


def merkle_root(leaves: Sequence[bytes]) -> Digest:
    """Binary Merkle root (RFC 6962 shape) over already-hashed leaves, domain-tagged."""
    if not leaves:
        return digest(Tags.TXS_ROOT, b"")
    level = [digest(Tags.TXS_ROOT, b"\x00" + leaf) for leaf in leaves]
    while len(level) > 1:
        nxt = [
            digest(Tags.TXS_ROOT, b"\x01" + level[i] + level[i + 1])
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


@dataclass(frozen=True, slots=True)
class ValidatorInfo:
    name: str
    public_key: bytes
    power: int


def validator_set_hash(validators: Sequence[ValidatorInfo]) -> Digest:
    return digest(Tags.VALIDATOR_SET, codec.encode([[v.public_key, v.power] for v in validators]))


@dataclass(frozen=True, slots=True)
class Header:
    chain_id: str
    height: int
    prev_hash: bytes
    time_ms: int
    proposer: bytes
    txs_root: bytes
    state_root: bytes
    validator_set_hash: bytes

    def to_wire(self) -> list[object]:
        return [
            self.chain_id,
            self.height,
            self.prev_hash,
            self.time_ms,
            self.proposer,
            self.txs_root,
            self.state_root,
            self.validator_set_hash,
        ]

    @classmethod
    def from_wire(cls, wire: object) -> Header:
        f = codec.expect_list(wire, 8, what="header")
        return cls(
            chain_id=codec.expect_str(f[0], max_len=64, what="chain_id"),
            height=codec.expect_int(f[1], what="height"),
            prev_hash=codec.expect_bytes(f[2], 32, what="prev_hash"),
            time_ms=codec.expect_int(f[3], what="time"),
            proposer=codec.expect_bytes(f[4], 32, what="proposer"),
            txs_root=codec.expect_bytes(f[5], 32, what="txs_root"),
            state_root=codec.expect_bytes(f[6], 32, what="state_root"),
            validator_set_hash=codec.expect_bytes(f[7], 32, what="validator_set_hash"),
        )

    def hash(self) -> Digest:
        return digest(Tags.BLOCK_HEADER, codec.encode(self.to_wire()))


@dataclass(frozen=True, slots=True)
class Block:
    header: Header
    txs: tuple[SignedTransaction, ...]
    last_commit: CommitCertificate | None
    _hash: list[Digest] = field(default_factory=list, repr=False, compare=False)

    @property
    def hash(self) -> Digest:
        if not self._hash:
            self._hash.append(self.header.hash())
        return self._hash[0]

    @property
    def height(self) -> int:
        return self.header.height

    def to_wire(self) -> list[object]:
        return [
            self.header.to_wire(),
            [t.to_wire() for t in self.txs],
            None if self.last_commit is None else self.last_commit.to_wire(),
        ]

    def encode(self) -> bytes:
        # the transactions are spliced in as the bytes they already are (canonical arrays
        # concatenate), instead of being re-encoded
        cert = None if self.last_commit is None else self.last_commit.to_wire()
        return b"".join(
            (
                codec.array_header(3),
                codec.encode(self.header.to_wire()),
                codec.array_header(len(self.txs)),
                *(t.raw for t in self.txs),
                codec.encode(cert),
            )
        )

    @classmethod
    def decode(cls, data: bytes) -> Block:
        wire = codec.decode(data, max_size=MAX_BLOCK_BYTES)
        f = codec.expect_list(wire, 3, what="block")
        txs = tuple(SignedTransaction.from_wire(t) for t in codec.expect_seq(f[1], what="txs"))
        return cls(
            Header.from_wire(f[0]),
            txs,
            None if f[2] is None else CommitCertificate.from_wire(f[2]),
        )


def decode_block(data: bytes) -> Block:
    """Block.decode with every failure as DecodeError (VM errors included)."""
    from vm.errors import InvalidTransaction

    try:
        return Block.decode(data)
    except InvalidTransaction as exc:
        raise DecodeError(exc.message) from exc
