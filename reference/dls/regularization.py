"""
Torch forward references for Course 2, week 1 (the 3-layer regularization network).

X (n_x, m); W1 (n_1, n_x), b1 (n_1, 1); W2 (n_2, n_1), b2 (n_2, 1); W3 (1, n_2), b3 (1, 1);
Y, A3 (1, m). Dropout masks are inputs here (D1 (n_1, m), D2 (n_2, m) of 0/1), so autograd
differentiates the same network the NumPy forward pass sampled.
"""

from __future__ import annotations

import torch
from torch import Tensor

Params = dict[str, Tensor]


def forward_propagation(X: Tensor, parameters: Params) -> Tensor:
    """X (n_x, m) -> A3 (1, m): LINEAR-RELU-LINEAR-RELU-LINEAR-SIGMOID."""
    A1 = torch.relu(parameters["W1"] @ X + parameters["b1"])
    A2 = torch.relu(parameters["W2"] @ A1 + parameters["b2"])
    return torch.sigmoid(parameters["W3"] @ A2 + parameters["b3"])


def forward_propagation_with_dropout(X: Tensor, parameters: Params, keep_prob: float, D1: Tensor, D2: Tensor) -> Tensor:
    """X (n_x, m), fixed masks D1 (n_1, m), D2 (n_2, m), inverted dropout -> A3 (1, m)."""
    A1 = torch.relu(parameters["W1"] @ X + parameters["b1"]) * D1 / keep_prob
    A2 = torch.relu(parameters["W2"] @ A1 + parameters["b2"]) * D2 / keep_prob
    return torch.sigmoid(parameters["W3"] @ A2 + parameters["b3"])


def compute_cost(A3: Tensor, Y: Tensor) -> Tensor:
    """A3, Y (1, m) -> 0-d tensor, mean binary cross-entropy (sum over m divided by m)."""
    m = Y.shape[1]
    return -(Y * torch.log(A3) + (1 - Y) * torch.log(1 - A3)).sum() / m


def compute_cost_with_regularization(A3: Tensor, Y: Tensor, parameters: Params, lambd: float) -> Tensor:
    """Cross-entropy plus lambd / (2 m) * sum of every squared "W<l>" entry; 0-d tensor."""
    m = Y.shape[1]
    l2 = sum((W**2).sum() for k, W in parameters.items() if k.startswith("W"))
    return compute_cost(A3, Y) + lambd / (2 * m) * l2
