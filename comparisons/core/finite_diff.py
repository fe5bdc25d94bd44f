"""The third opinion: central finite differences of the implementation's own forward pass.

The cost does not grow with the number of parameters: one random direction per input
(like gradcheck's fast mode) plus a few sampled coordinates. Around each point the function
is evaluated at -2h, -h, 0, h, 2h; if the four one-sided slopes disagree, the segment crosses a
non-differentiable point and the measurement is marked as not smooth instead of trusted
(chainer's gradient check detects non-differentiability the same way).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradverify.core.tolerances import FD_SMOOTH, FD_STEP

AGREE, DISAGREE, FD_KINK, SKIPPED = "agree", "disagree", "kink", "skipped"


@dataclass(frozen=True)
class Measurement:
    """The directional derivative of the objective along ``direction``, by differences."""

    direction: np.ndarray
    fd: float
    noise: float
    smooth: bool
    coordinate: bool


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
    perturbed float64 copy of ``x``."""
    x = x.astype(np.float64)
    h = FD_STEP * max(1.0, float(np.max(np.abs(x))) if x.size else 1.0)
    direction = rng.standard_normal(x.shape)
    direction /= max(float(np.max(np.abs(direction))) if x.size else 1.0, 1e-300)
    out = []
    for i, d in enumerate([direction] + [_unit(x.shape, c) for c in coordinates]):
        fd, noise, smooth = directional(lambda t, d=d: objective(x + t * d), h)
        out.append(Measurement(d, fd, noise, smooth, coordinate=i > 0))
    return out


def error(m: Measurement, grad: np.ndarray) -> float:
    """|fd - <grad, d>| beyond rounding noise, relative to the size of the dot product (or,
    for a coordinate, to the gradient's largest entry, as ``rel_err`` does)."""
    terms = grad * m.direction
    analytic = float(terms.sum())
    scale = max(float(np.abs(terms).sum()), abs(m.fd))
    if m.coordinate and grad.size:
        scale = max(scale, float(np.max(np.abs(grad))))
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


def _unit(shape: tuple[int, ...], index: tuple[int, ...]) -> np.ndarray:
    e = np.zeros(shape)
    e[index] = 1.0
    return e
