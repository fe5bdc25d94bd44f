"""Torch forward references for the MyTorch activations (any shape in, same shape out)."""

from __future__ import annotations

import torch
from torch import Tensor


def identity(Z: Tensor) -> Tensor:
    """Z -> Z."""
    return Z


def sigmoid(Z: Tensor) -> Tensor:
    """Z -> 1 / (1 + exp(-Z))."""
    return torch.sigmoid(Z)


def tanh(Z: Tensor) -> Tensor:
    """Z -> tanh(Z)."""
    return torch.tanh(Z)


def relu(Z: Tensor) -> Tensor:
    """Z -> max(Z, 0), zero gradient at 0."""
    return torch.relu(Z)


def gelu(Z: Tensor) -> Tensor:
    """Z -> Z * Phi(Z), the exact (erf) GELU."""
    return torch.nn.functional.gelu(Z, approximate="none")


def softmax(Z: Tensor, dim: int = -1) -> Tensor:
    """Z -> softmax along dim (HW1P1 uses dim=1 of an (N, C) input)."""
    return torch.softmax(Z, dim=dim)
