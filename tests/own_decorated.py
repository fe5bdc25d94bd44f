"""A user's module that declares its ops beside its code: ``@gradverify.op`` on forwards and
losses, and a ``GRADVERIFY_OPS`` list (of ``gradverify.op`` and ``gradverify.declare`` ops).
Run in process (``gradverify run --module``)."""

import numpy as np
import torch
import torch.nn.functional as F

import gradverify
from own_layers import huber_loss, relu6_backward, swish_backward, swish_backward_doubled


@gradverify.op(
    reference=lambda x, beta: x * torch.sigmoid(beta * x),
    inputs={"x": ("N", "D"), "beta": 1.5},
    backward=swish_backward,
)
def swish_forward(x, beta):
    s = 1.0 / (1.0 + np.exp(-beta * x))
    return x * s, (x, beta, s)


@gradverify.op(
    reference=lambda x, beta: x * torch.sigmoid(beta * x),
    inputs={"x": ("N", "D"), "beta": 1.5},
    backward=swish_backward_doubled,
    name="swish_doubled",
)
def swish_doubled_forward(x, beta):
    return swish_forward(x, beta)


@gradverify.op(
    reference=lambda x: F.relu6(x),
    inputs={"x": ("N", "D")},
    backward="relu6_backward",  # by name: resolved in this module when the op runs
    kinks=lambda x, band: (np.abs(x) <= band) | (np.abs(x - 6) <= 6 * band),
)
def relu6_forward(x):
    return np.clip(x, 0, 6), x


@gradverify.op(reference=lambda x, y: F.mse_loss(x, y), inputs={"x": ("N", "D"), "y": ("N", "D")}, loss=True, wrt="x")
def mse_loss(x, y):
    d = x - y
    return np.mean(d * d), 2 * d / d.size


def double_forward(x):
    return 2 * x, None


def double_backward(dout, cache):
    return 2 * dout


def _double_sample(rng: np.random.Generator, case: str) -> gradverify.Sample:
    return gradverify.Sample({"x": rng.standard_normal((int(rng.integers(1, 5)), 3))})


GRADVERIFY_OPS = [
    # declared the way the built-in ops are: an OpSpec from gradverify.declare, with its own sampler
    gradverify.declare(
        "double",
        family="own_decorated",
        forward=double_forward,
        backward=double_backward,
        reference=lambda x: 2 * x,
        sample=_double_sample,
    ),
    gradverify.op(
        "huber",
        loss=huber_loss,
        reference=lambda x, y: F.huber_loss(x, y),
        inputs={"x": ("N", "D"), "y": ("N", "D")},
        wrt="x",
    ),
]
assert relu6_backward  # imported for the name "relu6_backward" above
