"""Torch forward reference for the MyTorch Linear layer."""

from __future__ import annotations

from torch import Tensor


def linear(A: Tensor, W: Tensor, b: Tensor) -> Tensor:
    """A (*, C_in), W (C_out, C_in), b (C_out,) or (C_out, 1) -> Z (*, C_out) = A W^T + b."""
    return A @ W.T + b.reshape(-1)
