"""
Torch forward references for Course 1, weeks 3 and 4 (column-major, as in impl/dls/deep_nn.py).

Shapes: X, A[l] (n_l, m); W[l] (n_l, n_{l-1}); b[l] (n_l, 1); Y, AL (1, m).
Gradients come from autograd, not from these functions.
"""

from __future__ import annotations

import torch
from torch import Tensor

Params = dict[str, Tensor]


def sigmoid(Z: Tensor) -> Tensor:
    """Z: any shape -> 1 / (1 + exp(-Z)), same shape."""
    return torch.sigmoid(Z)


def relu(Z: Tensor) -> Tensor:
    """Z: any shape -> max(Z, 0), same shape (zero gradient at 0, like the course)."""
    return torch.relu(Z)


def linear_forward(A: Tensor, W: Tensor, b: Tensor) -> Tensor:
    """A (n_{l-1}, m), W (n_l, n_{l-1}), b (n_l, 1) -> Z = W A + b, (n_l, m)."""
    return W @ A + b


def linear_activation_forward(A_prev: Tensor, W: Tensor, b: Tensor, activation: str) -> Tensor:
    """A_prev (n_{l-1}, m), W (n_l, n_{l-1}), b (n_l, 1), activation "sigmoid"|"relu" -> A (n_l, m)."""
    Z = linear_forward(A_prev, W, b)
    if activation == "sigmoid":
        return sigmoid(Z)
    if activation == "relu":
        return relu(Z)
    raise ValueError(f"activation must be 'sigmoid' or 'relu', got {activation!r}")


def L_model_forward(X: Tensor, parameters: Params) -> Tensor:
    """X (n_x, m), parameters W1..WL, b1..bL -> AL (n_L, m): ReLU hidden layers, sigmoid output."""
    L = len(parameters) // 2
    A = X
    for i in range(1, L + 1):
        A = linear_activation_forward(A, parameters[f"W{i}"], parameters[f"b{i}"], "sigmoid" if i == L else "relu")
    return A


def compute_cost(AL: Tensor, Y: Tensor) -> Tensor:
    """AL, Y (1, m) -> 0-d tensor, -(1/m) sum(Y log AL + (1 - Y) log(1 - AL))."""
    m = Y.shape[1]
    return -(Y * torch.log(AL) + (1 - Y) * torch.log(1 - AL)).sum() / m


def forward_propagation(X: Tensor, parameters: Params) -> Tensor:
    """Week 3: X (n_x, m), W1 (n_h, n_x), b1 (n_h, 1), W2 (n_y, n_h), b2 (n_y, 1) -> A2 (n_y, m), tanh hidden."""
    A1 = torch.tanh(parameters["W1"] @ X + parameters["b1"])
    return torch.sigmoid(parameters["W2"] @ A1 + parameters["b2"])


def update_parameters(parameters: Params, grads: Params, learning_rate: float) -> Params:
    """parameters {"W1", "b1", ...}, grads {"dW1", "db1", ...} -> next parameters, p - lr * dp."""
    return {k: p - learning_rate * grads["d" + k] for k, p in parameters.items()}
