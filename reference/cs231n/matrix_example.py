"""Forward-only torch version of the lecture's matrix example."""

from __future__ import annotations

import torch
from torch import Tensor


def matrix_example(X: Tensor, W1: Tensor, W2: Tensor) -> Tensor:
    """
    loss = ||relu(X W1) W2||_F^2.

    Inputs:
    - X: A tensor of shape (N, D).
    - W1: A tensor of shape (D, H).
    - W2: A tensor of shape (H, C).

    Returns:
    - loss: A 0-d tensor.
    """
    y_hat = torch.relu(X @ W1) @ W2
    return (y_hat * y_hat).sum()
