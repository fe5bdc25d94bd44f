"""Where the ops of assignment 1 are not differentiable: gradient-entry masks and the values
valid there.

Each helper takes float64 arrays and a ``band``: a point counts as on the kink when it lies
within ``band`` times the magnitude of the terms that formed it, since the implementation's
own rounding (float32 especially) may put it on either side.

Bounds. A kink is a term ``t * change`` of the gradient with ``t`` = 0 on one side and 1 on
the other (ReLU's ``dout * 1[a > 0]``, a hinge margin's indicator); a valid subgradient takes
any ``t`` in [0, 1]. The reference took ``t = 1[a > 0]`` (torch's ReLU and hinge pass nothing
at exactly 0), so the valid values are the reference's plus an offset in ``choice_interval``;
independent kinks add their intervals, and a linear map of the backward pass (``dW = X^T
dscores``) maps the box of offsets by interval arithmetic, which is exact entry by entry.
"""

from __future__ import annotations

import numpy as np

from gradverify.core.comparison import UPSTREAM, Kinks
from gradverify.core.sampling import Sample

AMBIGUOUS = 64 * np.finfo(np.float64).eps
"""A kinked value this small (relative to its terms) may have either sign in the torch
reference, which sums in another order: its interval then allows both of the reference's
choices."""


def upstream(s: Sample, output: str) -> np.ndarray:
    """The upstream gradient of ``output`` the reference was differentiated with: 0 when the
    output is not differentiated (checked forward only), since it then adds nothing."""
    return np.asarray(s.static.get(UPSTREAM, {}).get(output, 0.0), dtype=np.float64)


