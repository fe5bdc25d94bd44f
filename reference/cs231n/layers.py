"""Forward-only torch versions of the modular layers."""

from __future__ import annotations

import torch
from torch import Tensor


def affine(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """
    Inputs:
    - x: A tensor of shape (N, d_1, ..., d_k), reshaped to (N, D).
    - w: A tensor of shape (D, M).
    - b: A tensor of shape (M,).

    Returns:
    - out: A tensor of shape (N, M).
    """
    return x.reshape(x.shape[0], -1) @ w + b


def relu(x: Tensor) -> Tensor:
    """
    Inputs:
    - x: A tensor of any shape.

    Returns:
    - out: A tensor of the same shape, max(x, 0) (zero gradient at x == 0).
    """
    return torch.relu(x)


def svm_loss(x: Tensor, y: Tensor) -> Tensor:
    """
    Scores-level multiclass SVM loss with delta = 1, averaged over N.

    Inputs:
    - x: A tensor of shape (N, C) of class scores.
    - y: An int64 tensor of shape (N,), 0 <= y[i] < C.

    Returns:
    - loss: A 0-d tensor.
    """
    margins = x - x.gather(1, y.unsqueeze(1)) + 1.0
    is_correct = torch.nn.functional.one_hot(y, x.shape[1]).bool()
    hinge = torch.relu(margins).masked_fill(is_correct, 0.0)
    return hinge.sum() / x.shape[0]


def softmax_loss(x: Tensor, y: Tensor) -> Tensor:
    """
    Scores-level softmax cross-entropy, averaged over N.

    Inputs:
    - x: A tensor of shape (N, C) of class scores.
    - y: An int64 tensor of shape (N,), 0 <= y[i] < C.

    Returns:
    - loss: A 0-d tensor.
    """
    return -torch.log_softmax(x, dim=1).gather(1, y.unsqueeze(1)).mean()
