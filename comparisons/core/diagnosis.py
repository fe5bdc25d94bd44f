"""Why a quantity fails: a stable code and a sentence a student can act on.

Every test here compares the implementation's array ``a`` with the reference ``r`` (float64,
same shape) under the case's tolerance ``bound`` (the largest allowed absolute difference).
The patterns are tried from the most specific to the least: a sign flip, a constant factor,
a transpose, a multiple of the regularization gradient, an error confined to a part of the
array, and finally a plain mismatch. Each costs a few vector operations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gradverify.core.records import WorstElement
from gradverify.core.roles import Roles
from gradverify.core.sampling import Sample

# Stable codes: users' CI may match on them.
FORWARD_MISMATCH = "forward_mismatch"
GRAD_SCALE = "grad_scale"
GRAD_SIGN = "grad_sign"
GRAD_TRANSPOSED = "grad_transposed"
REG_GRAD = "reg_grad"
GRAD_LOCALIZED = "grad_localized"
GRAD_MISMATCH = "grad_mismatch"
KINK = "kink"
PRECISION = "precision"

ERROR_MAP_SIZE = 64
"""Error maps are pooled (block maximum) to at most this many rows and columns."""


@dataclass(frozen=True)
class Finding:
    code: str
    message: str


def _fits(a: np.ndarray, b: np.ndarray, bound: float) -> bool:
    return bool(np.max(np.abs(a - b), initial=0.0) <= bound)


def _factor(a: np.ndarray, r: np.ndarray) -> float:
    """Least-squares c in a = c r."""
    rr = float(np.sum(r * r))
    return float(np.sum(a * r)) / rr if rr > 0 else float("nan")


UNNAMED = "a constant factor"


def _meaning_of_factor(c: float, sample: Sample, roles: Roles) -> str:
    """Name a constant factor: a missing or extra average, or a factor of 2 (all that fit)."""
    candidates = [
        (2.0, "a factor 2 too many (e.g. d(x^2) = 2x applied twice)"),
        (0.5, "a missing factor 2 (e.g. d(x^2) = 2x)"),
    ]
    words = {"N": "batch size", "C": "number of classes", "T": "number of time steps"}
    for name, n in roles.sizes(sample).items():
        if n > 1:
            candidates += [
                (float(n), f"{name} = {n}, the {words[name]}: the average over {name} is missing (divide by {name})"),
                (1.0 / n, f"1/{name} = 1/{n}: divided by the {words[name]} once too often"),
            ]
        if name == "C" and n > 2:
            candidates.append((n - 1.0, f"C - 1 = {n - 1}: the mean over the C - 1 incorrect classes is missing"))
    meanings = [m for value, m in candidates if abs(c - value) <= 1e-3 * abs(value)]
    return "; or ".join(meanings) if meanings else UNNAMED


def _regularization(d: np.ndarray, w: np.ndarray | None, reg: Any, bound: float) -> float | None:
    """m when the difference d equals m * reg * w (to tolerance), else None."""
    if w is None or w.shape != d.shape or not isinstance(reg, (int, float)) or reg == 0:
        return None
    k = _factor(d, w)
    if not np.isfinite(k) or not _fits(d, k * w, bound):
        return None
    m = k / reg
    return round(m * 2) / 2 if abs(m * 2 - round(m * 2)) < 1e-3 else m


def _data_term_factor(
    a: np.ndarray, r: np.ndarray, w: np.ndarray | None, reg: Any, bound: float
) -> tuple[float, float] | None:
    """(c, m0) when a = c * (r - m0 reg w) + m0 reg w for a regularization convention m0 (2 for
    reg * sum(W^2), 1 for 0.5 * reg * sum(W^2)): the data term alone is off by a factor."""
    if w is None or w.shape != a.shape or not isinstance(reg, (int, float)) or reg == 0:
        return None
    for m0 in (2.0, 1.0):
        g = m0 * reg * w
        data = r - g
        c = _factor(a - g, data)
        if np.isfinite(c) and abs(c - 1) > 1e-6 and c != 0 and _fits(a - g, c * data, bound):
            return c, m0
    return None


REG_MEANING = {
    -2.0: "the regularization gradient 2 * reg * W is missing (the derivative of reg * sum(W^2))",
    -1.0: "reg * W is missing: either 0.5 * reg * sum(W^2)'s gradient was left out, or reg * W was used "
    "where 2 * reg * W is due",
    1.0: "an extra reg * W: 2 * reg * W was used where the 0.5 * reg * sum(W^2) convention needs reg * W, "
    "or the term was added twice",
    2.0: "an extra 2 * reg * W: the regularization gradient is added twice",
    -0.5: "half of reg * W is missing: the 0.5 of 0.5 * reg * sum(W^2) was applied to its gradient too",
}


def _axis_name(input_name: str, ndim: int, axis: int, roles: Roles) -> str:
    if roles.is_batch_first(input_name):
        names = {0: "examples"} | ({1: "time steps"} if ndim == 3 else {1: "channels"} if ndim == 4 else {})
        if ndim == 2:
            names[1] = "columns"
        return names.get(axis, f"axis {axis}")
    if ndim == 2:
        return {0: "rows (input features)", 1: "columns (classes or units)"}[axis]
    if ndim == 1:
        return "entries"
    return f"axis {axis}"


def _localized(bad: np.ndarray, input_name: str, sample: Sample, roles: Roles) -> str | None:
    """Describe where the bad entries sit when that is a recognisable part of the array."""
    if not bad.any() or bad.all():
        return None
    y = roles.label_array(sample)
    scores_like = (
        y is not None
        and y.ndim == 1
        and len(y) > 0
        and np.issubdtype(y.dtype, np.integer)
        and bad.ndim == 2
        and roles.is_scores(input_name)
        and bad.shape[0] == len(y)
        and bad.shape[1] > int(y.max())
    )
    if scores_like:
        correct = np.zeros_like(bad)
        correct[np.arange(len(y)), y] = True
        if not (bad & ~correct).any():
            return "only at the correct-class entries [i, y[i]]: the correct-class term of the gradient is wrong"
        if (bad & correct).sum() == 0 and bad.any(axis=1).all():
            return "only off the correct class: the incorrect-class terms of the gradient are wrong"
    x = sample.arrays.get(input_name)
    if x is not None and x.shape == bad.shape:
        for mask, words in ((x == 0, "== 0"), (x < 0, "< 0"), (x <= 0, "<= 0"), (x > 0, "> 0")):
            if mask.any() and not (bad & ~mask).any():
                return f"only where {input_name} {words}: check the mask or derivative used there"
    best = None
    for axis in range(bad.ndim):
        touched = bad.any(axis=tuple(i for i in range(bad.ndim) if i != axis))
        frac = touched.mean()
        if touched.size > 1 and frac <= 0.5 and (best is None or frac < best[0]):
            best = (frac, axis, np.flatnonzero(touched))
    if best is None:
        return None
    _, axis, idx = best
    shown = ", ".join(map(str, idx[:8])) + (", ..." if len(idx) > 8 else "")
    return f"only in {_axis_name(input_name, bad.ndim, axis, roles)} {shown} of {bad.shape[axis]}"


def gradient(
    quantity: str, input_name: str, a: np.ndarray, r: np.ndarray, bound: float, sample: Sample, roles: Roles
) -> Finding:
    """Diagnose a failing gradient ``quantity`` of input ``input_name``."""
    if _fits(a, -r, bound):
        return Finding(
            GRAD_SIGN, f"{quantity} has the opposite sign of the reference: a sign slip in the backward pass."
        )
    reg = roles.reg_strength(sample)
    m = _regularization(a - r, sample.arrays.get(input_name), reg, bound)
    if m is not None:
        meaning = REG_MEANING.get(m, "a wrong multiple of the regularization gradient")
        return Finding(REG_GRAD, f"{quantity} - reference = {m:+g} * reg * {input_name}: {meaning}.")
    c = _factor(a, r)
    meaning = _meaning_of_factor(c, sample, roles) if np.isfinite(c) else None
    # any two single numbers are proportional: a factor there says something only if it has a name
    if meaning and c != 0 and _fits(a, c * r, bound) and (a.size > 1 or meaning != UNNAMED):
        return Finding(GRAD_SCALE, f"{quantity} is {c:.6g} times the reference: {meaning}.")
    if a.ndim == 2 and a.shape[0] == a.shape[1] and a.shape[0] > 1 and _fits(a, r.T, bound):
        return Finding(
            GRAD_TRANSPOSED, f"{quantity} is the transpose of the reference (e.g. x.T @ dout vs dout.T @ x)."
        )
    data_term = _data_term_factor(a, r, sample.arrays.get(input_name), reg, bound)
    if data_term is not None:
        c, m0 = data_term
        return Finding(
            GRAD_SCALE,
            f"the data term of {quantity} (all but the regularization gradient {m0:g} * reg * {input_name}) is "
            f"{c:.6g} times the reference's: {_meaning_of_factor(c, sample, roles)}.",
        )
    bad = np.abs(a - r) > bound
    where = _localized(bad, input_name, sample, roles)
    if where:
        return Finding(GRAD_LOCALIZED, f"{quantity} differs {where}.")
    return Finding(GRAD_MISMATCH, f"{quantity} differs from the reference in {bad.mean():.0%} of its entries.")


def transposed(quantity: str, a: np.ndarray, r: np.ndarray, bound: float) -> Finding | None:
    """A gradient returned with the transposed shape (and values) of the reference's."""
    if a.ndim == 2 and a.T.shape == r.shape and _fits(a.T, r, bound):
        return Finding(
            GRAD_TRANSPOSED,
            f"{quantity} has shape {a.shape}, the transpose of the expected {r.shape}, and its values are the "
            f"transpose of the reference's: transpose it (e.g. x.T @ dout instead of dout.T @ x).",
        )
    return None


