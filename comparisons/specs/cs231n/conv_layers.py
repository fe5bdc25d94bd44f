"""Specs of the convolution and max-pooling layers: naive loops (conv_layers.py) and the
vectorized versions (fast_layers.py), checked as variants of the same ops."""

from __future__ import annotations

import numpy as np

import gradverify.impl.cs231n.conv_layers as naive
import gradverify.impl.cs231n.fast_layers as fast
from gradverify.core.adapters import ForwardBackward
from gradverify.core.conventions import Convention
from gradverify.core.references import references
from gradverify.core.sampling import N1, TIES, Sample, values
from gradverify.core.spec import RANDOM_UPSTREAM, OpSpec, Variant
from gradverify.specs.conv_kinks import max_pool_bounds
from gradverify.specs.kinks import upstream

ref = references("gradverify.reference.cs231n.conv_layers")

POOL_ASSIGNED = Convention(
    "pool_assigned",
    "window gradients assigned, not accumulated",
    reference=lambda t: ref.max_pool_assigned(t["x"], t["pool_param"]),
    bug="Overlapping pooling windows (stride < pool size) that share a maximum must ADD their upstream "
    "gradients: dx[...] += dout[...], not dx[...] = dout[...].",
)
"""A known bug: a naive backward that assigns, so a later overlapping window overwrites."""

C1, F1, ONE_BY_ONE, STRIDE2 = "C=1", "F=1", "1x1", "stride=2"
NON_SQUARE, TILED = "non-square", "tiled"
SPATIAL = (3, 7)
"""Range of input heights and widths; both parities, so every stride up to 3 has a fit."""


def fitting_size(rng: np.random.Generator, window: int, pad: int, stride: int, odd: bool = False) -> int:
    """An input size in SPATIAL that the windows tile exactly (the course requires it)."""
    sizes = [
        s
        for s in range(SPATIAL[0], SPATIAL[1] + 1)
        if s + 2 * pad >= window and (s + 2 * pad - window) % stride == 0 and (s % 2 == 1 or not odd)
    ]
    return int(rng.choice(sizes))


def conv_geometry(rng: np.random.Generator, case: str) -> dict[str, int]:
    """N, C, F, filter (HH, WW), stride, pad and input (H, W) of a convolution.

    Random draws mix non-square filters, strides 1 to 3 (3 leaves input pixels no window
    touches) and padding up to 2 (an output that sees only padding is its bias). Edge cases:
    ``N=1``, ``C=1``, ``F=1``, ``1x1`` filters, and ``stride=2`` with padding 1 on odd sizes.
    """
    g = {
        "N": int(rng.integers(1, 4)),
        "C": int(rng.integers(1, 4)),
        "F": int(rng.integers(1, 5)),
        "HH": int(rng.integers(1, 4)),
        "WW": int(rng.integers(1, 4)),
        "stride": int(rng.choice([1, 2, 3], p=[0.45, 0.4, 0.15])),
        "pad": int(rng.integers(0, 3)),
    }
    pinned = {N1: {"N": 1}, C1: {"C": 1}, F1: {"F": 1}, ONE_BY_ONE: {"HH": 1, "WW": 1, "pad": 0}}
    pinned[STRIDE2] = {"HH": 3, "WW": 3, "stride": 2, "pad": 1}
    g.update(pinned.get(case, {}))
    odd = case == STRIDE2
    g["H"] = fitting_size(rng, g["HH"], g["pad"], g["stride"], odd)
    g["W"] = fitting_size(rng, g["WW"], g["pad"], g["stride"], odd)
    return g


def conv_sample(rng: np.random.Generator, case: str) -> Sample:
    g = conv_geometry(rng, case)
    return Sample(
        {
            "x": values(rng, (g["N"], g["C"], g["H"], g["W"]), case),
            "w": values(rng, (g["F"], g["C"], g["HH"], g["WW"]), case),
            "b": values(rng, (g["F"],), case),
        },
        {"conv_param": {"stride": g["stride"], "pad": g["pad"]}},
    )


