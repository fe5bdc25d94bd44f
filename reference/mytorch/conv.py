"""
Torch forward references for the MyTorch convolutions (channels-first, W (C_out, C_in, K[, K])).

The transposed layers are references for the handout's construction, zero-insertion
upsampling followed by a stride-1 valid convolution, which is not torch.nn.ConvTranspose.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from .resampling import upsample1d, upsample2d


def conv1d(A: Tensor, W: Tensor, b: Tensor, stride: int = 1, padding: int = 0) -> Tensor:
    """A (N, C_in, W_in), W (C_out, C_in, K), b (C_out,) -> (N, C_out, (W_in + 2 p - K) // stride + 1)."""
    return F.conv1d(A, W, b, stride=stride, padding=padding)


def conv2d(A: Tensor, W: Tensor, b: Tensor, stride: int = 1, padding: int = 0) -> Tensor:
    """A (N, C_in, H, W), W (C_out, C_in, K, K), b (C_out,) -> (N, C_out, H_out, W_out)."""
    return F.conv2d(A, W, b, stride=stride, padding=padding)


def conv_transpose1d(A: Tensor, W: Tensor, b: Tensor, upsampling_factor: int) -> Tensor:
    """A (N, C_in, W_in), W (C_out, C_in, K) -> (N, C_out, k (W_in - 1) + 2 - K)."""
    return F.conv1d(upsample1d(A, upsampling_factor), W, b)


def conv_transpose2d(A: Tensor, W: Tensor, b: Tensor, upsampling_factor: int) -> Tensor:
    """A (N, C_in, H, W), W (C_out, C_in, K, K) -> (N, C_out, k (H - 1) + 2 - K, k (W - 1) + 2 - K)."""
    return F.conv2d(upsample2d(A, upsampling_factor), W, b)


def flatten(A: Tensor) -> Tensor:
    """A (N, ...) -> (N, prod(...))."""
    return A.reshape(A.shape[0], -1)
