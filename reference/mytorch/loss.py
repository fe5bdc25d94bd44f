"""Torch forward references for the MyTorch losses (S24 conventions)."""

from __future__ import annotations

import torch
from torch import Tensor


def mse_loss(A: Tensor, Y: Tensor) -> Tensor:
    """A, Y (N, C) -> 0-d tensor, sum((A - Y)^2) / (N C)."""
    return ((A - Y) ** 2).sum() / A.numel()


def cross_entropy_loss(A: Tensor, Y: Tensor) -> Tensor:
    """A logits (N, C), Y target rows (N, C) -> 0-d tensor, mean over N of -sum_c Y log softmax(A)."""
    return -(Y * torch.log_softmax(A, dim=1)).sum() / A.shape[0]