def pool_geometry(rng: np.random.Generator, case: str) -> dict[str, int]:
    """Window (ph, pw) and stride of a max pool, drawn before the input size.

    Random draws mix windows of 1 to 3 on each side with strides 1 to 3: overlapping
    windows, gaps between windows and tiling all occur. Edge cases: ``ties`` (windows of at
    least two inputs, so integer values tie), ``non-square`` (a 2x3 or 3x2 window with a
    stride different from one of its sides) and ``tiled`` (the course's 2x2, stride 2)."""
    g = {"ph": int(rng.integers(1, 4)), "pw": int(rng.integers(1, 4)), "stride": int(rng.integers(1, 4))}
    if case == TIES:
        g.update(ph=int(rng.integers(2, 4)), pw=int(rng.integers(2, 4)), stride=int(rng.integers(1, 3)))
    elif case == NON_SQUARE:
        ph, pw = (2, 3) if rng.random() < 0.5 else (3, 2)
        g.update(ph=ph, pw=pw, stride=int(rng.integers(1, 3)))
    elif case == TILED:
        g.update(ph=2, pw=2, stride=2)
    return g


def pool_param(g: dict[str, int]) -> dict[str, int]:
    return {"pool_height": g["ph"], "pool_width": g["pw"], "stride": g["stride"]}


def max_pool_sample(rng: np.random.Generator, case: str) -> Sample:
    n = 1 if case == N1 else int(rng.integers(1, 4))
    c = 1 if case == C1 else int(rng.integers(1, 4))
    g = pool_geometry(rng, case)
    h = fitting_size(rng, g["ph"], 0, g["stride"])
    w = fitting_size(rng, g["pw"], 0, g["stride"])
    return Sample({"x": values(rng, (n, c, h, w), case)}, {"pool_param": pool_param(g)})


def _conv_variant(name: str, forward, backward) -> Variant:
    return Variant(name, ForwardBackward(forward, backward, ("x", "w", "b", "conv_param"), wrt=("x", "w", "b")))


def _pool_variant(name: str, forward, backward) -> Variant:
    return Variant(name, ForwardBackward(forward, backward, ("x", "pool_param"), wrt=("x",)))


SPECS = (
    OpSpec(
        name="conv",
        family="conv_layers",
        variants=(
            _conv_variant("naive", naive.conv_forward_naive, naive.conv_backward_naive),
            _conv_variant("fast", fast.conv_forward_fast, fast.conv_backward_fast),
        ),
        reference=lambda t: ref.conv(t["x"], t["w"], t["b"], t["conv_param"]),
        sample=conv_sample,
        outputs={"out": RANDOM_UPSTREAM},
        wrt=("x", "w", "b"),
        edge_cases=(N1, C1, F1, ONE_BY_ONE, STRIDE2),
        description="convolution (cross-correlation) with zero padding and stride, x (N, C, H, W), w (F, C, HH, WW)",
    ),
    OpSpec(
        name="max_pool",
        family="conv_layers",
        variants=(
            _pool_variant("naive", naive.max_pool_forward_naive, naive.max_pool_backward_naive),
            _pool_variant("fast", fast.max_pool_forward_fast, fast.max_pool_backward_fast),
        ),
        reference=lambda t: ref.max_pool(t["x"], t["pool_param"]),
        sample=max_pool_sample,
        outputs={"out": RANDOM_UPSTREAM},
        wrt=("x",),
        edge_cases=(N1, C1, TIES, NON_SQUARE, TILED),
        kinks=lambda s, band: {"x": max_pool_bounds(s["x"], upstream(s, "out"), s["pool_param"], band)},
        description="max pooling without padding; ties route the gradient to the first maximum",
        conventions=(POOL_ASSIGNED,),
    ),
)