def choice_interval(value: np.ndarray, magnitude: np.ndarray, change: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offsets from the reference of the term ``t * change``, t in [0, 1], that the reference
    took as ``t = 1[value > 0]``."""
    took = (value > 0).astype(np.float64)
    low, high = np.minimum(-took * change, (1 - took) * change), np.maximum(-took * change, (1 - took) * change)
    either = (np.abs(value) <= AMBIGUOUS * magnitude) & (magnitude > 0)  # terms all 0: exactly 0
    return np.where(either, -np.abs(change), low), np.where(either, np.abs(change), high)


def linear_interval(A: np.ndarray, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The entrywise range of ``A @ v`` over ``low <= v <= high``."""
    plus, minus = np.maximum(A, 0), np.minimum(A, 0)
    return plus @ low + minus @ high, plus @ high + minus @ low


def relu_bounds(a: np.ndarray, magnitude: np.ndarray, dout: np.ndarray, band: float) -> Kinks:
    """Kinks of ``relu(a)`` in its input: at 0 any value between 0 and ``dout``."""
    near = near_zero(a, magnitude, band)
    low, high = choice_interval(a, magnitude, np.where(near, dout, 0.0))
    return Kinks(near, low, high, relative=True)


def hinge_bounds(
    scores: np.ndarray, magnitude: np.ndarray, y: np.ndarray, delta: float, band: float, weight: float
) -> Kinks:
    """Kinks of a hinge loss ``weight * sum_{j != y_i} max(0, s_ij - s_iy + delta)`` in its
    scores (N, C): a margin at 0 adds ``t * weight`` to s_ij's gradient and takes it from
    s_iy's, so the correct-class entry collects the intervals of every kinked margin of its row."""
    rows = np.arange(len(y))
    near = hinge_margins(scores, magnitude, y, delta, band)
    margins = scores - scores[rows, y][:, None] + delta
    size = magnitude + magnitude[rows, y][:, None] + abs(delta)
    low, high = choice_interval(margins, size, np.where(near, weight, 0.0))
    mask = near.copy()
    mask[rows, y] |= near.any(axis=1)
    low[rows, y], high[rows, y] = -high.sum(axis=1), -low.sum(axis=1)
    return Kinks(mask, low, high, relative=True)


def near_zero(value: np.ndarray, magnitude: np.ndarray, band: float) -> np.ndarray:
    """Entries of ``value`` within ``band * magnitude`` of 0 (exact zeros always)."""
    return np.abs(value) <= band * magnitude


def hinge_margins(scores: np.ndarray, magnitude: np.ndarray, y: np.ndarray, delta: float, band: float) -> np.ndarray:
    """(N, C) mask of hinge margins s_j - s_y + delta at 0, for j != y_i."""
    rows = np.arange(len(y))
    margins = scores - scores[rows, y][:, None] + delta
    size = magnitude + magnitude[rows, y][:, None] + abs(delta)
    near = near_zero(margins, size, band)
    near[rows, y] = False
    return near


def classes_touched(near: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(C,) mask of the classes whose score gradient a kink in ``near`` (N, C) changes: the
    margin's own class and the example's correct class."""
    touched = near.any(axis=0)
    touched[np.unique(y[near.any(axis=1)])] = True
    return touched


def linear_scores(X: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scores X W and the magnitude |X| |W| of the products that formed them."""
    return X @ W, np.abs(X) @ np.abs(W)


def relu_stack(X: np.ndarray, weights: list[np.ndarray], biases: list[np.ndarray], band: float) -> list[np.ndarray]:
    """For {affine - relu} x len(weights) on X (N, D), the (N, H_l) mask of pre-activations at
    0 in each layer l."""
    h = X.reshape(len(X), -1)
    masks = []
    for W, b in zip(weights, biases, strict=False):
        a, magnitude = linear_scores(h, W)
        a, magnitude = a + b, magnitude + np.abs(b)
        masks.append(near_zero(a, magnitude, band))
        h = np.maximum(a, 0)
    return masks


def mlp_param_kinks(
    X: np.ndarray, params: dict[str, np.ndarray], hidden_layers: int, band: float
) -> dict[str, np.ndarray]:
    """Gradient masks of W1..WL, b1..bL of an MLP whose first ``hidden_layers`` affine
    layers are followed by a ReLU. A kink at unit m of layer l changes column m of W_l and
    entry m of b_l, and, through the backward signal, every layer below l."""
    weights = [params[f"W{i}"] for i in range(1, hidden_layers + 1)]
    biases = [params[f"b{i}"] for i in range(1, hidden_layers + 1)]
    masks = {k: np.zeros(v.shape, dtype=bool) for k, v in params.items()}
    for layer, near in enumerate(relu_stack(X, weights, biases, band), start=1):
        units = near.any(axis=0)
        if not units.any():
            continue
        masks[f"W{layer}"][:, units] = True
        masks[f"b{layer}"][units] = True
        for below in range(1, layer):
            masks[f"W{below}"][:] = True
            masks[f"b{below}"][:] = True
    return masks


def mlp_bounds(
    X: np.ndarray, y: np.ndarray, params: dict[str, np.ndarray], hidden_layers: int, reg: float, band: float
) -> dict[str, Kinks]:
    """Kinks of an MLP's parameter gradients under mean softmax cross-entropy plus
    ``0.5 * reg * sum W^2``: the masks of ``mlp_param_kinks`` and absolute bounds from the
    backward pass in interval arithmetic, where a ReLU input near 0 passes any fraction in
    [0, 1] of its gradient. Below a kink the intervals of several kinks are combined entry by
    entry, so they may be wider than the true range, never narrower."""
    masks = mlp_param_kinks(X, params, hidden_layers, band)
    h = X.reshape(len(X), -1)
    inputs, slopes = [], []
    for i in range(1, hidden_layers + 1):
        a, magnitude = linear_scores(h, params[f"W{i}"])
        a, magnitude = a + params[f"b{i}"], magnitude + np.abs(params[f"b{i}"])
        near = near_zero(a, magnitude, band)
        inputs.append(h)
        slopes.append((np.where(near, 0.0, a > 0), np.where(near, 1.0, a > 0)))
        h = np.maximum(a, 0)
    inputs.append(h)
    scores = h @ params[f"W{hidden_layers + 1}"] + params[f"b{hidden_layers + 1}"]
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1
    low = high = p / len(y)
    bounds = {}
    for i in range(hidden_layers + 1, 0, -1):
        W = params[f"W{i}"]
        dW = linear_interval(inputs[i - 1].T, low, high)
        bounds[f"W{i}"] = Kinks(masks[f"W{i}"], dW[0] + reg * W, dW[1] + reg * W)
        bounds[f"b{i}"] = Kinks(masks[f"b{i}"], low.sum(axis=0), high.sum(axis=0))
        if i > 1:
            dh_low, dh_high = linear_interval(W, low.T, high.T)
            off, on = slopes[i - 2]
            # [dh_low, dh_high] times a slope in [off, on] (both 0 or 1)
            ends = [s * d for s in (off, on) for d in (dh_low.T, dh_high.T)]
            low, high = np.minimum.reduce(ends), np.maximum.reduce(ends)
    return bounds
