"""
Torch references for the Course 2, week 2 update rules: each returns the next state.

parameters {"W1", "b1", ...}; grads, v, s {"dW1", "db1", ...}; same shapes per layer.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

Params = dict[str, Tensor]


def update_parameters_with_gd(parameters: Params, grads: Params, learning_rate: float) -> Params:
    """Next parameters: p - lr * dp."""
    return {k: p - learning_rate * grads["d" + k] for k, p in parameters.items()}


def update_parameters_with_momentum(
    parameters: Params, grads: Params, v: Params, beta: float, learning_rate: float
) -> tuple[Params, Params]:
    """v' = beta v + (1 - beta) dp;  p' = p - lr v'. Returns (p', v')."""
    v_next = {k: beta * v[k] + (1 - beta) * grads[k] for k in v}
    return {k: p - learning_rate * v_next["d" + k] for k, p in parameters.items()}, v_next


def update_parameters_with_adam(
    parameters: Params,
    grads: Params,
    v: Params,
    s: Params,
    t: int,
    learning_rate: float = 0.01,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
) -> tuple[Params, Params, Params]:
    """Adam with bias correction, epsilon outside the square root. Returns (p', v', s')."""
    v_next = {k: beta1 * v[k] + (1 - beta1) * grads[k] for k in v}
    s_next = {k: beta2 * s[k] + (1 - beta2) * grads[k] ** 2 for k in s}
    c1, c2 = 1 - math.pow(beta1, t), 1 - math.pow(beta2, t)
    new = {
        k: p - learning_rate * (v_next["d" + k] / c1) / (torch.sqrt(s_next["d" + k] / c2) + epsilon)
        for k, p in parameters.items()
    }
    return new, v_next, s_next
