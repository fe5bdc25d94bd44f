"""Comparing one implementation quantity with its reference.

Two relative errors are reported, because they answer different questions:

- ``rel_err = max|a - b| / max(max|b|, atol / rtol)`` (``b`` the reference): the error
  relative to the largest reference value, floored so that a quantity that is (nearly) all
  zeros is judged by ``atol``. A quantity passes iff ``rel_err <= rtol``, which is the same
  as ``max|a - b| <= max(atol, rtol * max|b|)`` (see ``tolerances``).
- ``cs231n_rel_err = max(|a - b| / max(1e-8, |a| + |b|))``: the course notebooks' number,
  element by element, reported so students can compare it with what they know.

At a non-differentiable point (a kink) the reference picks one subgradient and a correct
implementation may pick another, so an entry inside the kink mask may differ from the
reference. It may not take *any* value: the rule is

- where ``Kinks.low``/``high`` are given, the entry must lie in ``[low, high]`` (the range
  between the one-sided derivatives, e.g. ``[min(0, dout), max(0, dout)]`` for ReLU at 0),
  else the record fails as ``kink_out_of_bounds``;
- entries sharing a ``Kinks.groups`` label (the tied maxima of a pooling window) must add
  up to what the reference's add up to: a tie may be split, never duplicated or dropped,
  else the record fails as ``tie_sum``.

Both are checked with the quantity's own tolerance (``rtol * scale``) as slack, so rounding
never turns a valid subgradient into a failure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradverify.core.status import Status
from gradverify.core.tolerances import Tolerance

KINK_OUT_OF_BOUNDS, TIE_SUM = "kink_out_of_bounds", "tie_sum"

UPSTREAM = "upstream"
"""Static entry of the sample a spec's ``kinks`` receives: {output name: upstream gradient},
the same upstream the reference was differentiated with (bounds at a kink scale with it)."""


@dataclass(frozen=True)
class Kinks:
    """The gradient entries of one input that sit on a kink, and what values are valid there.

    - ``mask``: entries near a non-differentiable point, where the reference's value is only
      one valid choice;
    - ``low``/``high`` (same shape, read where ``mask``): the valid interval of each entry,
      absolute, or offsets from the reference's value when ``relative`` (convenient when the
      reference's gradient has parts, such as regularization, a spec need not recompute);
      ``None`` means any value is accepted (only for ops where no sound bound is derived);
    - ``groups`` (int, -1 outside any group): entries whose sum the kink does not change.
    """

    mask: np.ndarray
    low: np.ndarray | None = None
    high: np.ndarray | None = None
    groups: np.ndarray | None = None
    relative: bool = False


@dataclass(frozen=True)
class Comparison:
    """The verdict on one quantity, with the numbers behind it."""

    status: Status
    max_abs_err: float
    rel_err: float
    cs231n_rel_err: float
    worst_index: tuple[int, ...]
    n_bad: int
    size: int
    kink_finding: tuple[str, str] | None = None
    """(code, message) when every difference sits on a kink but breaks the kink's rule."""


