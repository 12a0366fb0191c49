from __future__ import annotations

import pytest

from consensus.errors import ConfigError
from consensus.quorum import commit_quorum, max_faulty, prepare_quorum, weak_quorum


@pytest.mark.parametrize("n", range(1, 32))
def test_quorums_intersect_in_a_correct_replica_and_are_reachable(n: int) -> None:
    f, q = max_faulty(n), commit_quorum(n)
    assert n >= 3 * f + 1
    assert 2 * q - n >= f + 1  # two quorums share a correct replica
    assert n - f >= q  # the correct replicas alone form a quorum
    assert prepare_quorum(n) == q - 1
    assert weak_quorum(n) == f + 1


@pytest.mark.parametrize("f", range(0, 11))
def test_three_f_plus_one_gives_the_paper_numbers(f: int) -> None:
    n = 3 * f + 1
    assert max_faulty(n) == f
    assert commit_quorum(n) == 2 * f + 1
    assert prepare_quorum(n) == 2 * f


def test_known_values() -> None:
    assert [max_faulty(n) for n in (1, 2, 3, 4, 5, 6, 7, 10)] == [0, 0, 0, 1, 1, 1, 2, 3]
    assert [commit_quorum(n) for n in (1, 2, 3, 4, 5, 6, 7)] == [1, 2, 2, 3, 4, 4, 5]


def test_empty_set_is_refused() -> None:
    with pytest.raises(ConfigError):
        max_faulty(0)
