"""Multiclass SVM loss variants as differentiable torch expressions.

Inputs: W (D, C), X (N, D), y (N,) int64, reg and delta Python floats.
Every loss is averaged over N and adds reg * sum(W * W). torch.relu is used
for the hinge because its gradient at exactly zero is zero, matching impl.
"""

from __future__ import annotations

import torch
from torch import Tensor


def _margins(W: Tensor, X: Tensor, y: Tensor, delta: float) -> Tensor:
    """
    Inputs:
    - W: A tensor of shape (D, C).
    - X: A tensor of shape (N, D).
    - y: An int64 tensor of shape (N,).
    - delta: (float) margin.

    Returns:
    - margins: A tensor of shape (N, C), s_ij - s_{i,y_i} + delta.
    """
    scores = X @ W
    correct = scores.gather(1, y.unsqueeze(1))
    return scores - correct + delta


def _incorrect_hinge(W: Tensor, X: Tensor, y: Tensor, delta: float) -> Tensor:
    """
    Inputs: as _margins.

    Returns:
    - hinge: A tensor of shape (N, C), max(0, margin) with j == y_i zeroed.
    """
    hinge = torch.relu(_margins(W, X, y, delta))
    is_correct = torch.nn.functional.one_hot(y, W.shape[1]).bool()
    return hinge.masked_fill(is_correct, 0.0)


def svm_loss(W: Tensor, X: Tensor, y: Tensor, reg: float, delta: float = 1.0) -> Tensor:
    """
    Standard multiclass SVM loss (sum over j != y_i).

    Inputs:
    - W: A tensor of shape (D, C).
    - X: A tensor of shape (N, D).
    - y: An int64 tensor of shape (N,), 0 <= y[i] < C.
    - reg: (float) regularization strength.
    - delta: (float) margin.

    Returns:
    - loss: A 0-d tensor.
    """
    hinge = _incorrect_hinge(W, X, y, delta)
    return hinge.sum() / X.shape[0] + reg * (W * W).sum()


def svm_loss_all_classes(W: Tensor, X: Tensor, y: Tensor, reg: float, delta: float = 1.0) -> Tensor:
    """
    SVM loss with the hinge sum over all classes, including j = y_i.

    Inputs/Returns: as svm_loss; loss is a 0-d tensor.
    """
    hinge = torch.relu(_margins(W, X, y, delta))
    return hinge.sum() / X.shape[0] + reg * (W * W).sum()


def svm_loss_class_mean(W: Tensor, X: Tensor, y: Tensor, reg: float, delta: float = 1.0) -> Tensor:
    """
    SVM loss with the per-example hinge sum divided by C - 1.

    Inputs/Returns: as svm_loss; loss is a 0-d tensor. Requires C >= 2.
    """
    N, C = X.shape[0], W.shape[1]
    hinge = _incorrect_hinge(W, X, y, delta)
    return hinge.sum() / (N * (C - 1)) + reg * (W * W).sum()


def squared_hinge_loss(W: Tensor, X: Tensor, y: Tensor, reg: float, delta: float = 1.0) -> Tensor:
    """
    Squared hinge loss: sum over j != y_i of max(0, margin) ** 2.

    Inputs/Returns: as svm_loss; loss is a 0-d tensor.
    """
    hinge = _incorrect_hinge(W, X, y, delta)
    return (hinge * hinge).sum() / X.shape[0] + reg * (W * W).sum()
