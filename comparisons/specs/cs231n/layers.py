"""Specs of layers.py: affine and ReLU layers, and the scores-level losses."""

from __future__ import annotations

import numpy as np

import gradverify.impl.cs231n.layers as impl
from gradverify.core.comparison import Kinks
from gradverify.core.declare import op
from gradverify.core.references import references
from gradverify.core.sampling import C2, D1, GAP, LARGE, N1, TIES, Sample, dims, labels, values
from gradverify.specs.kinks import hinge_bounds, relu_bounds, upstream

ref = references("gradverify.reference.cs231n.layers")


def affine_sample(rng: np.random.Generator, case: str) -> Sample:
    d = dims(rng, case, N=(1, 6), M=(1, 5))
    # x is (N, d_1, ..., d_k) with k from 1 to 3; D = 1 makes every d_i 1
    k = int(rng.integers(1, 4))
    feature_shape = (1,) * k if case == D1 else tuple(int(v) for v in rng.integers(1, 4, size=k))
    D = int(np.prod(feature_shape))
    return Sample(
        {
            "x": values(rng, (d["N"], *feature_shape), case),
            "w": values(rng, (D, d["M"]), case),
            "b": values(rng, (d["M"],), case),
        }
    )


def relu_sample(rng: np.random.Generator, case: str) -> Sample:
    d = dims(rng, case, N=(1, 6), D=(1, 6))
    return Sample({"x": values(rng, (d["N"], d["D"]), case)})


def scores_sample(rng: np.random.Generator, case: str) -> Sample:
    d = dims(rng, case, N=(1, 9), C=(2, 6))
    n, c = d["N"], d["C"]
    if case == LARGE:
        # scores offset by 1e3 (one sign for all rows), beyond what exp survives in float32 or
        # float64, with a spread of a few units so the softmax is not saturated
        x = rng.choice([-1e3, 1e3]) + 2.0 * rng.standard_normal((n, c))
    elif case == GAP:
        # rows 2e3 apart and classes ~1e2 apart: p[y] underflows, and so does a shift by the
        # batch's max instead of each row's
        x = rng.choice([-1e3, 1e3], size=(n, 1)) + 100.0 * rng.standard_normal((n, c))
    else:
        x = values(rng, (n, c), case)
    return Sample({"x": x, "y": labels(rng, n, c)})


def relu_kinks(s: Sample, band: float) -> dict[str, Kinks]:
    return {"x": relu_bounds(s["x"], np.abs(s["x"]), upstream(s, "out"), band)}


def svm_kinks(s: Sample, band: float) -> dict[str, Kinks]:
    x = s["x"]
    return {"x": hinge_bounds(x, np.abs(x), s["y"], 1.0, band, weight=1.0 / len(x))}


SPECS = (
    op(
        "affine",
        family="layers",
        forward=impl.affine_forward,
        backward=impl.affine_backward,
        reference=ref.affine,
        sample=affine_sample,
        edge_cases=(N1, D1),
        description="affine layer out = x.reshape(N, D) w + b",
    ),
    op(
        "relu",
        family="layers",
        forward=impl.relu_forward,
        backward=impl.relu_backward,
        reference=ref.relu,
        sample=relu_sample,
        edge_cases=(N1, D1, TIES),
        kinks=relu_kinks,
        description="ReLU max(0, x)",
    ),
    op(
        "svm_loss",
        family="layers",
        loss=impl.svm_loss,
        reference=ref.svm_loss,
        sample=scores_sample,
        edge_cases=(N1, C2, TIES),
        kinks=svm_kinks,
        description="multiclass SVM loss on scores x (N, C), delta 1",
    ),
    op(
        "softmax_loss",
        family="layers",
        loss=impl.softmax_loss,
        reference=ref.softmax_loss,
        sample=scores_sample,
        edge_cases=(N1, C2, LARGE, GAP),
        robustness_cases=(GAP,),
        description="softmax cross-entropy on scores x (N, C)",
    ),
)
