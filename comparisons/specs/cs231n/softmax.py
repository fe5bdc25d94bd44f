"""Specs of softmax.py: the softmax (cross-entropy) loss of a linear classifier."""

from __future__ import annotations

import numpy as np

import gradverify.impl.cs231n.softmax as impl
from gradverify.core.adapters import LossGrad
from gradverify.core.declare import op
from gradverify.core.references import references
from gradverify.core.sampling import C2, D1, GAP, LARGE, N1, Sample, dims, labels, values
from gradverify.specs.cs231n.editions import LINEAR_REG

ref = references("gradverify.reference.cs231n.softmax")


def sample(rng: np.random.Generator, case: str) -> Sample:
    d = dims(rng, case, N=(2, 9), D=(1, 7), C=(2, 6))
    n, dim, c = d["N"], d["D"], d["C"]
    if case == LARGE:
        # scores of about +-1e3 that share their offset (exp overflows, or underflows to 0 / 0,
        # unless a max is subtracted), spread by a few units within a row so p[y] stays finite
        X, W = rng.standard_normal((n, dim)), 0.2 * rng.standard_normal((dim, c))
        X[:, 0] = 10.0 * rng.choice([-1.0, 1.0])
        W[0, :] += 100.0
    else:  # ``gap``: scores of 1e3 and more apart within a row, where p[y] itself underflows
        W = values(rng, (dim, c), LARGE if case == GAP else case, scale=0.5)
        X = values(rng, (n, dim), LARGE if case == GAP else case)
    reg = float(rng.uniform(0.1, 1.0))
    return Sample({"W": W, "X": X, "y": labels(rng, n, c)}, {"reg": reg})


SPECS = (
    op(
        "softmax",
        family="softmax",
        loss=impl.softmax_loss_vectorized,
        alternatives={"naive": LossGrad(impl.softmax_loss_naive, ("W", "X", "y", "reg"), wrt=("W",))},
        reference=ref.softmax_loss,
        sample=sample,
        wrt=("W",),
        edge_cases=(N1, C2, D1, LARGE, GAP),
        robustness_cases=(GAP,),
        description="softmax cross-entropy loss with reg * sum(W^2) (2016: 0.5 * reg * sum(W^2))",
        **LINEAR_REG,
    ),
)
