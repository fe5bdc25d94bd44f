"""Forward-only torch versions of the convolution and max-pooling layers."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor


def conv(x: Tensor, w: Tensor, b: Tensor, conv_param: dict) -> Tensor:
    """
    Cross-correlation of x with every filter, as the course's conv layer computes it.

    Inputs:
    - x: A tensor of shape (N, C, H, W).
    - w: A tensor of shape (F, C, HH, WW).
    - b: A tensor of shape (F,).
    - conv_param: A dictionary with keys 'stride' and 'pad' (zero padding on both sides).

    Returns:
    - out: A tensor of shape (N, F, H', W'), H' = 1 + (H + 2 * pad - HH) // stride,
      W' = 1 + (W + 2 * pad - WW) // stride.
    """
    return F.conv2d(x, w, b, stride=conv_param["stride"], padding=conv_param["pad"])


def max_pool(x: Tensor, pool_param: dict) -> Tensor:
    """
    Max pooling without padding; autograd routes a window's gradient to its first maximum.

    Inputs:
    - x: A tensor of shape (N, C, H, W).
    - pool_param: A dictionary with keys 'pool_height', 'pool_width' and 'stride'.

    Returns:
    - out: A tensor of shape (N, C, H', W'), H' = 1 + (H - pool_height) // stride,
      W' = 1 + (W - pool_width) // stride.
    """
    window = (pool_param["pool_height"], pool_param["pool_width"])
    return F.max_pool2d(x, window, stride=pool_param["stride"])


class _AssignedPool(torch.autograd.Function):
    """Max pooling whose backward ASSIGNS each window's upstream gradient to its maximum,
    windows in (n, c, i, j) order, so a later overlapping window overwrites an earlier one
    instead of adding to it: the lookalike bug of a naive loop that writes ``dx[...] = dout``."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, ph: int, pw: int, stride: int) -> Tensor:
        out, idx = F.max_pool2d(x, (ph, pw), stride, return_indices=True)
        ctx.save_for_backward(idx)
        ctx.shape = x.shape
        return out

    @staticmethod
    def backward(ctx: Any, dout: Tensor) -> tuple[Tensor | None, ...]:
        (idx,) = ctx.saved_tensors
        n, c, h, w = ctx.shape
        dx = torch.zeros(n, c, h * w, dtype=dout.dtype)
        flat_idx, flat_dout = idx.reshape(n, c, -1), dout.reshape(n, c, -1)
        for k in range(flat_idx.shape[2]):  # in window order: the last write wins, as in the loop
            dx[torch.arange(n)[:, None], torch.arange(c)[None, :], flat_idx[:, :, k]] = flat_dout[:, :, k]
        return dx.reshape(n, c, h, w), None, None, None


def max_pool_assigned(x: Tensor, pool_param: dict) -> Tensor:
    """``max_pool`` with the assigning backward of ``_AssignedPool`` (for diagnosis only)."""
    return _AssignedPool.apply(x, pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"])
