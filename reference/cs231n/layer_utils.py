"""Forward-only torch version of the affine-relu convenience layer."""

from __future__ import annotations

import torch
from torch import Tensor


def affine_relu(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """
    Inputs:
    - x: A tensor of shape (N, d_1, ..., d_k), reshaped to (N, D).
    - w: A tensor of shape (D, M).
    - b: A tensor of shape (M,).

    Returns:
    - out: A tensor of shape (N, M), relu(x w + b).
    """
    return torch.relu(x.reshape(x.shape[0], -1) @ w + b)
