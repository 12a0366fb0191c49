"""Random schedules for the simulator and the properties every run must satisfy.

A schedule is a pure function of (seed, n): which replicas are Byzantine and how,
link delays, drop and duplication rates, partitions, crashes with restarts from the
persisted log, when the network becomes stable, and when batches are proposed.

Checked on every run:
- safety: honest replicas agree on the digest at every executed seq; each honest
  replica executed a gap-free prefix; every delivered commit certificate verifies; no
  honest replica ever signed two digests for one (kind, view, seq), across restarts;
- liveness: after `stable_at` (no drops, partitions healed, crashed replicas back),
  every proposed batch is executed by every honest replica within `LIVENESS_BOUND`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from consensus.base import Epoch, ReplicaId
from consensus.certificates import verify_commit_certificate
from consensus.config import ReplicaConfig, ValidatorSet
from consensus.crypto import StubSigner, StubVerifier
from consensus.effects import Deliver
from consensus.errors import InvalidCertificate
from consensus.messages import Commit, Prepare, PrePrepare
from consensus.records import SentRecord
from consensus.simnet import (
    RECONFIGURE,
    Crash,
    Faults,
    HonestNode,
    Links,
    Partition,
    SimNode,
    Simulation,
    SplitMix64,
    sim_keys,
)
from tests.sim.adversary import KINDS, ByzantineNode

CHAIN = "scctn-sim"
BASE_TIMEOUT = 300
MAX_TIMEOUT = BASE_TIMEOUT * 16
LIVENESS_BOUND = 40 * MAX_TIMEOUT


@dataclass
class Schedule:
    seed: int
    n: int
    byzantine: dict[int, str]
    links: Links
    faults: Faults
    proposals: list[tuple[int, bytes]]
    checkpoint_interval: int
    window: int

    def describe(self) -> str:
        return (
            f"seed={self.seed} n={self.n} byzantine={self.byzantine} links={self.links} "
            f"stable_at={self.faults.stable_at} crashes={self.faults.crashes} "
            f"partitions={self.faults.partitions} proposals={len(self.proposals)} "
            f"reconfigure={any(p.startswith(RECONFIGURE) for _, p in self.proposals)}"
        )


@dataclass
class Outcome:
    schedule: Schedule
    violations: list[str] = field(default_factory=list)
    finished_at: int = 0
    messages: int = 0
    transfers: int = 0


def make_schedule(seed: int, n: int, *, proposals: int | None = None) -> Schedule:
    rng = SplitMix64(seed * 1_000_003 + n)
    f = (n - 1) // 3
    order = list(range(n))
    for i in range(n - 1, 0, -1):  # Fisher-Yates with our own generator
        j = rng.below(i + 1)
        order[i], order[j] = order[j], order[i]
    # Usually exactly f Byzantine replicas (of independently drawn kinds, so mixed),
    # sometimes fewer; crashes and partitions come on top of them.
    count = f if rng.below(4) else rng.below(f + 1)
    bad = order[:count]
    byzantine = {i: KINDS[rng.below(len(KINDS))] for i in sorted(bad)}
    honest = [i for i in range(n) if i not in byzantine]
    stable_at = rng.below(4) * 800
    links = Links(
        min_delay=1,
        max_delay=(5, 20, 60)[rng.below(3)],
        drop_ppm=(0, 10_000, 50_000, 200_000)[rng.below(4)],
        dup_ppm=(0, 50_000)[rng.below(2)],
    )
    crashes: list[Crash] = []
    partitions: list[Partition] = []
    if stable_at:
        for victim in honest[: rng.below(min(2, len(honest)) + 1)]:
            at = rng.below(stable_at)
            crashes.append(Crash(victim, at, at + 1 + rng.below(stable_at - at)))
        if rng.below(2) and n > 1:
            size = 1 + rng.below(max(1, n // 2))
            group = frozenset(order[-size:])
            start = rng.below(stable_at)
            partitions.append(Partition(start, start + 1 + rng.below(stable_at - start), group))
    batches = proposals if proposals is not None else (6 if n <= 4 else 4)
    horizon = stable_at + 600
    plan = sorted((rng.below(horizon), b"tx:%d:%d" % (seed, k)) for k in range(batches))
    if rng.below(4) == 0:  # a validator-set change (next epoch) somewhere in the run
        plan = sorted([*plan, (rng.below(horizon), RECONFIGURE + b":%d" % seed)])
    return Schedule(
        seed,
        n,
        byzantine,
        links,
        Faults(stable_at, partitions, crashes),
        plan,
        checkpoint_interval=(2, 4)[rng.below(2)],
        window=8,
    )


def build(schedule: Schedule) -> Simulation:
    keys = sim_keys(schedule.n)
    validators = ValidatorSet(Epoch(0), tuple(keys))
    nodes: list[SimNode] = []
    for i in range(schedule.n):
        config = ReplicaConfig(
            CHAIN,
            validators,
            ReplicaId(i),
            checkpoint_interval=schedule.checkpoint_interval,
            window=schedule.window,
            base_timeout=BASE_TIMEOUT,
            max_timeout=MAX_TIMEOUT,
            status_interval=150,
        )
        signer = StubSigner(keys[i])
        kind = schedule.byzantine.get(i)
        if kind is None:
            nodes.append(HonestNode(config, signer, StubVerifier()))
        else:
            rng = SplitMix64(schedule.seed * 7919 + i)
            nodes.append(ByzantineNode(config, signer, StubVerifier(), kind, rng))
    sim = Simulation(nodes, schedule.seed, links=schedule.links, faults=schedule.faults)
    for at, payload in schedule.proposals:
        sim.propose_at(at, payload)
    return sim


def run(schedule: Schedule) -> Outcome:
    sim = build(schedule)
    outcome = Outcome(schedule)
    keys = tuple(sim_keys(schedule.n))
    verifier = StubVerifier()
    honest = [node for node in sim.nodes if node.honest]
    wanted = {payload for _, payload in schedule.proposals}

    def check_certificate(index: int, effect: Deliver) -> None:
        node = sim.nodes[index]
        if not isinstance(node, HonestNode):
            return
        cert = effect.certificate
        if cert.epoch > node.replica.validators.epoch:
            outcome.violations.append(f"node {index} delivered seq {effect.seq} of a future epoch")
        try:  # reconfiguration keeps the keys, so each epoch's set is known
            verify_commit_certificate(cert, ValidatorSet(cert.epoch, keys), CHAIN, verifier)
        except InvalidCertificate as exc:
            outcome.violations.append(f"node {index} delivered seq {effect.seq}: {exc}")

    def done() -> bool:
        if sim.now < schedule.faults.stable_at or len(sim.proposals) < len(wanted):
            return False
        return all(wanted <= set(node.app.payloads.values()) for node in honest)

    sim.on_deliver = check_certificate
    sim.start()
    deadline = schedule.faults.stable_at + 600 + LIVENESS_BOUND
    sim.run(deadline, done)
    outcome.finished_at = sim.now
    outcome.messages = sim.stats.messages
    outcome.transfers = sim.stats.transfers
    outcome.violations += safety_violations(sim)
    if not done():
        missing = {node.index: len(wanted - set(node.app.payloads.values())) for node in honest}
        outcome.violations.append(f"liveness: batches missing at {missing} by t={sim.now}")
    return outcome


def safety_violations(sim: Simulation) -> list[str]:
    problems: list[str] = []
    honest = [node for node in sim.nodes if node.honest]
    agreed: dict[int, bytes] = {}
    for node in honest:
        problems += [f"node {node.index}: {err}" for err in node.app.errors]
        if sorted(node.app.log) != list(range(1, node.app.executed + 1)):
            problems.append(f"node {node.index}: executed seqs are not gap-free")
        for seq, d in node.app.log.items():
            if agreed.setdefault(seq, d) != d:
                problems.append(f"safety: two digests committed at seq {seq}")
    for node in honest:
        if isinstance(node, HonestNode):
            problems += _equivocations(node)
    return problems


def _equivocations(node: HonestNode) -> list[str]:
    signed: dict[tuple[int, int, int], bytes] = {}
    problems: list[str] = []
    for record in node.records:
        if not isinstance(record, SentRecord):
            continue
        body = record.message.body
        if isinstance(body, (PrePrepare, Prepare, Commit)):
            key = (int(body.KIND), body.view, body.seq)
            if signed.setdefault(key, body.digest) != body.digest:
                problems.append(f"node {node.index} signed two digests for {key}")
    return problems
