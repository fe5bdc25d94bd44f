"""Softmax cross-entropy loss for a linear classifier in torch."""

from __future__ import annotations

import torch
from torch import Tensor


def softmax_loss(W: Tensor, X: Tensor, y: Tensor, reg: float) -> Tensor:
    """
    Mean softmax cross-entropy of X W plus reg * sum(W * W).

    Inputs:
    - W: A tensor of shape (D, C).
    - X: A tensor of shape (N, D).
    - y: An int64 tensor of shape (N,), 0 <= y[i] < C.
    - reg: (float) regularization strength.

    Returns:
    - loss: A 0-d tensor.
    """
    # log_softmax is computed stably (max-shifted) by torch.
    log_probs = torch.log_softmax(X @ W, dim=1)
    data_loss = -log_probs.gather(1, y.unsqueeze(1)).mean()
    return data_loss + reg * (W * W).sum()
