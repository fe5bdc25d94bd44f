"""Shared pieces of the deeplearning.ai specs: samples of column-major networks, the 1/m
scaling the course puts on dW and db, and where ReLU networks are not differentiable."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from gradverify.core.conventions import Convention, Edition
from gradverify.core.sampling import Sample, values
from gradverify.core.spec import OpSpec, Variant
from gradverify.specs.kinks import near_zero

# small weights keep the sigmoid output away from 0 and 1, where log(1 - AL) is ill-conditioned
WEIGHT_SCALE = 0.5


def per_example(batch: str, *names: str) -> Callable[[Sample], dict[str, float]]:
    """The course's scaling: the gradients of ``names`` carry 1/m, m the columns of ``batch``."""

    def scale(sample: Sample) -> dict[str, float]:
        return dict.fromkeys(names, 1.0 / sample[batch].shape[1])

    return scale


def times_examples(batch: str, *names: str) -> Callable[[Sample], dict[str, float]]:
    """The course's "dA" values: m times dJ/dA, m the columns of ``batch``."""

    def scale(sample: Sample) -> dict[str, float]:
        return dict.fromkeys(names, float(sample[batch].shape[1]))

    return scale


def network(rng: np.random.Generator, case: str, sizes: list[int], m: int) -> dict[str, np.ndarray]:
    """X (sizes[0], m) and W1, b1, ..., WL, bL (column-major: Wl (n_l, n_{l-1}), bl (n_l, 1))."""
    arrays = {"X": values(rng, (sizes[0], m), case)}
    for layer in range(1, len(sizes)):
        arrays[f"W{layer}"] = values(rng, (sizes[layer], sizes[layer - 1]), case, WEIGHT_SCALE)
        arrays[f"b{layer}"] = values(rng, (sizes[layer], 1), case, WEIGHT_SCALE)
    return arrays


def binary_labels(rng: np.random.Generator, m: int) -> np.ndarray:
    """Y (1, m) of 0.0 and 1.0, both present when m > 1."""
    y = (rng.random((1, m)) < 0.5).astype(np.float64)
    if m > 1:
        y[0, 0], y[0, -1] = 0.0, 1.0
    return y


def param_names(layers: int) -> tuple[str, ...]:
    return tuple(f"{p}{i}" for i in range(1, layers + 1) for p in ("W", "b"))


def dense_relu_kinks(A: np.ndarray, W: np.ndarray, b: np.ndarray, band: float) -> tuple[np.ndarray, ...]:
    """Masks of dA, dW, db for relu(W A + b), column-major: a pre-activation at 0 in unit i of
    example j touches column j of dA and row i of dW and db."""
    Z, size = W @ A + b, np.abs(W) @ np.abs(A) + np.abs(b)
    near = near_zero(Z, size, band)
    rows, cols = near.any(axis=1), near.any(axis=0)
    return (
        np.broadcast_to(cols, A.shape).copy(),
        np.broadcast_to(rows[:, None], W.shape).copy(),
        rows[:, None].copy(),
    )


def mlp_kinks(s: Sample, hidden: int, band: float, with_x: bool = True) -> dict[str, np.ndarray]:
    """Gradient masks of a column-major network whose first ``hidden`` layers are ReLU: a kink
    in layer l touches its unit's row of Wl and bl, and everything below l (X included)."""
    masks = {k: np.zeros(v.shape, dtype=bool) for k, v in s.arrays.items() if k[0] in "WbX"}
    A = s["X"]
    for layer in range(1, hidden + 1):
        _, w_mask, b_mask = dense_relu_kinks(A, s[f"W{layer}"], s[f"b{layer}"], band)
        if b_mask.any():
            masks[f"W{layer}"] |= w_mask
            masks[f"b{layer}"] |= b_mask
            for below in ["X", *param_names(layer - 1)]:
                masks[below][:] = True
        A = np.maximum(s[f"W{layer}"] @ A + s[f"b{layer}"], 0)
    return masks if with_x else {k: v for k, v in masks.items() if k != "X"}


Editions = Mapping[str, tuple[tuple[Edition, ...], str]]
"""Per variant name: the course editions whose API it implements, and what that API is."""


def edition_conventions(editions: Editions) -> dict[str, Any]:
    """The ``default_convention`` (the first variant's edition) and ``conventions`` of an op
    whose variants are course editions, each convention naming its variant."""
    made = [Convention(name, text, editions=years, variant=name) for name, (years, text) in editions.items()]
    return {"default_convention": made[0], "conventions": tuple(made[1:])} if made else {}


def course_op(
    name: str,
    family: str,
    variants: Mapping[str, Any],
    reference: Callable[[Sample], Any],
    sample: Callable[[np.random.Generator, str], Sample],
    outputs: Mapping[str, str | None],
    wrt: tuple[str, ...],
    editions: Editions | None = None,
    **fields: Any,
) -> OpSpec:
    """An ``OpSpec`` whose variants are the course's adapters, keyed by variant name. Where
    the variants are editions with different APIs, ``editions`` says which (by variant name):
    records then name the edition in their ``convention`` column, ``--edition`` pins one, and
    a user's code is tried as each edition calls it."""
    if editions is not None and set(editions) != set(variants):
        raise ValueError(f"{name}: editions must describe exactly the variants {sorted(variants)}")
    return OpSpec(
        name=name,
        family=family,
        variants=tuple(Variant(k, a) for k, a in variants.items()),
        reference=reference,
        sample=sample,
        outputs=outputs,
        wrt=wrt,
        **(edition_conventions({k: editions[k] for k in variants}) if editions else {}),
        **fields,
    )
