"""Torch forward references for the MyTorch pooling layers (channels-first, no padding)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def maxpool2d(A: Tensor, kernel: int, stride: int = 1) -> Tensor:
    """A (N, C, H, W) -> (N, C, (H - kernel) // stride + 1, (W - kernel) // stride + 1)."""
    return F.max_pool2d(A, kernel, stride)


def meanpool2d(A: Tensor, kernel: int, stride: int = 1) -> Tensor:
    """A (N, C, H, W) -> (N, C, (H - kernel) // stride + 1, (W - kernel) // stride + 1)."""
    return F.avg_pool2d(A, kernel, stride)
