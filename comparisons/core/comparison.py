"""Comparing one implementation quantity with its reference.

Two relative errors are reported, because they answer different questions:

- ``rel_err = max|a - b| / max(max|b|, atol / rtol)`` (``b`` the reference): the error
  relative to the largest reference value, floored so that a quantity that is (nearly) all
  zeros is judged by ``atol``. A quantity passes iff ``rel_err <= rtol``, which is the same
  as ``max|a - b| <= max(atol, rtol * max|b|)`` (see ``tolerances``).
- ``cs231n_rel_err = max(|a - b| / max(1e-8, |a| + |b|))``: the course notebooks' number,
  element by element, reported so students can compare it with what they know.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradverify.core.status import Status
from gradverify.core.tolerances import Tolerance


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


def compare(
    actual: np.ndarray, expected: np.ndarray, tol: Tolerance, kink_mask: np.ndarray | None = None
) -> Comparison:
    """Compare same-shaped float64 arrays; differences only inside ``kink_mask`` are a kink."""
    diff = np.abs(actual - expected)
    scale = max(float(np.max(np.abs(expected))) if expected.size else 0.0, tol.atol / tol.rtol)
    cs231n = diff / np.maximum(1e-8, np.abs(actual) + np.abs(expected))
    if diff.size:
        # the common case, a pass, in a few array passes: the largest difference is in tolerance
        top = int(np.argmax(diff))
        if diff.flat[top] <= tol.rtol * scale:
            return Comparison(
                status=Status.PASS,
                max_abs_err=float(diff.flat[top]),
                rel_err=float(diff.flat[top]) / scale,
                cs231n_rel_err=float(cs231n.max()),
                worst_index=tuple(int(i) for i in np.unravel_index(top, diff.shape)),
                n_bad=0,
                size=int(diff.size),
            )
    bad = diff > tol.rtol * scale
    if kink_mask is not None and bad.any():
        status = Status.KINK if not (bad & ~kink_mask).any() else Status.FAIL
        outside = np.where(kink_mask, 0.0, diff)
        worst = np.unravel_index(int(np.argmax(outside if status == Status.FAIL else diff)), diff.shape)
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
    )
