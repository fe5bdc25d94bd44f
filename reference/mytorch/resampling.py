"""Torch forward references for the MyTorch resampling layers (channels-first)."""

from __future__ import annotations

import torch
from torch import Tensor


def upsample1d(A: Tensor, k: int) -> Tensor:
    """A (N, C, W) -> (N, C, k (W - 1) + 1), k - 1 zeros between neighbours."""
    N, C, W = A.shape
    W_out = k * (W - 1) + 1
    return A.new_zeros((N, C, W_out)).index_copy(2, torch.arange(0, W_out, k), A)


def downsample1d(A: Tensor, k: int) -> Tensor:
    """A (N, C, W) -> (N, C, ceil(W / k)), every k-th sample from index 0."""
    return A[:, :, ::k]


def upsample2d(A: Tensor, k: int) -> Tensor:
    """A (N, C, H, W) -> (N, C, k (H - 1) + 1, k (W - 1) + 1)."""
    N, C, H, W = A.shape
    H_out, W_out = k * (H - 1) + 1, k * (W - 1) + 1
    # scatter the columns first, then the rows; index_copy is differentiable in its source
    cols = A.new_zeros((N, C, H, W_out)).index_copy(3, torch.arange(0, W_out, k), A)
    return A.new_zeros((N, C, H_out, W_out)).index_copy(2, torch.arange(0, H_out, k), cols)


def downsample2d(A: Tensor, k: int) -> Tensor:
    """A (N, C, H, W) -> (N, C, ceil(H / k), ceil(W / k))."""
    return A[:, :, ::k, ::k]
