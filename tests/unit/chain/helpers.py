"""Driving a Chain with a real one-validator PBFT replica, synchronously (no trio)."""

from __future__ import annotations

from consensus import Deliver, Ed25519Signer, Ed25519Verifier, Replica, ReplicaConfig
from consensus.base import Digest, ReplicaId, Seq
from genesis.document import GenesisAsset, GenesisBalance, GenesisDoc, GenesisValidator
from primitives.keys import PrivateKey
from scctn_node.chain.chain import Chain, Committed

VALIDATOR = PrivateKey(b"\x01" * 32)
ALICE = PrivateKey(b"\x02" * 32)
BOB = PrivateKey(b"\x03" * 32)


def one_validator_genesis(chain_id: str, alice_points: int) -> GenesisDoc:
    """VALIDATOR validates; ALICE issues PTS and holds `alice_points` of them."""
    return GenesisDoc(
        chain_id=chain_id,
        genesis_time_ms=1,
        validators=(GenesisValidator("v0", VALIDATOR.public.raw),),
        assets=(GenesisAsset("PTS", "Points", 0, 10**12, ALICE.address()),),
        balances=(GenesisBalance(ALICE.address(), "PTS", alice_points),),
    )


def lone_replica(chain: Chain, key: PrivateKey) -> Replica:
    """A fresh replica for a chain at genesis (height 0)."""
    assert chain.height == 0
    config = ReplicaConfig(
        chain_id=chain.chain_id,
        validators=chain.validator_set,
        index=ReplicaId(0),
        checkpoint_interval=4,
        window=16,
        base_timeout=1000,
        max_timeout=8000,
        status_interval=500,
        start_seq=Seq(chain.height),
    )
    replica = Replica(config, Ed25519Signer(key), Ed25519Verifier(), chain.validate)
    replica.start()
    return replica


def produce(chain: Chain, replica: Replica, now_ms: int) -> Committed:
    """Propose the mempool's next block; with one validator it commits at once."""
    block = chain.build_block(now_ms)
    effects = replica.propose(block.encode())
    delivers = [e for e in effects if isinstance(e, Deliver)]
    assert len(delivers) == 1, effects
    d = delivers[0]
    committed = chain.commit(chain.block_for(d.seq, d.payload), d.certificate, d.payload)
    chain.finish(committed)
    replica.on_executed(d.seq, Digest(committed.state_root))
    return committed
