"""Blocks, headers and commit certificates.

Wire forms (canonical msgpack):

    Header = [chain_id, height, prev_hash, time_ms, proposer(pubkey32), txs_root,
              state_root, validator_set_hash]
    Block  = [Header, [SignedTransaction...], last_commit: CommitCertificate | None]
    CommitCertificate = [height, block_hash, [[validator_index, signature], ...]]

`state_root` in the header of block h is the state root after block h-1 (agree, then
execute); `last_commit` in block h certifies block h-1. The commit vote a validator signs
is `len(tag) || tag || encode([chain_id, height, block_hash])` with tag
`Tags.COMMIT_VOTE`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from primitives import codec
from primitives.errors import DecodeError
from primitives.hashing import Digest, Tags, digest
from primitives.keys import PrivateKey, verify
from vm.tx import SignedTransaction

MAX_BLOCK_BYTES = 16 * 1024 * 1024


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


def commit_vote_bytes(chain_id: str, height: int, block_hash: bytes) -> bytes:
    tag = Tags.COMMIT_VOTE
    return bytes((len(tag),)) + tag + codec.encode([chain_id, height, block_hash])


@dataclass(frozen=True, slots=True)
class CommitCertificate:
    height: int
    block_hash: bytes
    votes: tuple[tuple[int, bytes], ...]

    def to_wire(self) -> list[object]:
        return [self.height, self.block_hash, [[i, s] for i, s in self.votes]]

    @classmethod
    def from_wire(cls, wire: object) -> CommitCertificate:
        f = codec.expect_list(wire, 3, what="commit certificate")
        votes = []
        for v in codec.expect_seq(f[2], max_len=1024, what="votes"):
            pair = codec.expect_list(v, 2, what="vote")
            votes.append(
                (
                    codec.expect_int(pair[0], 0, 1023, what="validator index"),
                    codec.expect_bytes(pair[1], 64, what="signature"),
                )
            )
        return cls(
            codec.expect_int(f[0], what="height"),
            codec.expect_bytes(f[1], 32, what="block hash"),
            tuple(votes),
        )

    @classmethod
    def sign(
        cls,
        chain_id: str,
        height: int,
        block_hash: bytes,
        signers: Sequence[tuple[int, PrivateKey]],
    ) -> CommitCertificate:
        message = commit_vote_bytes(chain_id, height, block_hash)
        return cls(height, block_hash, tuple((i, k.sign(message)) for i, k in signers))

    def verify(self, chain_id: str, validators: Sequence[ValidatorInfo]) -> bool:
        """True when signatures of more than two thirds of the voting power back it."""
        message = commit_vote_bytes(chain_id, self.height, self.block_hash)
        total = sum(v.power for v in validators)
        seen: set[int] = set()
        power = 0
        for index, sig in self.votes:
            if index in seen or index >= len(validators):
                return False
            seen.add(index)
            if not verify(validators[index].public_key, message, sig):
                return False
            power += validators[index].power
        return power * 3 > total * 2


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
