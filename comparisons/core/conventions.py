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

Some courses changed how code is *called* rather than what it computes (MyTorch S23's
activations have ``backward()`` with no argument; DLS 2017 keeps dX under ``grads["dA1"]``).
Such an edition is an op variant calling the course's code that way; its convention names the
variant (``variant``), and for a user's code discovery binds that variant's adapter to the
convention (``adapter``), so the engine can try the code as each edition calls it. Editions
are years (CS231n, DLS) or semesters (MyTorch ``S24``, ``F23``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gradverify.core.sampling import Sample

if TYPE_CHECKING:  # adapters import nothing of this module; the name is only for the hint
    from gradverify.core.adapters import Adapter

Edition = int | str
"""A course edition: a year (2017) or a semester code (``S24``, ``F23``)."""


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
      sample (dropout's 1 / (1 - p) at p = 1); code failing there is not checked, not failed;
    - ``variant``: the op variant that calls code as this edition's template did, for an
      edition that changed the API rather than the values (its records carry this label);
    - ``adapter``: the user's code bound in that variant's style (set by discovery), which
      the engine calls when it tries this convention.
    """

    name: str
    text: str
    editions: tuple[Edition, ...] = ()
    view: Callable[[Sample], Sample] | None = None
    reference: Callable[[Sample], Any] | None = None
    bug: str | None = None
    undefined: Callable[[Sample], str | None] | None = None
    variant: str | None = None
    adapter: Adapter | None = None

    def differs(self) -> bool:
        """Whether checking under this convention can give another verdict than the default."""
        return self.view is not None or self.reference is not None or self.adapter is not None

    def label(self) -> str:
        """``2016-2017: p is the drop probability``, what a record's ``convention`` shows."""
        return f"{editions_text(self.editions)}: {self.text}" if self.editions else self.text


def editions_text(editions: tuple[Edition, ...]) -> str:
    """``2016-2017``, ``2016``, ``2016, 2018`` for a sorted tuple of years; semesters as
    ``S23, F23``."""
    if not editions:
        return "no edition"
    if any(isinstance(e, str) for e in editions):
        return ", ".join(str(e) for e in sorted(editions, key=semester_order))
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


def semester_order(edition: Edition) -> tuple[int, int]:
    """Chronological order: S23 (spring) before F23 (fall) before S24; a year sorts first."""
    text = str(edition)
    if isinstance(edition, str) and len(text) == 3 and text[0] in "SF" and text[1:].isdigit():
        return 2000 + int(text[1:]), 0 if text[0] == "S" else 1
    return int(text) if text.isdigit() else 0, -1


def known(conventions: tuple[Convention, ...], default: Convention | None, edition: Edition) -> bool:
    """Whether ``edition`` is of the kind the op's editions are (a year for CS231n and DLS, a
    semester for MyTorch): an edition of another course does not pin the op."""
    kinds = {type(e) for c in (default, *conventions) if c is not None for e in c.editions}
    return type(edition) in kinds


def expected(
    conventions: tuple[Convention, ...], default_editions: tuple[Edition, ...], edition: Edition | None
) -> str | None:
    """The name of the convention ``edition`` expects (None: the op's default), or the
    default when no edition is pinned."""
    if edition is None or edition in default_editions or not default_editions:
        return None
    for c in conventions:
        if c.bug is None and edition in c.editions:
            return c.name
    return None
