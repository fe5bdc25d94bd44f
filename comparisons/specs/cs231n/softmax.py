"""Specs of softmax.py: the softmax (cross-entropy) loss of a linear classifier."""

from __future__ import annotations

import numpy as np

import gradverify.impl.cs231n.softmax as impl
import gradverify.reference.cs231n.softmax as ref
from gradverify.core.adapters import LossGrad
from gradverify.core.declare import op
from gradverify.core.sampling import C2, D1, LARGE, N1, Sample, dims, labels, values
from gradverify.specs.cs231n.editions import LINEAR_REG


def sample(rng: np.random.Generator, case: str) -> Sample:
    d = dims(rng, case, N=(2, 9), D=(1, 7), C=(2, 6))
    n, dim, c = d["N"], d["D"], d["C"]
    # ``large`` gives scores of 1e3 and more: exp overflows unless the row max is subtracted
    W = values(rng, (dim, c), case, scale=0.5)
    X = values(rng, (n, dim), case)
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
        edge_cases=(N1, C2, D1, LARGE),
        description="softmax cross-entropy loss with reg * sum(W^2) (2016: 0.5 * reg * sum(W^2))",
        **LINEAR_REG,
    ),
)
