"""Torch forward references for the MyTorch BatchNorm1d (biased batch variance, eps = 1e-8)."""

from __future__ import annotations

import torch
from torch import Tensor


def batchnorm1d_train(Z: Tensor, BW: Tensor, Bb: Tensor, eps: float = 1e-8) -> Tensor:
    """Z (N, C), BW and Bb (1, C) -> BZ (N, C), normalized with the batch's own statistics."""
    M = Z.mean(dim=0, keepdim=True)
    V = Z.var(dim=0, unbiased=False, keepdim=True)
    return BW * (Z - M) / torch.sqrt(V + eps) + Bb


def batchnorm1d_eval(
    Z: Tensor, BW: Tensor, Bb: Tensor, running_M: Tensor, running_V: Tensor, eps: float = 1e-8
) -> Tensor:
    """Z (N, C), BW, Bb, running_M, running_V (1, C) -> BZ (N, C) with the running statistics."""
    return BW * (Z - running_M) / torch.sqrt(running_V + eps) + Bb


def running_stats(Z: Tensor, running_M: Tensor, running_V: Tensor, alpha: float = 0.9) -> tuple[Tensor, Tensor]:
    """Z (N, C), running_M, running_V (1, C) -> next (running_M, running_V): alpha old + (1 - alpha) batch."""
    M = Z.mean(dim=0, keepdim=True)
    V = Z.var(dim=0, unbiased=False, keepdim=True)
    return alpha * running_M + (1 - alpha) * M, alpha * running_V + (1 - alpha) * V