def compare(
    actual: np.ndarray,
    expected: np.ndarray,
    tol: Tolerance,
    kinks: Kinks | np.ndarray | Callable[[], Kinks | np.ndarray | None] | None = None,
) -> Comparison:
    """Compare same-shaped float64 arrays; differences only inside the kink mask are a kink
    when they respect the kink's bounds and tie sums (see the module docstring). ``kinks`` may
    be a call that computes the mask: it is made only when some difference is out of tolerance."""
    diff = np.abs(actual - expected)
    ref_abs = np.abs(expected)
    # ufunc reductions, not np.max & co.: their wrappers cost more than the work on small arrays
    scale = max(float(_max(ref_abs, axis=None)) if expected.size else 0.0, tol.atol / tol.rtol)
    cs231n = diff / np.maximum(1e-8, np.abs(actual) + ref_abs)
    if diff.size:
        # the common case, a pass, in a few array passes: the largest difference is in tolerance
        top = int(diff.argmax())
        largest = float(diff.item(top))
        if largest <= tol.rtol * scale:
            return Comparison(
                status=Status.PASS,
                max_abs_err=largest,
                rel_err=largest / scale,
                cs231n_rel_err=float(_max(cs231n, axis=None)),
                worst_index=_unravel(top, diff.shape),
                n_bad=0,
                size=int(diff.size),
            )
    bad = diff > tol.rtol * scale
    if callable(kinks):
        kinks = kinks()
    if kinks is not None and not isinstance(kinks, Kinks):
        kinks = Kinks(np.asarray(kinks, dtype=bool))
    finding = None
    if kinks is not None and bad.any():
        status = Status.KINK if not (bad & ~kinks.mask).any() else Status.FAIL
        outside = np.where(kinks.mask, 0.0, diff)
        worst = np.unravel_index(int(np.argmax(outside if status == Status.FAIL else diff)), diff.shape)
        if status == Status.KINK:
            finding = _broken_rule(actual, expected, kinks, tol.rtol * scale)
            if finding:
                status, worst, finding = Status.FAIL, finding[0], finding[1:]
    else:
        status = Status.FAIL if bad.any() else Status.PASS
        worst = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.size else ()
    max_abs = float(diff.max()) if diff.size else 0.0
    return Comparison(
        status=status,
        max_abs_err=max_abs,
        rel_err=max_abs / scale,
        cs231n_rel_err=float(cs231n.max()) if cs231n.size else 0.0,
        worst_index=tuple(int(i) for i in worst),
        n_bad=int(bad.sum()),
        size=int(diff.size),
        kink_finding=finding,
    )


_max = np.maximum.reduce


def _unravel(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    """``np.unravel_index`` of one index of a non-empty array, as plain ints."""
    index = []
    for d in reversed(shape):
        flat, i = divmod(flat, d)
        index.append(i)
    return tuple(reversed(index))


def _broken_rule(
    actual: np.ndarray, expected: np.ndarray, kinks: Kinks, slack: float
) -> tuple[tuple[int, ...], str, str] | None:
    """(worst index, code, message) of the first kink rule ``actual`` breaks, else None."""
    if kinks.low is not None and kinks.high is not None:
        low, high = (kinks.low + expected, kinks.high + expected) if kinks.relative else (kinks.low, kinks.high)
        over = np.maximum(low - actual, actual - high)
        over = np.where(kinks.mask, over, -np.inf)
        if over.size and over.max() > slack:
            i = np.unravel_index(int(np.argmax(over)), over.shape)
            at = tuple(int(k) for k in i)
            return (
                at,
                KINK_OUT_OF_BOUNDS,
                f"The entry at {at} sits on a non-differentiable point (a ReLU input or hinge margin at 0, "
                f"or a tied maximum), where any value between the one-sided derivatives is valid, but it is "
                f"{actual[i]:.6g}, outside the valid interval [{low[i]:.6g}, {high[i]:.6g}].",
            )
    if kinks.groups is not None and (kinks.groups >= 0).any():
        labels = kinks.groups.ravel()
        inside = labels >= 0
        count = int(labels[inside].max()) + 1
        got = np.bincount(labels[inside], weights=actual.ravel()[inside], minlength=count)
        want = np.bincount(labels[inside], weights=expected.ravel()[inside], minlength=count)
        sizes = np.bincount(labels[inside], minlength=count)
        off = np.abs(got - want) - slack * np.maximum(sizes, 1)
        if off.max() > 0:
            g = int(np.argmax(off))
            members = np.argwhere(kinks.groups == g)
            at = tuple(int(k) for k in members[0])
            return (
                at,
                TIE_SUM,
                f"The {len(members)} tied maxima starting at {at} receive {got[g]:.6g} in total, but their "
                f"pooling window passes down {want[g]:.6g}: a tie may split the window's gradient between "
                "its maxima (each between 0 and it), never send it to each of them or drop part of it.",
            )
    return None
