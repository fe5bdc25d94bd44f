"""Convolution and max pooling: the fast layers vs torch, and naive vs fast.

Sizes of the issue: a batch of N = 50 CIFAR-sized images (C = 3, 32 x 32) through F = 32
filters of 3 x 3, stride 1, pad 1; max pooling 2 x 2 with stride 2 on that layer's output
(50 x 32 x 32 x 32). Every call is forward plus backward with a fixed upstream gradient;
torch's baseline is ``conv2d`` / ``max_pool2d`` plus ``autograd.grad`` in the same dtype.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from gradverify.bench.timing import Row, Settings, pair, row, with_goal
from gradverify.impl.cs231n.conv_layers import (
    conv_backward_naive,
    conv_forward_naive,
    max_pool_backward_naive,
    max_pool_forward_naive,
)
from gradverify.impl.cs231n.fast_layers import (
    conv_backward_fast,
    conv_forward_fast,
    max_pool_backward_fast,
    max_pool_forward_fast,
)

TORCH_GOAL = 3.0
"""Goal of the issue: the fast layers within 3x of torch's forward + backward."""

CONV = {"stride": 1, "pad": 1}
POOL = {"pool_height": 2, "pool_width": 2, "stride": 2}


def _conv_data(n: int, dtype: type, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x": rng.standard_normal((n, 3, 32, 32)).astype(dtype),
        "w": rng.standard_normal((32, 3, 3, 3)).astype(dtype),
        "b": rng.standard_normal(32).astype(dtype),
        "dout": rng.standard_normal((n, 32, 32, 32)).astype(dtype),
    }


def _pool_data(n: int, dtype: type, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x": rng.standard_normal((n, 32, 32, 32)).astype(dtype),
        "dout": rng.standard_normal((n, 32, 16, 16)).astype(dtype),
    }


def conv_numpy(forward: Callable, backward: Callable, a: dict[str, np.ndarray]) -> Callable[[], Any]:
    def call() -> Any:
        _, cache = forward(a["x"], a["w"], a["b"], CONV)
        return backward(a["dout"], cache)

    return call


def conv_torch(a: dict[str, np.ndarray]) -> Callable[[], Any]:
    x, w, b = (torch.from_numpy(a[k]).requires_grad_(True) for k in ("x", "w", "b"))
    dout = torch.from_numpy(a["dout"])

    def call() -> Any:
        out = F.conv2d(x, w, b, stride=CONV["stride"], padding=CONV["pad"])
        return torch.autograd.grad(out, (x, w, b), dout)

    return call


def pool_numpy(forward: Callable, backward: Callable, a: dict[str, np.ndarray]) -> Callable[[], Any]:
    def call() -> Any:
        _, cache = forward(a["x"], POOL)
        return backward(a["dout"], cache)

    return call


def pool_torch(a: dict[str, np.ndarray]) -> Callable[[], Any]:
    x = torch.from_numpy(a["x"]).requires_grad_(True)
    dout = torch.from_numpy(a["dout"])

    def call() -> Any:
        out = F.max_pool2d(x, POOL["pool_height"], POOL["stride"])
        return torch.autograd.grad(out, (x,), dout)

    return call


def run(settings: Settings) -> list[Row]:
    n = 8 if settings.quick else 50
    # the naive loops visit every output pixel in Python: a smaller batch, fewer repeats
    n_naive = 2 if settings.quick else 10
    rows = []
    for dtype in (np.float32, np.float64):
        a = _conv_data(n, dtype)
        conv = {"N": n, "C": 3, "H": 32, "W": 32, "F": 32, "HH": 3, "WW": 3, **CONV, "dtype": dtype.__name__}
        times = pair(conv_numpy(conv_forward_fast, conv_backward_fast, a), conv_torch(a), settings)
        r = row("conv", "conv_forward_fast+conv_backward_fast", "torch conv2d forward+backward", times, **conv)
        rows.append(with_goal(r, TORCH_GOAL))
        a = _conv_data(n_naive, dtype)
        times = pair(
            conv_numpy(conv_forward_fast, conv_backward_fast, a),
            conv_numpy(conv_forward_naive, conv_backward_naive, a),
            settings,
            repeat=3,
        )
        rows.append(
            row(
                "conv",
                "conv_forward_fast+conv_backward_fast",
                "conv_forward_naive+conv_backward_naive",
                times,
                **{**conv, "N": n_naive},
            )
        )

        a = _pool_data(n, dtype)
        pool = {"N": n, "C": 32, "H": 32, "W": 32, **POOL, "dtype": dtype.__name__}
        times = pair(pool_numpy(max_pool_forward_fast, max_pool_backward_fast, a), pool_torch(a), settings)
        r = row(
            "max_pool",
            "max_pool_forward_fast+max_pool_backward_fast",
            "torch max_pool2d forward+backward",
            times,
            **pool,
        )
        rows.append(with_goal(r, TORCH_GOAL))
        a = _pool_data(n_naive, dtype)
        times = pair(
            pool_numpy(max_pool_forward_fast, max_pool_backward_fast, a),
            pool_numpy(max_pool_forward_naive, max_pool_backward_naive, a),
            settings,
            repeat=3,
        )
        rows.append(
            row(
                "max_pool",
                "max_pool_forward_fast+max_pool_backward_fast",
                "max_pool_forward_naive+max_pool_backward_naive",
                times,
                **{**pool, "N": n_naive},
            )
        )
    return rows
