"""Block production behind the consensus interface.

`BlockProducer` is what the node asks of consensus: given a proposed block, return its
commit certificate once it is committed. `Sequencer` is the one-validator implementation
(the validator's own commit vote is the whole quorum); the multi-validator network plugs
the PBFT engine in behind the same interface.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from primitives.keys import PrivateKey
from scctn_node.chain.block import Block, CommitCertificate, ValidatorInfo
from scctn_node.errors import ConfigError


class BlockProducer(Protocol):
    def is_proposer(self, height: int) -> bool: ...

    def certify(self, block: Block) -> CommitCertificate: ...


class Sequencer:
    def __init__(self, chain_id: str, key: PrivateKey, validators: Sequence[ValidatorInfo]) -> None:
        if len(validators) != 1:
            raise ConfigError(
                f"the sequencer runs a one-validator chain; genesis lists {len(validators)}"
            )
        if validators[0].public_key != key.public.raw:
            raise ConfigError("this node's validator key is not the genesis validator")
        self.chain_id = chain_id
        self.key = key
        self.validators = tuple(validators)

    def is_proposer(self, height: int) -> bool:
        return True

    def certify(self, block: Block) -> CommitCertificate:
        return CommitCertificate.sign(self.chain_id, block.height, block.hash, [(0, self.key)])
