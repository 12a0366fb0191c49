"""Quorum arithmetic, in one place (Castro-Liskov TOCS 2002, sections 2 and 4.2).

n equally weighted replicas tolerate f = (n - 1) // 3 faults. For n = 3f + 1:
- a commit certificate, a stable checkpoint and a new-view need `commit_quorum(n)` =
  2f + 1 matching signed messages from distinct replicas;
- a prepared certificate needs the primary's pre-prepare plus `prepare_quorum(n)` =
  2f matching prepares from distinct backups (2f + 1 replicas in all);
- `weak_quorum(n)` = f + 1 messages include one from a correct replica (the
  view-change join rule, section 4.5.2).

When n is not of the form 3f + 1 the strong quorum is ceil((n + f + 1) / 2), the
smallest size for which any two quorums share f + 1 replicas (so a correct one),
while n - f correct replicas still form a quorum. For n = 3f + 1 it equals 2f + 1.
"""

from __future__ import annotations

from consensus.errors import ConfigError


def max_faulty(n: int) -> int:
    """Largest number of Byzantine replicas that n replicas tolerate."""
    if n < 1:
        raise ConfigError("a validator set needs at least one validator")
    return (n - 1) // 3


def commit_quorum(n: int) -> int:
    """Matching commits (or checkpoints, or view-changes) that make a certificate."""
    f = max_faulty(n)
    return (n + f + 2) // 2


def prepare_quorum(n: int) -> int:
    """Matching prepares from backups that, with the pre-prepare, make a prepared certificate."""
    return commit_quorum(n) - 1


def weak_quorum(n: int) -> int:
    """Messages that include at least one from a correct replica."""
    return max_faulty(n) + 1
