"""A deterministic, seeded network simulator for replicas (no clocks, threads or sockets).

Time is an integer tick. Events (message arrivals, timer expiries, proposals, crashes,
restarts, state transfers) sit in a heap ordered by (time, insertion counter), so a
run is a pure function of its seed and parameters. Links have per-message random
delays (hence reordering), and until `Faults.stable_at` they drop and duplicate
messages and may be cut by partitions; after it the network is synchronous with
bounded delay. Crashed nodes lose volatile state and restart from the records they
persisted, with their application state (which a real node keeps in its database).

`HonestNode` couples a `Replica` with `SimApp`, a hash-chain application. Byzantine
nodes (in tests/sim) implement the same `SimNode` protocol. The randomness is a
SplitMix64 generator seeded per run, so the consensus package never imports `random`.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from consensus.base import Digest, Epoch, ReplicaId, Seq
from consensus.certificates import CheckpointCertificate, CommitCertificate
from consensus.config import ReplicaConfig, ValidatorSet
from consensus.crypto import Signer, StubSigner, StubVerifier, Verifier
from consensus.effects import (
    Broadcast,
    Deliver,
    Effect,
    Persist,
    RequestStateTransfer,
    Send,
    SetTimer,
    TimerId,
)
from consensus.errors import InvalidMessage
from consensus.messages import Signed
from consensus.records import Record
from consensus.replica import Replica
from consensus.wire import decode_message
from primitives.hashing import ZERO_DIGEST, digest

TAG_SIM_STATE = b"scctn/pbft/sim-state/v1"
TAG_SIM_KEY = b"scctn/pbft/sim-key/v1"
_MASK = (1 << 64) - 1
GENESIS_SEQ = Seq(0)


class SplitMix64:
    """Small deterministic PRNG (Steele et al. 2014); integers only."""

    __slots__ = ("_state",)

    def __init__(self, seed: int) -> None:
        self._state = seed & _MASK

    def next(self) -> int:
        self._state = (self._state + 0x9E3779B97F4A7C15) & _MASK
        z = self._state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def below(self, bound: int) -> int:
        return self.next() % bound if bound > 0 else 0

    def between(self, lo: int, hi: int) -> int:
        return lo + self.below(hi - lo + 1)

    def chance(self, per_million: int) -> bool:
        return self.below(1_000_000) < per_million

    def bytes(self, length: int) -> bytes:
        return bytes(self.below(256) for _ in range(length))


def valid_payload(payload: bytes) -> bool:
    """The simulated application's validation rule."""
    return payload.startswith(b"tx:")


RECONFIGURE = b"tx:reconfigure"


class SimApp:
    """A hash-chain application: the state root after seq n commits to batches 1..n.

    A batch starting with `RECONFIGURE` installs the next epoch's validator set (the
    same keys, epoch + 1), as a governance transaction would."""

    def __init__(self, validators: ValidatorSet, start: Seq = GENESIS_SEQ) -> None:
        self.executed = start
        self.validators = validators
        self.scheduled: tuple[Seq, ValidatorSet] | None = None
        self.log: dict[Seq, Digest] = {}
        self.payloads: dict[Seq, bytes | None] = {}
        self.roots: dict[Seq, Digest] = {start: ZERO_DIGEST}
        self.changes: dict[Seq, ValidatorSet] = {}
        # Blocks are stored with their certificates (the node's block store does too).
        self.certificates: dict[Seq, tuple[CommitCertificate, bytes | None]] = {}
        self.errors: list[str] = []

    def execute(
        self, seq: Seq, d: Digest, payload: bytes | None
    ) -> tuple[Digest, ValidatorSet | None]:
        if seq != self.executed + 1:
            self.errors.append(f"executed seq {seq} after {self.executed}")
        # A governance transaction takes effect once, even if a block repeats it.
        repeat = payload in self.payloads.values()
        root = digest(TAG_SIM_STATE, self.roots[self.executed] + d)
        self.executed = seq
        self.log[seq] = d
        self.payloads[seq] = payload
        self.roots[seq] = root
        change = None
        if payload is not None and payload.startswith(RECONFIGURE) and not repeat:
            change = ValidatorSet(Epoch(self.validators.epoch + 1), self.validators.keys)
            self._install(seq, change)
        return root, change

    def _install(self, seq: Seq, change: ValidatorSet) -> None:
        self.validators = change
        self.scheduled = (seq, change)
        self.changes[seq] = change

    def copy_from(self, donor: SimApp, upto: Seq) -> None:
        for seq in range(self.executed + 1, upto + 1):
            s = Seq(seq)
            self.log[s] = donor.log[s]
            self.payloads[s] = donor.payloads[s]
            self.roots[s] = donor.roots[s]
            if s in donor.changes:
                self._install(s, donor.changes[s])
        self.executed = max(self.executed, upto)


