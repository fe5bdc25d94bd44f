"""Specs of conv_layer_utils.py: the conv - ReLU and conv - ReLU - max pool sandwich layers."""

from __future__ import annotations

import itertools

import numpy as np

import gradverify.impl.cs231n.conv_layer_utils as impl
from gradverify.core.adapters import ForwardBackward
from gradverify.core.comparison import Kinks
from gradverify.core.references import references
from gradverify.core.sampling import N1, TIES, Sample, values
from gradverify.core.spec import RANDOM_UPSTREAM, OpSpec, Variant
from gradverify.specs.conv_kinks import conv2d, conv_bounds, conv_param_kinks, relu_pool_bounds, relu_pool_kinks
from gradverify.specs.cs231n.conv_layers import ONE_BY_ONE, STRIDE2, conv_sample
from gradverify.specs.kinks import relu_bounds, upstream

ref = references("gradverify.reference.cs231n.conv_layer_utils")

COURSE = "course"
"""The course's block: 3x3 filters, stride 1, pad 1, then a 2x2 pool with stride 2."""
COURSE_POOL = {"pool_height": 2, "pool_width": 2, "stride": 2}

ARGS = ("x", "w", "b", "conv_param")


def _fitting_pool(rng: np.random.Generator, case: str, height: int, width: int) -> dict[str, int]:
    """A pool_param drawn among the windows (1 to 3 a side) and strides (1 to 3) that tile a
    (height, width) map exactly; ``ties`` prefers windows of at least two inputs."""
    fits = [
        (ph, pw, stride)
        for ph, pw, stride in itertools.product(range(1, 4), repeat=3)
        if all(n >= k and (n - k) % stride == 0 for n, k in ((height, ph), (width, pw)))
    ]
    if case == TIES:
        fits = [f for f in fits if f[0] * f[1] >= 2] or fits
    ph, pw, stride = fits[int(rng.integers(len(fits)))]
    return {"pool_height": ph, "pool_width": pw, "stride": stride}


def conv_relu_pool_sample(rng: np.random.Generator, case: str) -> Sample:
    if case == COURSE:
        n, c, f = (int(v) for v in rng.integers(1, 4, size=3))
        h, w = (2 * int(v) for v in rng.integers(2, 4, size=2))
        arrays = {
            "x": values(rng, (n, c, h, w), case),
            "w": values(rng, (f, c, 3, 3), case),
            "b": values(rng, (f,), case),
        }
        return Sample(arrays, {"conv_param": {"stride": 1, "pad": 1}, "pool_param": COURSE_POOL})
    s = conv_sample(rng, case)
    a, _ = conv2d(s["x"], s["w"], s["b"], s["conv_param"])
    s.static["pool_param"] = _fitting_pool(rng, case, *a.shape[2:])
    return s


def _kinks(s: Sample, band: float, pooled: bool) -> dict[str, Kinks]:
    x, w, conv_param = s["x"], s["w"], s["conv_param"]
    a, magnitude = conv2d(x, w, s["b"], conv_param)
    dout = upstream(s, "out")
    near = relu_pool_kinks(a, magnitude, s["pool_param"] if pooled else None, band)
    masks = conv_param_kinks(near, x.shape, w, conv_param)
    if pooled:
        low, high = relu_pool_bounds(a, magnitude, dout, s["pool_param"], band)
        return conv_bounds(x, w, conv_param, masks, low, high, relative=False)
    da = relu_bounds(a, magnitude, dout, band)
    return conv_bounds(x, w, conv_param, masks, da.low, da.high, relative=True)


SPECS = (
    OpSpec(
        name="conv_relu",
        family="conv_layer_utils",
        variants=(Variant("fast", ForwardBackward(impl.conv_relu_forward, impl.conv_relu_backward, ARGS, ARGS[:3])),),
        reference=lambda t: ref.conv_relu(t["x"], t["w"], t["b"], t["conv_param"]),
        sample=conv_sample,
        outputs={"out": RANDOM_UPSTREAM},
        wrt=ARGS[:3],
        edge_cases=(N1, ONE_BY_ONE, STRIDE2, TIES),
        kinks=lambda s, band: _kinks(s, band, pooled=False),
        description="convolution followed by ReLU (fast layers)",
    ),
    OpSpec(
        name="conv_relu_pool",
        family="conv_layer_utils",
        variants=(
            Variant(
                "fast",
                ForwardBackward(
                    impl.conv_relu_pool_forward, impl.conv_relu_pool_backward, (*ARGS, "pool_param"), ARGS[:3]
                ),
            ),
        ),
        reference=lambda t: ref.conv_relu_pool(t["x"], t["w"], t["b"], t["conv_param"], t["pool_param"]),
        sample=conv_relu_pool_sample,
        outputs={"out": RANDOM_UPSTREAM},
        wrt=ARGS[:3],
        edge_cases=(N1, ONE_BY_ONE, TIES, COURSE),
        kinks=lambda s, band: _kinks(s, band, pooled=True),
        description="convolution, ReLU, then max pooling (fast layers)",
    ),
)
