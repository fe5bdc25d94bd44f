"""Specs of layer_utils.py: the affine - ReLU sandwich layer."""

from __future__ import annotations

import numpy as np

import gradverify.impl.cs231n.layer_utils as impl
import gradverify.reference.cs231n.layer_utils as ref
from gradverify.core.adapters import ForwardBackward
from gradverify.core.sampling import D1, N1, TIES, Sample
from gradverify.core.spec import RANDOM_UPSTREAM, OpSpec, Variant
from gradverify.specs.cs231n.layers import affine_sample
from gradverify.specs.kinks import relu_stack


def affine_relu_kinks(s: Sample, band: float) -> dict[str, np.ndarray]:
    x, w, b = s["x"], s["w"], s["b"]
    (near,) = relu_stack(x, [w], [b], band)
    # a kink at (i, m) changes row i of dx, column m of dw and entry m of db
    units = near.any(axis=0)
    dx = np.zeros(x.shape, dtype=bool)
    dx[near.any(axis=1)] = True
    dw = np.zeros(w.shape, dtype=bool)
    dw[:, units] = True
    return {"x": dx, "w": dw, "b": units}


SPECS = (
    OpSpec(
        name="affine_relu",
        family="layer_utils",
        variants=(
            Variant(
                "vectorized",
                ForwardBackward(
                    impl.affine_relu_forward, impl.affine_relu_backward, ("x", "w", "b"), wrt=("x", "w", "b")
                ),
            ),
        ),
        reference=lambda t: ref.affine_relu(t["x"], t["w"], t["b"]),
        sample=affine_sample,
        outputs={"out": RANDOM_UPSTREAM},
        wrt=("x", "w", "b"),
        edge_cases=(N1, D1, TIES),
        kinks=affine_relu_kinks,
        description="affine followed by ReLU",
    ),
)
