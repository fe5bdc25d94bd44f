"""Spec of cnn.py: ThreeLayerConvNet, loss, test-time scores and every parameter's gradient."""

from __future__ import annotations

import numpy as np

import gradverify.impl.cs231n.cnn as impl
from gradverify.core.adapters import ModelLoss
from gradverify.core.references import references
from gradverify.core.sampling import N1, TIES, Sample, labels, values
from gradverify.core.spec import ONE, OpSpec, Variant
from gradverify.specs.conv_kinks import conv2d, max_pool, relu_pool_kinks
from gradverify.specs.cs231n.conv_layers import ONE_BY_ONE
from gradverify.specs.kinks import near_zero

ref = references("gradverify.reference.cs231n.cnn")

DATA = ("X", "y")  # a model's loss(X, y): the course's data and label inputs

PARAMS = ("W1", "b1", "W2", "b2", "W3", "b3")
POOL_PARAM = {"pool_height": 2, "pool_width": 2, "stride": 2}


def _conv_param(filter_size: int) -> dict[str, int]:
    return {"stride": 1, "pad": (filter_size - 1) // 2}


def sample(rng: np.random.Generator, case: str) -> Sample:
    """Even H and W (the 2x2 stride-2 pool must tile the same-size convolution output) and
    odd filter sizes (the padding (fs - 1) // 2 keeps the size only for odd fs)."""
    n = 1 if case == N1 else int(rng.integers(1, 5))
    c, f, hidden = int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(1, 6))
    classes = int(rng.integers(2, 6))
    h, w = (2 * int(v) for v in rng.integers(1, 4, size=2))
    fs = 1 if case == ONE_BY_ONE else int(rng.choice([1, 3, 5], p=[0.2, 0.5, 0.3]))
    flat = f * (h // 2) * (w // 2)
    arrays = {
        "X": values(rng, (n, c, h, w), case),
        "y": labels(rng, n, classes),
        "W1": values(rng, (f, c, fs, fs), case, scale=0.7),
        "b1": values(rng, (f,), case, scale=0.3),
        "W2": values(rng, (flat, hidden), case, scale=0.7),
        "b2": values(rng, (hidden,), case, scale=0.3),
        "W3": values(rng, (hidden, classes), case, scale=0.7),
        "b3": values(rng, (classes,), case, scale=0.3),
    }
    # reg large enough that a wrong regularization gradient is visible next to the data term
    return Sample(arrays, {"reg": float(rng.uniform(0.1, 1.0))})


def init(s: Sample) -> dict:
    f, _, fs, _ = s["W1"].shape
    return dict(
        input_dim=s["X"].shape[1:],
        num_filters=f,
        filter_size=fs,
        hidden_dim=s["W3"].shape[0],
        num_classes=s["W3"].shape[1],
        reg=s["reg"],
        dtype=s["X"].dtype,
    )


def _params(t: Sample) -> dict:
    return {p: t[p] for p in PARAMS}


def kinks(s: Sample, band: float) -> dict[str, np.ndarray]:
    """A conv-layer kink (ReLU input at 0 or tied pooling maximum) in filter f changes W1[f]
    and b1[f]; a hidden-layer kink at unit m changes W2[:, m], b2[m] and, through the
    backward signal, all of W1 and b1. The forward values stay continuous at every kink, so
    the gradients of the layers above a kink do not change."""
    X, W1, b1, W2, b2 = (s[p] for p in ("X", "W1", "b1", "W2", "b2"))
    masks = {p: np.zeros(s[p].shape, dtype=bool) for p in PARAMS}
    a, magnitude = conv2d(X, W1, b1, _conv_param(W1.shape[2]))
    filters = relu_pool_kinks(a, magnitude, POOL_PARAM, band).any(axis=(0, 2, 3))
    masks["W1"][filters] = True
    masks["b1"][filters] = True
    # the pooled values carry the rounding of the convolution terms that formed them
    pooled = max_pool(np.maximum(a, 0), POOL_PARAM).reshape(len(X), -1)
    pooled_magnitude = max_pool(magnitude, POOL_PARAM).reshape(len(X), -1)
    hidden = pooled @ W2 + b2
    units = near_zero(hidden, pooled_magnitude @ np.abs(W2) + np.abs(b2), band).any(axis=0)
    masks["W2"][:, units] = True
    masks["b2"][units] = True
    if units.any():
        masks["W1"][:] = True
        masks["b1"][:] = True
    return masks


SPECS = (
    OpSpec(
        name="three_layer_conv_net",
        family="cnn",
        variants=(Variant("fast", ModelLoss(impl.ThreeLayerConvNet, init, PARAMS, DATA)),),
        reference=lambda t: {
            "loss": ref.three_layer_conv_net_loss(_params(t), t["X"], t["y"], t["reg"]),
            "scores": ref.three_layer_conv_net_scores(_params(t), t["X"]),
        },
        sample=sample,
        outputs={"loss": ONE, "scores": None},
        wrt=PARAMS,
        edge_cases=(N1, ONE_BY_ONE, TIES),
        kinks=kinks,  # mask only (any value at a kink): no bound through conv, pool and softmax yet
        description="conv - relu - 2x2 max pool - affine - relu - affine - softmax, 0.5 * reg * sum(W^2)",
    ),
)