def output(quantity: str, a: np.ndarray, r: np.ndarray, bound: float, sample: Sample, roles: Roles) -> Finding:
    """Diagnose a failing forward output (a loss, a layer's out, a model's scores)."""
    if a.ndim == 0:
        diff = float(a - r)
        text = f"{quantity} is {float(a):.6g}, the reference {float(r):.6g} (difference {diff:+.4g})"
        hint = _loss_hint(float(a), float(r), sample, roles)
        return Finding(FORWARD_MISMATCH, f"{text}{': ' + hint if hint else ''}.")
    bad = np.abs(a - r) > bound
    if a.ndim >= 2 and a.shape[0] > 1:
        rows = np.flatnonzero(bad.reshape(a.shape[0], -1).any(axis=1))
        shown = ", ".join(map(str, rows[:8])) + (", ..." if len(rows) > 8 else "")
        where = f"in examples {shown} of {a.shape[0]}" if len(rows) < a.shape[0] else "in every example"
    else:
        where = f"in {bad.mean():.0%} of its entries"
    c = _factor(a, r)
    # a factor that prints as 1 says nothing (the output is off, not scaled)
    scaled = np.isfinite(c) and c != 0 and f"{c:.6g}" != "1" and _fits(a, c * r, bound)
    factor = f"; it is {c:.6g} times the reference" if scaled else ""
    return Finding(FORWARD_MISMATCH, f"{quantity} differs from the reference {where}{factor}.")


