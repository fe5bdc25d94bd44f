"""Where the ops of assignment 1 are not differentiable, as gradient-entry masks.

Each helper takes float64 arrays and a ``band``: a point counts as on the kink when it lies
within ``band`` times the magnitude of the terms that formed it, since the implementation's
own rounding (float32 especially) may put it on either side.
"""

from __future__ import annotations

import numpy as np


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
