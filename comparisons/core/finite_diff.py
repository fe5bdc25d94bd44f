"""The third opinion: central finite differences of the implementation's own forward pass.

The cost does not grow with the number of parameters: one random direction per input
(like gradcheck's fast mode) plus a few sampled coordinates. Around each point the function
is evaluated at -2h, -h, 0, h, 2h; if the four one-sided slopes disagree, the segment crosses a
non-differentiable point and the measurement is marked as not smooth instead of trusted
(chainer's gradient check detects non-differentiability the same way).

A coordinate probe moves one entry of one working copy of the input and puts it back: no
unit vector and no new full-size array per evaluation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradverify.core.tolerances import FD_SMOOTH, FD_STEP

AGREE, DISAGREE, FD_KINK, SKIPPED = "agree", "disagree", "kink", "skipped"
EVALUATIONS_PER_PROBE = 5
"""Forward evaluations of one probe: at -2h, -h, 0, h and 2h."""


@dataclass(frozen=True)
class Measurement:
    """The derivative of the objective along ``direction`` (a random direction) or along the
    unit vector of ``index`` (a coordinate), by differences."""

    direction: np.ndarray | None
    fd: float
    noise: float
    smooth: bool
    index: tuple[int, ...] | None = None

    @property
    def coordinate(self) -> bool:
        return self.index is not None


def directional(f: Callable[[float], float], h: float) -> tuple[float, float, bool]:
    """Central difference of ``f`` at 0 with step ``h``, its rounding noise, and whether
    ``f`` is smooth on [-2h, 2h]."""
    fm2, fm1, f0, fp1, fp2 = (f(t * h) for t in (-2.0, -1.0, 0.0, 1.0, 2.0))
    slopes = np.array([fm1 - fm2, f0 - fm1, fp1 - f0, fp2 - fp1]) / h
    # cancellation in f(x+h) - f(x-h): a few ulps of |f| divided by the step
    noise = 64 * np.finfo(np.float64).eps * (abs(f0) + 1.0) / h
    spread = float(slopes.max() - slopes.min())
    smooth = bool(np.isfinite(slopes).all()) and spread <= FD_SMOOTH * float(np.abs(slopes).max()) + 4 * noise
    return (fp1 - fm1) / (2 * h), noise, smooth


def measure(
    objective: Callable[[np.ndarray], float],
    x: np.ndarray,
    rng: np.random.Generator,
    coordinates: list[tuple[int, ...]],
) -> list[Measurement]:
    """Measure one random direction and each coordinate of ``x``; ``objective`` takes a
    perturbed float64 array shaped like ``x`` (read-only while it runs)."""
    x = np.asarray(x, dtype=np.float64)  # no copy when it already is float64
    h = FD_STEP * max(1.0, float(np.max(np.abs(x))) if x.size else 1.0)
    direction = rng.standard_normal(x.shape)
    direction /= max(float(np.max(np.abs(direction))) if x.size else 1.0, 1e-300)
    fd, noise, smooth = directional(lambda t: objective(x + t * direction), h)
    out = [Measurement(direction, fd, noise, smooth)]
    if coordinates:
        work = x.copy()  # the one copy all coordinate probes share
        work.flags.writeable = False  # code that writes into its input cannot corrupt the next evaluation
        for index in coordinates:
            fd, noise, smooth = directional(lambda t, i=index: objective(_moved(work, i, x[i] + t)), h)
            _moved(work, index, x[index])
            out.append(Measurement(None, fd, noise, smooth, index=index))
    return out


def _moved(work: np.ndarray, index: tuple[int, ...], value: float) -> np.ndarray:
    """``work`` with one entry set to ``value``, and read-only again."""
    work.flags.writeable = True
    work[index] = value
    work.flags.writeable = False
    return work


def error(m: Measurement, grad: np.ndarray) -> float:
    """|fd - <grad, d>| beyond rounding noise, relative to the size of the dot product (or,
    for a coordinate, to the gradient's largest entry, as ``rel_err`` does)."""
    if m.index is not None:
        analytic = float(grad[m.index])
        scale = max(abs(analytic), abs(m.fd), float(np.max(np.abs(grad))) if grad.size else 0.0)
    else:
        terms = grad * m.direction
        analytic = float(terms.sum())
        scale = max(float(np.abs(terms).sum()), abs(m.fd))
    excess = max(0.0, abs(m.fd - analytic) - m.noise)
    return excess / scale if scale > 0 else excess


def verdict(measurements: list[Measurement], grad: np.ndarray, limit: float) -> tuple[str, float]:
    """``agree``/``disagree`` for ``grad`` judged by the smooth measurements, with the largest
    error among them; ``kink`` when no measurement was smooth (no opinion)."""
    grad = np.asarray(grad, dtype=np.float64)
    errors = [error(m, grad) for m in measurements if m.smooth]
    if not errors:
        return FD_KINK, float("nan")
    worst = max(errors)
    return (DISAGREE if worst > limit else AGREE), worst