def _loss_hint(a: float, r: float, sample: Sample, roles: Roles) -> str:
    diff = a - r
    reg, W = roles.reg_strength(sample), roles.regularized_weight(sample)
    if reg and W is not None:
        term = reg * float(np.sum(W * W))
        for m, words in (
            (-1, "reg * sum(W^2) is missing"),
            (1, "reg * sum(W^2) is added twice"),
            (-0.5, "half the regularization: 0.5 * reg * sum(W^2) where reg * sum(W^2) is due"),
            (0.5, "0.5 * reg * sum(W^2) too much"),
        ):
            if abs(diff - m * term) <= 1e-6 * max(1.0, abs(r)):
                return words
    n = roles.sizes(sample).get("N")
    if n and n > 1 and r != 0:
        if abs(a / r - n) <= 1e-6 * n:
            return f"N = {n} times the reference: summed over the batch instead of averaged"
        if abs(a * n / r - 1) <= 1e-6:
            return f"1/N of the reference: averaged twice over the batch (N = {n})"
    delta = roles.margin_of(sample)
    if delta and abs(diff - delta) <= 1e-6 * max(1.0, abs(r)):
        return f"larger by delta = {delta:g}: the correct class j = y_i is counted in the hinge sum"
    return ""


def worst_elements(a: np.ndarray, r: np.ndarray, fd: dict[tuple[int, ...], float], k: int = 3) -> list[WorstElement]:
    """The k largest differences with both values and, where measured, the finite difference."""
    diff = np.abs(a - r).ravel()
    order = np.argsort(diff)[::-1][:k]
    out = []
    for flat in order:
        if diff[flat] == 0:
            break
        index = tuple(int(i) for i in np.unravel_index(flat, a.shape))
        out.append(WorstElement(index, float(a[index]), float(r[index]), fd.get(index)))
    return out


def top_indices(a: np.ndarray, r: np.ndarray, k: int = 3) -> list[tuple[int, ...]]:
    """Indices of the k largest differences (those worth a finite-difference probe)."""
    diff = np.abs(a - r).ravel()
    order = [f for f in np.argsort(diff)[::-1][:k] if diff[f] > 0]
    return [tuple(int(i) for i in np.unravel_index(f, a.shape)) for f in order]


def error_map(a: np.ndarray, r: np.ndarray) -> np.ndarray:
    """|a - r| as a 2-D grid (rows x columns; further axes folded by maximum), block-max
    pooled to at most ERROR_MAP_SIZE x ERROR_MAP_SIZE."""
    e = np.abs(a - r)
    if e.ndim == 0:
        e = e.reshape(1, 1)
    elif e.ndim == 1:
        e = e.reshape(1, -1)
    elif e.ndim > 2:
        e = e.max(axis=tuple(range(2, e.ndim)))
    for axis in (0, 1):
        n = e.shape[axis]
        if n > ERROR_MAP_SIZE:
            edges = np.linspace(0, n, ERROR_MAP_SIZE + 1).astype(int)
            e = np.maximum.reduceat(e, edges[:-1], axis=axis)
    return e.astype(np.float64)
