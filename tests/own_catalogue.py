"""The custom layers of ``own_layers.py`` as ``gradverify.verify`` arguments: each op's torch
reference and inputs, its correct implementation, and its wrong ones with the diagnosis
gradverify must give."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

import gradverify
import own_layers as L


def relu6_kinks(x: np.ndarray, band: float) -> dict[str, np.ndarray]:
    """ReLU6 is not differentiable at 0 and 6."""
    return {"x": (np.abs(x) <= band) | (np.abs(x - 6) <= band * 6)}


@dataclass(frozen=True)
class OwnOp:
    """One op: ``call`` is the positional implementation (one callable: a loss; two: a pair;
    ``(forward, None)``: a forward alone); ``options`` the rest of ``verify``'s arguments."""

    name: str
    call: tuple[Any, ...]
    options: dict[str, Any] = field(default_factory=dict)

    def verify(self, *call: Any, **more: Any) -> Any:
        return gradverify.verify(*(call or self.call), name=self.name, **{**self.options, **more})


OPS = {
    "swish": OwnOp(
        "swish",
        (L.swish_forward, L.swish_backward),
        dict(reference=lambda x, beta: x * torch.sigmoid(beta * x), inputs={"x": ("N", "D"), "beta": 1.5}),
    ),
    "huber": OwnOp(
        "huber",
        (L.huber_loss,),
        dict(reference=lambda x, y: F.huber_loss(x, y), inputs={"x": ("N", "D"), "y": ("N", "D")}, wrt=("x",)),
    ),
    "glu": OwnOp(
        "glu",
        (L.glu_forward, L.glu_backward),
        dict(reference=lambda x: F.glu(x, dim=1), inputs={"x": ("N", 6)}),
    ),
    "linear": OwnOp(
        "linear",
        (L.linear_forward, L.linear_backward),
        dict(reference=lambda x, w: x @ w, inputs={"x": ("N", "D"), "w": ("D", "M")}, sizes={"D": (2, 5)}),
    ),
    "layerscale": OwnOp(
        "layerscale",
        (L.layerscale_forward, L.layerscale_backward),
        dict(reference=lambda x, gamma: x * gamma, inputs={"x": ("N", "D"), "gamma": ("D",)}, sizes={"N": (2, 6)}),
    ),
    "conv1d": OwnOp(
        "conv1d",
        (L.conv1d_forward, L.conv1d_backward),
        dict(
            reference=lambda x, w, b: F.conv1d(x, w, b),
            inputs={"x": ("N", "C", "L"), "w": ("F", "C", "K"), "b": ("F",)},
            sizes={"L": (4, 7), "K": (1, 3)},
        ),
    ),
    "rmsnorm": OwnOp(
        "rmsnorm",
        (L.rmsnorm_forward, None),
        dict(
            reference=lambda x, eps: x / torch.sqrt((x * x).mean(dim=1, keepdim=True) + eps),
            inputs={"x": ("N", "D"), "eps": 1e-5},
        ),
    ),
    "smoothed_ce": OwnOp(
        "smoothed_ce",
        (L.smoothed_ce_loss,),
        dict(
            reference=lambda x, y, eps: F.cross_entropy(x, y, label_smoothing=eps),
            inputs={"x": ("N", "C"), "y": gradverify.labels("N", classes="C"), "eps": 0.1},
            roles=gradverify.Roles(batch=("x",), labels="y", scores=("x",)),
        ),
    ),
    "masked_mse": OwnOp(
        "masked_mse",
        (L.masked_mse_loss,),
        dict(
            reference=lambda x, y, mask: ((x - y)[mask] ** 2).sum() / max(int(mask.sum()), 1),
            inputs={"x": ("N", "T"), "y": ("N", "T"), "mask": gradverify.mask("N", "T", p=0.7)},
            wrt="x",
        ),
    ),
    "relu6": OwnOp(
        "relu6",
        (L.relu6_forward, L.relu6_backward),
        dict(reference=lambda x: F.relu6(x), inputs={"x": ("N", "D")}, kinks=relu6_kinks),
    ),
}
"""Every op with its correct implementation."""

WRONG = [
    # (op, implementation, expected diagnosis, expected blame)
    ("swish", (L.swish_forward, L.swish_backward_doubled), "grad_scale", "backward"),
    ("swish", (L.swish_forward, L.swish_backward_negated), "grad_sign", "backward"),
    ("huber", (L.huber_loss_unaveraged,), "grad_scale", "backward"),
    ("glu", (L.glu_tanh_forward, L.glu_tanh_backward), "forward_mismatch", "forward"),
    ("linear", (L.linear_forward, L.linear_backward_transposed), "grad_transposed", None),
    ("layerscale", (L.layerscale_forward, L.layerscale_backward_first_row), "grad_mismatch", "backward"),
    ("conv1d", (L.conv1d_forward, L.conv1d_backward_last_window), "grad_mismatch", "backward"),
    ("rmsnorm", (L.rmsnorm_sum_forward, None), "forward_mismatch", "forward"),
    ("smoothed_ce", (L.smoothed_ce_loss_no_mean,), "grad_scale", "backward"),
]
"""Wrong implementations: what must be caught, and how it must be diagnosed."""
