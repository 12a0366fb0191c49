"""Seeded schedules over the simulated network: safety and liveness on every run.

CI runs `CI_SCHEDULES_N4` + `CI_SCHEDULES_N7` random schedules (see
tests/sim/scenario.py for what varies); `python -m tests.sim.soak` runs more. A seed
that ever failed is pinned below as an explicit schedule, so that it keeps testing the
same situation even if the generator changes.
"""

from __future__ import annotations

import pytest

from consensus.simnet import RECONFIGURE, Crash, Faults, Links, Partition
from tests.sim.adversary import KINDS
from tests.sim.scenario import Schedule, make_schedule, run

CI_SCHEDULES_N4 = 1400
CI_SCHEDULES_N7 = 700
CHUNK = 100


def check(schedules: list[Schedule]) -> None:
    failures = []
    for schedule in schedules:
        outcome = run(schedule)
        if outcome.violations:
            failures.append(f"{schedule.describe()}: {outcome.violations[:3]}")
    assert failures == []


@pytest.mark.parametrize("first", range(0, CI_SCHEDULES_N4, CHUNK))
def test_random_schedules_n4(first: int) -> None:
    check([make_schedule(seed, 4) for seed in range(first, first + CHUNK)])


@pytest.mark.parametrize("first", range(0, CI_SCHEDULES_N7, CHUNK))
def test_random_schedules_n7(first: int) -> None:
    check([make_schedule(seed, 7) for seed in range(first, first + CHUNK)])


def proposals(count: int, at: int = 0, gap: int = 40) -> list[tuple[int, bytes]]:
    return [(at + k * gap, b"tx:fixed:%d" % k) for k in range(count)]


def test_regression_n7_seed4_replicas_split_across_two_view_changes() -> None:
    """Found at seed 4: lossy links left three honest replicas waiting in view 1 and two
    in view 2, neither with 2f+1 view-changes nor f+1 to join; the new-view timer now
    counts view-changes for later views too."""
    schedule = Schedule(
        seed=4,
        n=7,
        byzantine={0: "fabricate", 5: "silent"},
        links=Links(min_delay=1, max_delay=5, drop_ppm=200_000, dup_ppm=50_000),
        faults=Faults(
            2400,
            [Partition(281, 553, frozenset({1, 3, 6}))],
            [Crash(1, 529, 2160), Crash(2, 345, 1711)],
        ),
        proposals=make_schedule(4, 7).proposals,
        checkpoint_interval=make_schedule(4, 7).checkpoint_interval,
        window=8,
    )
    check([schedule])


def test_regression_n7_seed10472_lost_checkpoints_at_an_epoch_boundary() -> None:
    """Found by the soak at seed 10472: checkpoint votes for the epoch boundary were lost
    in a partition; no seq past the boundary may be ordered, so the low watermark never
    moved and nothing committed again. Replicas now resend their checkpoint votes in
    answer to STATUS."""
    generated = make_schedule(10472, 7)
    schedule = Schedule(
        seed=10472,
        n=7,
        byzantine={2: "fabricate", 4: "fabricate"},
        links=Links(min_delay=1, max_delay=20),
        faults=Faults(800, [Partition(282, 629, frozenset({0, 3, 5}))], [Crash(0, 366, 464)]),
        proposals=generated.proposals,
        checkpoint_interval=generated.checkpoint_interval,
        window=8,
    )
    assert any(p.startswith(RECONFIGURE) for _, p in schedule.proposals)
    check([schedule])


def test_regression_n7_seed10952_pre_prepares_overtaking_the_new_view() -> None:
    """Found by the soak at seed 10952: with link delays up to 60 ticks, a new primary's
    first pre-prepares often reached backups before its new-view and were dropped;
    with two silent replicas every honest vote is needed, so each new view stalled and
    timed out. Pre-prepares for a view not yet entered are now kept until it is."""
    schedule = Schedule(
        seed=10952,
        n=7,
        byzantine={3: "silent", 4: "silent"},
        links=Links(min_delay=1, max_delay=60, drop_ppm=200_000),
        faults=Faults(
            1600,
            [Partition(858, 1262, frozenset({1, 5, 6}))],
            [Crash(0, 164, 1509), Crash(1, 835, 961)],
        ),
        proposals=make_schedule(10952, 7).proposals,
        checkpoint_interval=make_schedule(10952, 7).checkpoint_interval,
        window=8,
    )
    check([schedule])


def test_new_primary_pre_prepares_arriving_before_its_new_view_are_kept() -> None:
    """n = 4 with one silent replica and slow links: same mechanism, smaller network."""
    schedule = Schedule(
        seed=3,
        n=4,
        byzantine={0: "silent"},
        links=Links(1, 60),
        faults=Faults(0),
        proposals=proposals(10, gap=20),
        checkpoint_interval=2,
        window=8,
    )
    check([schedule])


