"""
Torch forward references for Course 4, week 1, in the course's channels-last (NHWC) layout.

A_prev (m, n_H_prev, n_W_prev, n_C_prev); W (f, f, n_C_prev, n_C); b (1, 1, 1, n_C).
torch.nn.functional works channels-first, so tensors are permuted in and out.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def zero_pad(X: Tensor, pad: int) -> Tensor:
    """X (m, n_H, n_W, n_C) -> (m, n_H + 2 pad, n_W + 2 pad, n_C), zeros on the spatial borders."""
    return F.pad(X, (0, 0, pad, pad, pad, pad))


def conv_single_step(a_slice_prev: Tensor, W: Tensor, b: Tensor) -> Tensor:
    """a_slice_prev, W (f, f, n_C_prev); b (1, 1, 1) -> 0-d tensor sum(a * W) + b."""
    return (a_slice_prev * W).sum() + b.reshape(())


def conv_forward(A_prev: Tensor, W: Tensor, b: Tensor, stride: int, pad: int) -> Tensor:
    """A_prev (m, H, W, C_prev), W (f, f, C_prev, C), b (1, 1, 1, C) -> Z (m, n_H, n_W, C)."""
    # contiguous: torch's CPU convolution backward rejects permuted (strided) weights
    x = A_prev.permute(0, 3, 1, 2).contiguous()  # NHWC -> NCHW
    w = W.permute(3, 2, 0, 1).contiguous()  # (f, f, C_prev, C) -> (C, C_prev, f, f)
    z = F.conv2d(x, w, b.reshape(-1), stride=stride, padding=pad)
    return z.permute(0, 2, 3, 1)


def pool_forward(A_prev: Tensor, f: int, stride: int, mode: str = "max") -> Tensor:
    """A_prev (m, H, W, C) -> (m, (H - f) // stride + 1, (W - f) // stride + 1, C), no padding."""
    x = A_prev.permute(0, 3, 1, 2)
    if mode == "max":
        y = F.max_pool2d(x, f, stride)
    elif mode == "average":
        y = F.avg_pool2d(x, f, stride)
    else:
        raise ValueError(f"mode must be 'max' or 'average', got {mode!r}")
    return y.permute(0, 2, 3, 1)