class DecodeCache:
    """Decodes each distinct byte string once: a broadcast reaches n-1 replicas as the
    same bytes, and decoding is a pure function, so they may share the result."""

    __slots__ = ("_cache",)

    def __init__(self) -> None:
        self._cache: dict[bytes, Signed[Any] | InvalidMessage] = {}

    def decode(self, data: bytes) -> Signed[Any]:
        hit = self._cache.get(data)
        if hit is None:
            try:
                hit = decode_message(data)
            except InvalidMessage as exc:
                hit = exc
            if len(self._cache) > 20_000:
                self._cache.clear()
            self._cache[data] = hit
        if isinstance(hit, InvalidMessage):
            raise InvalidMessage(hit.message)
        return hit


class SimNode(Protocol):
    index: ReplicaId
    honest: bool
    app: SimApp

    def on_message(self, data: bytes) -> list[Effect]: ...

    def on_timer(self, timer: TimerId) -> list[Effect]: ...

    def propose(self, payload: bytes) -> list[Effect]: ...

    def crash(self) -> None: ...

    def restart(self, proposals: list[bytes]) -> list[Effect]: ...

    def state_transferred(self, seq: Seq) -> list[Effect]: ...


class HonestNode:
    """A correct replica with its application and its durable log."""

    honest = True

    def __init__(self, config: ReplicaConfig, signer: Signer, verifier: Verifier) -> None:
        self.index = config.index
        self.config = config
        self.signer = signer
        self.verifier = verifier
        self.app = SimApp(config.validators, config.start_seq)
        self.records: list[Record] = []
        self.replica = Replica(config, signer, verifier, valid_payload)
        self.invalid = 0
        self.decoder = DecodeCache()

    def on_message(self, data: bytes) -> list[Effect]:
        try:
            return self.replica.on_message(self.decoder.decode(data))
        except InvalidMessage:
            self.invalid += 1
            return []

    def on_timer(self, timer: TimerId) -> list[Effect]:
        return self.replica.on_timer(timer)

    def propose(self, payload: bytes) -> list[Effect]:
        return self.replica.propose(payload)

    def crash(self) -> None:
        pass  # volatile state is dropped at restart

    def restart(self, proposals: list[bytes]) -> list[Effect]:
        self.config = self.replica.config  # a real node reads its epoch from its database
        self.replica = Replica.restore(
            self.config,
            self.signer,
            self.verifier,
            valid_payload,
            list(self.records),
            self.app.executed,
            [self.app.certificates[s] for s in sorted(self.app.certificates)],
        )
        effects = self._reschedule() + self.replica.start()
        delivered = set(self.app.payloads.values())
        for payload in proposals:
            if payload not in delivered:
                effects += self.replica.propose(payload)
        return effects

    def _reschedule(self) -> list[Effect]:
        """Tell the replica about a validator-set change its state holds."""
        if self.app.scheduled is None:
            return []
        return self.replica.schedule_validators(*self.app.scheduled)

    def state_transferred(self, seq: Seq) -> list[Effect]:
        return self._reschedule() + self.replica.on_state_transferred(seq)

    def execute(self, effect: Deliver) -> list[Effect]:
        self.app.certificates[effect.seq] = (effect.certificate, effect.payload)
        root, change = self.app.execute(effect.seq, effect.digest, effect.payload)
        return self.replica.on_executed(effect.seq, root, change)


