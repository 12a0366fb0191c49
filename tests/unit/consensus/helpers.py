"""Shared fixtures: small validator sets, signed messages and a loopback network."""

from __future__ import annotations

from typing import Any

from consensus.base import Epoch, ReplicaId, Seq, View, batch_digest
from consensus.config import ReplicaConfig, ValidatorSet
from consensus.crypto import Ed25519Signer, Ed25519Verifier, StubSigner, StubVerifier
from consensus.effects import Broadcast, Deliver, Effect, Persist, Send
from consensus.messages import Body, PrePrepare, Signed
from consensus.replica import Replica
from consensus.simnet import sim_keys, valid_payload
from primitives.keys import PrivateKey

CHAIN = "scctn-test"


def validators(n: int, epoch: int = 0) -> ValidatorSet:
    return ValidatorSet(Epoch(epoch), tuple(sim_keys(n)))


def config(n: int, index: int, **kw: Any) -> ReplicaConfig:
    kw.setdefault("checkpoint_interval", 4)
    kw.setdefault("window", 8)
    kw.setdefault("base_timeout", 100)
    kw.setdefault("max_timeout", 800)
    return ReplicaConfig(CHAIN, validators(n), ReplicaId(index), **kw)


def replica(n: int, index: int, **kw: Any) -> Replica:
    cfg = config(n, index, **kw)
    return Replica(cfg, StubSigner(cfg.validators.key(index)), StubVerifier(), valid_payload)


def signed(n: int, sender: int, body: Body, *, chain: str = CHAIN, epoch: int = 0) -> Signed[Any]:
    key = sim_keys(n)[sender]
    unsigned = Signed(chain, Epoch(epoch), ReplicaId(sender), body, b"")
    sig = StubSigner(key).sign(unsigned.signing_bytes())
    return Signed(chain, Epoch(epoch), ReplicaId(sender), body, sig)


def pre_prepare(n: int, view: int, seq: int, payload: bytes) -> Signed[Any]:
    body = PrePrepare(View(view), Seq(seq), batch_digest(payload), payload)
    return signed(n, view % n, body)


def ed25519_set(n: int) -> tuple[ValidatorSet, list[Ed25519Signer]]:
    keys = [PrivateKey(bytes([i + 1]) * 32) for i in range(n)]
    vs = ValidatorSet(Epoch(0), tuple(k.public.raw for k in keys))
    return vs, [Ed25519Signer(k) for k in keys]


def ed25519_verifier() -> Ed25519Verifier:
    return Ed25519Verifier()


def sent(effects: list[Effect]) -> list[Signed[Any]]:
    """Messages that leave the replica, in order."""
    return [e.message for e in effects if isinstance(e, (Send, Broadcast))]


def bodies(effects: list[Effect], kind: type) -> list[Any]:
    return [m.body for m in sent(effects) if isinstance(m.body, kind)]


def delivered(effects: list[Effect]) -> list[Deliver]:
    return [e for e in effects if isinstance(e, Deliver)]


def persisted(effects: list[Effect]) -> list[Persist]:
    return [e for e in effects if isinstance(e, Persist)]


class Loopback:
    """Delivers every message immediately, breadth first, to every replica."""

    def __init__(self, replicas: list[Replica]) -> None:
        self.replicas = replicas
        self.delivered: dict[int, list[Deliver]] = {r.me: [] for r in replicas}
        self.down: set[int] = set()

    def run(self, origin: int, effects: list[Effect]) -> None:
        queue: list[tuple[int, Effect]] = [(origin, e) for e in effects]
        while queue:
            src, effect = queue.pop(0)
            if isinstance(effect, Deliver):
                self.delivered[src].append(effect)
                queue += [
                    (src, e) for e in self.replicas[src].on_executed(effect.seq, b"\x01" * 32)
                ]  # type: ignore[arg-type]
            elif isinstance(effect, Broadcast):
                for r in self.replicas:
                    if r.me != src and r.me not in self.down:
                        queue += [(r.me, e) for e in r.on_message(effect.data)]
            elif isinstance(effect, Send) and effect.to not in self.down:
                queue += [(effect.to, e) for e in self.replicas[effect.to].on_message(effect.data)]
