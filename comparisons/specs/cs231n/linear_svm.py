"""Specs of linear_svm.py: the multiclass SVM loss and the lecture's variants of it."""

from __future__ import annotations

import numpy as np

import gradverify.impl.cs231n.linear_svm as impl
from gradverify.core.adapters import LossGrad
from gradverify.core.comparison import Kinks
from gradverify.core.declare import op
from gradverify.core.references import references
from gradverify.core.sampling import C2, D1, N1, TIES, Sample, dims, labels, values
from gradverify.core.spec import OpSpec
from gradverify.specs.cs231n.editions import LINEAR_REG
from gradverify.specs.kinks import classes_touched, hinge_bounds, hinge_margins, linear_interval, linear_scores

ref = references("gradverify.reference.cs231n.linear_svm")

EDGES = (N1, C2, D1, TIES)
ARGS = ("W", "X", "y", "reg")


def _sampler(random_delta: bool):
    def sample(rng: np.random.Generator, case: str) -> Sample:
        d = dims(rng, case, N=(2, 9), D=(1, 7), C=(2, 6))
        n, dim, c = d["N"], d["D"], d["C"]
        W = values(rng, (dim, c), case, scale=0.5)
        X = values(rng, (n, dim), case)
        # reg large enough that a wrong regularization gradient is visible next to the data term
        reg = 0.0 if case == TIES else float(rng.uniform(0.1, 1.0))
        delta = float(rng.uniform(0.1, 3.0)) if random_delta and case != TIES else 1.0
        return Sample({"W": W, "X": X, "y": labels(rng, n, c)}, {"reg": reg, "delta": delta})

    return sample


def _hinge_kinks(s: Sample, band: float, per_class: bool = False) -> dict[str, Kinks]:
    """dW = X^T dscores: the score bounds of each kinked margin, mapped through X^T. Every
    loss here averages over N (and ``per_class`` over the C - 1 incorrect classes too)."""
    X, W, y = s["X"], s["W"], s["y"]
    scores, magnitude = linear_scores(X, W)
    weight = 1.0 / (len(X) * (W.shape[1] - 1 if per_class else 1))
    on_scores = hinge_bounds(scores, magnitude, y, s["delta"], band, weight)
    near = hinge_margins(scores, magnitude, y, s["delta"], band)
    mask = np.zeros(W.shape, dtype=bool)
    mask[:, classes_touched(near, y)] = True
    low, high = linear_interval(X.T, on_scores.low, on_scores.high)
    return {"W": Kinks(mask, low, high, relative=True)}


def _spec(
    name: str, fns: dict[str, object], reference, random_delta: bool, kinks=_hinge_kinks, doc: str = ""
) -> OpSpec:
    kwargs = ("delta",) if random_delta else ()
    (first, fn), *others = fns.items()
    return op(
        name,
        family="linear_svm",
        loss=fn,
        variant=first,
        alternatives={v: LossGrad(f, ARGS, wrt=("W",), kwargs=kwargs) for v, f in others},
        args=ARGS,
        kwargs=kwargs,
        wrt=("W",),
        reference=reference,
        sample=_sampler(random_delta),
        edge_cases=EDGES,
        kinks=kinks,
        description=doc,
        **LINEAR_REG,
    )


SPECS = (
    _spec(
        "svm",
        {"naive": impl.svm_loss_naive, "vectorized": impl.svm_loss_vectorized},
        ref.svm_loss,
        random_delta=False,
        doc="multiclass SVM loss, delta 1, CS231n signature (W, X, y, reg)",
    ),
    _spec(
        "svm_delta",
        {"vectorized": impl.svm_loss_vectorized},
        ref.svm_loss,
        random_delta=True,
        doc="multiclass SVM loss with a configurable margin delta",
    ),
    _spec(
        "svm_all_classes",
        {"vectorized": impl.svm_loss_all_classes},
        ref.svm_loss_all_classes,
        random_delta=True,
        doc="hinge summed over all classes, j = y_i included (adds delta per example)",
    ),
    _spec(
        "svm_class_mean",
        {"vectorized": impl.svm_loss_class_mean},
        ref.svm_loss_class_mean,
        random_delta=True,
        kinks=lambda s, band: _hinge_kinks(s, band, per_class=True),
        doc="hinge averaged over the C - 1 incorrect classes instead of summed",
    ),
    _spec(
        "squared_hinge",
        {"vectorized": impl.squared_hinge_loss},
        ref.squared_hinge_loss,
        random_delta=True,
        # max(0, m)^2 has a continuous derivative 2 max(0, m): no kink at m = 0
        kinks=None,
        doc="squared hinge max(0, s_j - s_y + delta)^2",
    ),
)