@dataclass(frozen=True, slots=True)
class Links:
    """Per-link behaviour before the network stabilises (probabilities per million)."""

    min_delay: int = 1
    max_delay: int = 20
    drop_ppm: int = 0
    dup_ppm: int = 0


@dataclass(frozen=True, slots=True)
class Partition:
    """Links between `group` and the other nodes are cut during [start, end)."""

    start: int
    end: int
    group: frozenset[int]


@dataclass(frozen=True, slots=True)
class Crash:
    node: int
    at: int
    restart_at: int


@dataclass
class Faults:
    stable_at: int = 0
    partitions: list[Partition] = field(default_factory=list)
    crashes: list[Crash] = field(default_factory=list)


@dataclass
class Stats:
    messages: int = 0
    bytes: int = 0
    dropped: int = 0
    delivered_batches: int = 0
    transfers: int = 0


# Event kinds, in tie-break order irrelevant (a counter orders equal times).
_MSG, _TIMER, _PROPOSE, _CRASH, _RESTART, _TRANSFER = range(6)


class Simulation:
    """Runs nodes over simulated links; see the module docstring."""

    def __init__(
        self,
        nodes: list[SimNode],
        seed: int,
        *,
        links: Links | None = None,
        faults: Faults | None = None,
        transfer_delay: int = 50,
    ) -> None:
        self.nodes = nodes
        self.rng = SplitMix64(seed)
        self.links = links or Links()
        self.faults = faults or Faults()
        self.transfer_delay = transfer_delay
        self.now = 0
        self.stats = Stats()
        self.proposals: list[bytes] = []
        self.down: set[int] = set()
        self.incarnation = [0] * len(nodes)
        self._events: list[tuple[int, int, int, object]] = []
        self._counter = 0
        self.on_deliver: Callable[[int, Deliver], None] | None = None
        shared = DecodeCache()
        for node in nodes:
            if isinstance(getattr(node, "decoder", None), DecodeCache):
                node.decoder = shared  # type: ignore[attr-defined]
        for crash in self.faults.crashes:
            self._push(crash.at, _CRASH, crash.node)
            self._push(crash.restart_at, _RESTART, crash.node)

    # ---------------------------------------------------------------- scheduling

    def _push(self, at: int, kind: int, item: object) -> None:
        self._counter += 1
        heapq.heappush(self._events, (at, self._counter, kind, item))

    def propose_at(self, at: int, payload: bytes) -> None:
        self._push(at, _PROPOSE, payload)

    def start(self) -> None:
        for node in self.nodes:
            if isinstance(node, HonestNode):
                self.apply(node.index, node.replica.start())

    def cut(self, a: int, b: int, at: int) -> bool:
        for part in self.faults.partitions:
            if part.start <= at < part.end and ((a in part.group) != (b in part.group)):
                return True
        return False

    def transmit(self, src: int, dst: int, data: bytes) -> None:
        """Put one message on the link src -> dst (the only way bytes travel)."""
        self.stats.messages += 1
        self.stats.bytes += len(data)
        unstable = self.now < self.faults.stable_at
        if self.cut(src, dst, self.now) or (unstable and self.rng.chance(self.links.drop_ppm)):
            self.stats.dropped += 1
            return
        copies = 2 if unstable and self.rng.chance(self.links.dup_ppm) else 1
        for _ in range(copies):
            delay = self.rng.between(self.links.min_delay, self.links.max_delay)
            self._push(self.now + delay, _MSG, (dst, data))

    # ---------------------------------------------------------------- effects

    def apply(self, index: int, effects: list[Effect]) -> None:
        """Carry out a node's effects in order (persist happens before sends)."""
        node = self.nodes[index]
        queue = list(effects)
        while queue:
            effect = queue.pop(0)
            if isinstance(effect, Send):
                self.transmit(index, effect.to, effect.data)
            elif isinstance(effect, Broadcast):
                for other in range(len(self.nodes)):
                    if other != index:
                        self.transmit(index, other, effect.data)
            elif isinstance(effect, Persist):
                if isinstance(node, HonestNode):
                    node.records.append(effect.record)
            elif isinstance(effect, Deliver):
                self.stats.delivered_batches += 1
                if self.on_deliver is not None:
                    self.on_deliver(index, effect)
                if isinstance(node, HonestNode):
                    # FIFO: what executing this block returns goes after the effects
                    # already returned (which may hold the next Delivers).
                    queue += node.execute(effect)
            elif isinstance(effect, SetTimer):
                item = (index, self.incarnation[index], effect.timer)
                self._push(self.now + effect.duration, _TIMER, item)
            elif isinstance(effect, RequestStateTransfer):
                item2 = (index, self.incarnation[index], effect.certificate)
                self._push(self.now + self.transfer_delay, _TRANSFER, item2)

    # ---------------------------------------------------------------- running

    def step(self) -> bool:
        if not self._events:
            return False
        at, _, kind, item = heapq.heappop(self._events)
        self.now = at
        if kind == _MSG:
            dst: int
            data: bytes
            dst, data = item  # type: ignore[misc]
            if dst not in self.down:
                self.apply(dst, self.nodes[dst].on_message(data))
        elif kind == _TIMER:
            index: int
            incarnation: int
            timer: TimerId
            index, incarnation, timer = item  # type: ignore[misc]
            if index not in self.down and incarnation == self.incarnation[index]:
                self.apply(index, self.nodes[index].on_timer(timer))
        elif kind == _PROPOSE:
            payload: bytes = item  # type: ignore[assignment]
            self.proposals.append(payload)
            for node in self.nodes:
                if node.index not in self.down:
                    self.apply(node.index, node.propose(payload))
        elif kind == _CRASH:
            self._crash(item)  # type: ignore[arg-type]
        elif kind == _RESTART:
            self._restart(item)  # type: ignore[arg-type]
        else:
            self._transfer(item)  # type: ignore[arg-type]
        return True

    def _crash(self, index: int) -> None:
        self.down.add(index)
        self.incarnation[index] += 1
        self.nodes[index].crash()

    def _restart(self, index: int) -> None:
        if index in self.down:
            self.down.discard(index)
            self.apply(index, self.nodes[index].restart(list(self.proposals)))

    def _transfer(self, item: tuple[int, int, CheckpointCertificate]) -> None:
        index, incarnation, cert = item
        if index in self.down or incarnation != self.incarnation[index]:
            return
        node = self.nodes[index]
        for donor in self.nodes:
            if donor.honest and donor.app.roots.get(cert.seq) == cert.state_root:
                node.app.copy_from(donor.app, cert.seq)
                self.stats.transfers += 1
                self.apply(index, node.state_transferred(cert.seq))
                return
        self._push(self.now + self.transfer_delay, _TRANSFER, item)  # nobody has it yet

    def run(self, until: int, done: Callable[[], bool] | None = None) -> None:
        while self._events and self._events[0][0] <= until:
            self.step()
            if done is not None and done():
                return
        self.now = max(self.now, until)