def test_regression_n4_seed71519_final_checkpoint_lost_in_a_restart() -> None:
    """Found by the soak at seed 71519: the honest replicas that had switched epochs
    crashed and restarted, forgot the old epoch's final checkpoint, and so could not
    help the replica left behind; with one Byzantine replica the new epoch needed it.
    The final checkpoint of each epoch left is now persisted (EpochRecord)."""
    generated = make_schedule(71519, 4)
    schedule = Schedule(
        seed=71519,
        n=4,
        byzantine={1: "fabricate"},
        links=Links(min_delay=1, max_delay=20, drop_ppm=50_000, dup_ppm=50_000),
        faults=Faults(2400, [], [Crash(0, 648, 1906), Crash(2, 874, 1775)]),
        proposals=generated.proposals,
        checkpoint_interval=generated.checkpoint_interval,
        window=8,
    )
    assert any(p.startswith(RECONFIGURE) for _, p in schedule.proposals)
    check([schedule])


def test_replica_two_epochs_behind_catches_up() -> None:
    """Two validator-set changes while replica 3 is down: on restart it must step
    through both epochs (final checkpoint of each, state transfer, switch)."""
    plan = proposals(16, gap=150) + [(200, RECONFIGURE + b":a"), (1300, RECONFIGURE + b":b")]
    schedule = Schedule(
        seed=21,
        n=4,
        byzantine={},
        links=Links(1, 10),
        faults=Faults(2600, [], [Crash(3, 100, 2500)]),
        proposals=sorted(plan),
        checkpoint_interval=2,
        window=4,
    )
    outcome = run(schedule)
    assert outcome.violations == []
    assert outcome.transfers >= 2


def test_regression_n4_seed303050_restarted_replicas_serve_stored_blocks() -> None:
    """Found by the soak at seed 303050: two replicas restarted right after executing
    seqs 11-13 and could no longer send their commit certificates to the third, which
    had missed seq 12; with the fourth silent, checkpoint 12 could never become stable.
    `Replica.restore` now takes the application's stored blocks and certificates."""
    generated = make_schedule(303050, 4)
    schedule = Schedule(
        seed=303050,
        n=4,
        byzantine={3: "silent"},
        links=Links(min_delay=1, max_delay=5, drop_ppm=10_000),
        faults=Faults(
            800, [Partition(472, 486, frozenset({1, 2}))], [Crash(0, 774, 780), Crash(1, 772, 773)]
        ),
        proposals=generated.proposals,
        checkpoint_interval=generated.checkpoint_interval,
        window=8,
    )
    check([schedule])


@pytest.mark.parametrize(("seed", "n"), [(503254, 7), (704926, 4)])
def test_regression_deliveries_are_executed_in_order(seed: int, n: int) -> None:
    """Found by the soak (seeds 503254, 704926): the simulator's driver carried out the
    effects of `on_executed` before the rest of the list it was working through, so a
    Deliver the engine returned later (seq 9, unlocked by the checkpoint at 4) was
    executed before earlier ones (5-8). Drivers must keep effects in FIFO order."""
    check([make_schedule(seed, n)])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [4, 7])
def test_byzantine_primary_of_each_kind(kind: str, n: int) -> None:
    byzantine = {0: kind} if n == 4 else {0: kind, 1: KINDS[(KINDS.index(kind) + 1) % len(KINDS)]}
    schedule = Schedule(
        seed=11,
        n=n,
        byzantine=byzantine,
        links=Links(1, 20),
        faults=Faults(0),
        proposals=proposals(12),
        checkpoint_interval=2,
        window=8,
    )
    check([schedule])


def test_every_replica_crashes_and_restarts_from_its_log() -> None:
    crashes = [Crash(i, 300 + 37 * i, 900 + 11 * i) for i in range(4)]
    schedule = Schedule(
        seed=5,
        n=4,
        byzantine={},
        links=Links(1, 20, drop_ppm=50_000),
        faults=Faults(1200, [], crashes),
        proposals=proposals(20, gap=30),
        checkpoint_interval=2,
        window=4,
    )
    check([schedule])


def test_long_partition_of_a_replica_forces_state_transfer() -> None:
    schedule = Schedule(
        seed=9,
        n=4,
        byzantine={},
        links=Links(1, 10),
        faults=Faults(3000, [Partition(0, 3000, frozenset({3}))], []),
        proposals=proposals(30, gap=50),
        checkpoint_interval=2,
        window=4,
    )
    outcome = run(schedule)
    assert outcome.violations == []
    assert outcome.transfers >= 1


def test_schedules_are_deterministic() -> None:
    first = run(make_schedule(123, 4))
    second = run(make_schedule(123, 4))
    assert (first.finished_at, first.messages) == (second.finished_at, second.messages)
