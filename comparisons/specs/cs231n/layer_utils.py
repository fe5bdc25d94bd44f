"""Specs of layer_utils.py: the affine - ReLU sandwich layer."""

from __future__ import annotations

import numpy as np

import gradverify.impl.cs231n.layer_utils as impl
from gradverify.core.adapters import ForwardBackward
from gradverify.core.comparison import Kinks
from gradverify.core.references import references
from gradverify.core.sampling import D1, N1, TIES, Sample
from gradverify.core.spec import RANDOM_UPSTREAM, OpSpec, Variant
from gradverify.specs.cs231n.layers import affine_sample
from gradverify.specs.kinks import linear_interval, linear_scores, relu_bounds, upstream

ref = references("gradverify.reference.cs231n.layer_utils")


def affine_relu_kinks(s: Sample, band: float) -> dict[str, Kinks]:
    x, w, b = s["x"], s["w"], s["b"]
    h = x.reshape(len(x), -1)
    a, magnitude = linear_scores(h, w)
    da = relu_bounds(a + b, magnitude + np.abs(b), upstream(s, "out"), band)
    near = da.mask
    # a kink at (i, m) changes row i of dx, column m of dw and entry m of db; the offsets of
    # da map through the backward's linear maps dx = da w^T, dw = x^T da, db = sum_i da
    units = near.any(axis=0)
    dx = np.zeros(h.shape, dtype=bool)
    dx[near.any(axis=1)] = True
    dw = np.zeros(w.shape, dtype=bool)
    dw[:, units] = True
    dx_low, dx_high = linear_interval(w, da.low.T, da.high.T)
    dw_low, dw_high = linear_interval(h.T, da.low, da.high)
    ones = np.ones((1, len(h)))
    db_low, db_high = linear_interval(ones, da.low, da.high)
    return {
        "x": Kinks(dx.reshape(x.shape), dx_low.T.reshape(x.shape), dx_high.T.reshape(x.shape), relative=True),
        "w": Kinks(dw, dw_low, dw_high, relative=True),
        "b": Kinks(units, db_low[0], db_high[0], relative=True),
    }


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
