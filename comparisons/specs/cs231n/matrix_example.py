"""Spec of the lecture's matrix example: L = ||ReLU(X W1) W2||^2."""

from __future__ import annotations

import numpy as np

import gradverify.impl.cs231n.matrix_example as impl
import gradverify.reference.cs231n.matrix_example as ref
from gradverify.core.adapters import ForwardBackward
from gradverify.core.sampling import D1, N1, TIES, Sample, dims, values
from gradverify.core.spec import RANDOM_UPSTREAM, OpSpec, Variant
from gradverify.specs.kinks import relu_stack


def sample(rng: np.random.Generator, case: str) -> Sample:
    d = dims(rng, case, N=(1, 6), D=(1, 5), H=(1, 5), C=(1, 4))
    return Sample(
        {
            "X": values(rng, (d["N"], d["D"]), case),
            "W1": values(rng, (d["D"], d["H"]), case),
            "W2": values(rng, (d["H"], d["C"]), case),
        }
    )


def kinks(s: Sample, band: float) -> dict[str, np.ndarray]:
    X, W1, W2 = s["X"], s["W1"], s["W2"]
    (near,) = relu_stack(X, [W1], [np.zeros(W1.shape[1])], band)
    dX = np.zeros(X.shape, dtype=bool)
    dX[near.any(axis=1)] = True
    dW1 = np.zeros(W1.shape, dtype=bool)
    dW1[:, near.any(axis=0)] = True
    return {"X": dX, "W1": dW1, "W2": np.zeros(W2.shape, dtype=bool)}


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
