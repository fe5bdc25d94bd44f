"""Spec of the lecture's matrix example: L = ||ReLU(X W1) W2||^2."""

from __future__ import annotations

import numpy as np

import gradverify.impl.cs231n.matrix_example as impl
from gradverify.core.adapters import ForwardBackward
from gradverify.core.comparison import Kinks
from gradverify.core.references import references
from gradverify.core.sampling import D1, N1, TIES, Sample, dims, values
from gradverify.core.spec import RANDOM_UPSTREAM, OpSpec, Variant
from gradverify.specs.kinks import linear_interval, linear_scores, relu_bounds, upstream

ref = references("gradverify.reference.cs231n.matrix_example")


def sample(rng: np.random.Generator, case: str) -> Sample:
    d = dims(rng, case, N=(1, 6), D=(1, 5), H=(1, 5), C=(1, 4))
    return Sample(
        {
            "X": values(rng, (d["N"], d["D"]), case),
            "W1": values(rng, (d["D"], d["H"]), case),
            "W2": values(rng, (d["H"], d["C"]), case),
        }
    )


def kinks(s: Sample, band: float) -> dict[str, Kinks]:
    """A kink at z1[i, m] adds t * dh1[i, m] to dz1 (dh1 = 2 u y_hat W2^T is continuous there),
    so row i of dX and column m of dW1 move; dW2 = h1^T dy_hat does not (h1 is 0 either way)."""
    X, W1, W2 = s["X"], s["W1"], s["W2"]
    z1, magnitude = linear_scores(X, W1)
    dh1 = 2 * upstream(s, "loss") * (np.maximum(z1, 0) @ W2) @ W2.T
    dz1 = relu_bounds(z1, magnitude, dh1, band)
    near = dz1.mask
    dX = np.zeros(X.shape, dtype=bool)
    dX[near.any(axis=1)] = True
    dW1 = np.zeros(W1.shape, dtype=bool)
    dW1[:, near.any(axis=0)] = True
    dX_low, dX_high = linear_interval(W1, dz1.low.T, dz1.high.T)
    return {
        "X": Kinks(dX, dX_low.T, dX_high.T, relative=True),
        "W1": Kinks(dW1, *linear_interval(X.T, dz1.low, dz1.high), relative=True),
        "W2": Kinks(np.zeros(W2.shape, dtype=bool)),
    }


SPECS = (
    OpSpec(
        name="matrix_example",
        family="matrix_example",
        variants=(
            Variant(
                "vectorized",
                ForwardBackward(
                    impl.matrix_example_forward,
                    impl.matrix_example_backward,
                    ("X", "W1", "W2"),
                    wrt=("X", "W1", "W2"),
                    output="loss",
                ),
            ),
        ),
        reference=lambda t: ref.matrix_example(t["X"], t["W1"], t["W2"]),
        sample=sample,
        outputs={"loss": RANDOM_UPSTREAM},
        wrt=("X", "W1", "W2"),
        edge_cases=(N1, D1, TIES),
        kinks=kinks,
        description="the lecture's z1 = X W1, h1 = ReLU(z1), y_hat = h1 W2, L = ||y_hat||^2",
    ),
)