def sim_keys(n: int) -> list[bytes]:
    """Distinct stand-in public keys for stubbed signatures."""
    return [digest(TAG_SIM_KEY, i.to_bytes(4, "big")) for i in range(n)]


def honest_network(
    n: int,
    seed: int,
    *,
    chain_id: str = "scctn-sim",
    checkpoint_interval: int = 4,
    window: int = 8,
    base_timeout: int = 400,
    status_interval: int = 150,
    links: Links | None = None,
    faults: Faults | None = None,
    signers: list[Signer] | None = None,
    verifier: Verifier | None = None,
) -> Simulation:
    """n honest replicas over simulated links; stub signatures unless signers given."""
    keys = [s.public_key for s in signers] if signers else sim_keys(n)
    validators = ValidatorSet(Epoch(0), tuple(keys))
    nodes: list[SimNode] = []
    for i in range(n):
        config = ReplicaConfig(
            chain_id,
            validators,
            ReplicaId(i),
            checkpoint_interval=checkpoint_interval,
            window=window,
            base_timeout=base_timeout,
            max_timeout=base_timeout * 16,
            status_interval=status_interval,
        )
        signer = signers[i] if signers else StubSigner(keys[i])
        nodes.append(HonestNode(config, signer, verifier or StubVerifier()))
    return Simulation(nodes, seed, links=links, faults=faults)
