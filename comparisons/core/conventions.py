"""Conventions: the ways one op was legitimately defined in different course editions.

A course changes between editions (CS231n 2016-2017 dropout's ``p`` is the probability of
DROPPING a unit, 2018 on of keeping it; the 2016 linear classifiers regularize with
``0.5 * reg * sum(W^2)``, later ones with ``reg * sum(W^2)``; the 2017 template starts Adam's
``t`` at 1). Each is data next to its op: a ``Convention`` names it, lists the editions that
used it, and says how the expected values differ, either by showing the reference another
view of the same sample (``view``: dropout's ``p`` as ``1 - p``, ``reg`` as ``reg / 2``) or
by another reference altogether (``reference``).

The engine checks the op's default convention first and tries the alternatives only when it
fails: code that follows an alternative passes and its records name it. With an edition
pinned (``--edition``) the edition's own convention is expected, and code that follows
another fails with a diagnosis naming the convention it follows. ``lookalike`` conventions
are known bugs instead (Adam without bias correction): matching one never passes, it only
names the bug.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gradverify.core.sampling import Sample


@dataclass(frozen=True)
class Convention:
    """One way an op was defined (or, with ``bug``, a known way to get it wrong).

    - ``name``: a stable code, e.g. ``drop_p``;
    - ``text``: what it says, e.g. ``p is the drop probability``;
    - ``editions``: the course editions (years) whose template used it;
    - ``view(sample)``: the sample as the default reference must see it to compute this
      convention's values (the implementation still gets the original sample);
    - ``reference(sample)``: or a reference of its own (torch ops on tensors, as ``OpSpec``'s);
    - ``bug``: a message naming the bug, for a lookalike that is never accepted;
    - ``undefined(sample)``: a reason when the convention's formula has no value for this
      sample (dropout's 1 / (1 - p) at p = 1); code failing there is not checked, not failed.
    """

    name: str
    text: str
    editions: tuple[int, ...] = ()
    view: Callable[[Sample], Sample] | None = None
    reference: Callable[[Sample], Any] | None = None
    bug: str | None = None
    undefined: Callable[[Sample], str | None] | None = None

    def label(self) -> str:
        """``2016-2017: p is the drop probability``, what a record's ``convention`` shows."""
        return f"{editions_text(self.editions)}: {self.text}" if self.editions else self.text


def editions_text(editions: tuple[int, ...]) -> str:
    """``2016-2017``, ``2016``, ``2016, 2018`` for a sorted tuple of years."""
    if not editions:
        return "no edition"
    years = sorted(editions)
    if years == list(range(years[0], years[-1] + 1)) and len(years) > 1:
        return f"{years[0]}-{years[-1]}"
    return ", ".join(str(y) for y in years)


def static_view(**changes: Callable[[Any], Any]) -> Callable[[Sample], Sample]:
    """A view that replaces static arguments: ``static_view(reg=lambda r: r / 2)``; a change
    of a dict argument is a function of the dict (``dropout_param``)."""

    def view(sample: Sample) -> Sample:
        static = dict(sample.static)
        for key, change in changes.items():
            if key in static:
                static[key] = change(static[key])
        return Sample(dict(sample.arrays), static)

    return view


def expected(conventions: tuple[Convention, ...], default_editions: tuple[int, ...], edition: int | None) -> str | None:
    """The name of the convention ``edition`` expects (None: the op's default), or the
    default when no edition is pinned."""
    if edition is None or edition in default_editions or not default_editions:
        return None
    for c in conventions:
        if c.bug is None and edition in c.editions:
            return c.name
    return None
