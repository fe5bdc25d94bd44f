"""The status of a record: the one set of verdicts every layer uses."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Status(StrEnum):
    """What a person needs to know about one compared quantity, in increasing severity.

    A ``StrEnum``: its members equal their text (``Status.PASS == "pass"``), which is what
    CSV, JSON and HTML show."""

    PASS = "pass"
    KINK = "kink"  # differs only on a non-differentiable point, where any subgradient is valid
    NOT_CHECKED = "not_checked"  # a course function that could not be checked; the message says why
    WARNING = "warning"  # right, but fragile (a stable softmax underflowing at extreme score gaps)
    NOT_IMPLEMENTED = "not_implemented"  # still the course's template stub (returns None, pass, zeros)
    # batch mode: a function the op needs (a backward, or one the other submissions have) is
    # missing; what is there may be right, but the submission is not a pass
    INCOMPLETE = "incomplete"
    FAIL = "fail"
    ERROR = "error"  # the implementation raised, returned the wrong kind of value, timed out, ...

    @property
    def rank(self) -> int:
        return ORDER.index(self)

    @property
    def failing(self) -> bool:
        """Whether the status makes a run exit non-zero."""
        return self in FAILING


ORDER: tuple[Status, ...] = tuple(Status)
FAILING: frozenset[Status] = frozenset({Status.INCOMPLETE, Status.FAIL, Status.ERROR})
STRICT_FAILING: frozenset[Status] = FAILING | {Status.NOT_IMPLEMENTED, Status.WARNING}
"""What makes a run exit non-zero under ``--strict``."""


def worst(statuses: Iterable[str]) -> Status:
    """The most severe of ``statuses`` (``pass`` for none)."""
    return max((Status(s) for s in statuses), key=lambda s: s.rank, default=Status.PASS)


def rank(status: str) -> int:
    """The severity of a status text; -1 for text that is no status (an old run's)."""
    try:
        return Status(status).rank
    except ValueError:
        return -1
