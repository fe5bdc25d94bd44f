"""Forward-only torch versions of the affine - norm - ReLU convenience layers."""

from __future__ import annotations

import torch
from torch import Tensor

from .normalization import batchnorm_train, layernorm


def affine_bn_relu(
    x: Tensor,
    w: Tensor,
    b: Tensor,
    gamma: Tensor,
    beta: Tensor,
    running_mean: Tensor,
    running_var: Tensor,
    momentum: float = 0.9,
    eps: float = 1e-5,
) -> dict[str, Tensor]:
    """
    Train-mode affine - batchnorm - ReLU.

    Inputs:
    - x: A tensor of shape (N, d_1, ..., d_k), reshaped to (N, D), N >= 2.
    - w: A tensor of shape (D, M); b, gamma, beta: tensors of shape (M,).
    - running_mean, running_var: Tensors of shape (M,), the statistics before the step.
    - momentum, eps: As in the course's bn_param.

    Returns a dict of:
    - out: A tensor of shape (N, M).
    - running_mean, running_var: Tensors of shape (M,), after the step.
    """
    a = x.reshape(x.shape[0], -1) @ w + b
    bn = batchnorm_train(a, gamma, beta, running_mean, running_var, momentum, eps)
    return {**bn, "out": torch.relu(bn["out"])}


def affine_ln_relu(x: Tensor, w: Tensor, b: Tensor, gamma: Tensor, beta: Tensor, eps: float = 1e-5) -> Tensor:
    """
    Affine - layernorm - ReLU.

    Inputs:
    - x: A tensor of shape (N, d_1, ..., d_k), reshaped to (N, D).
    - w: A tensor of shape (D, M); b, gamma, beta: tensors of shape (M,).
    - eps: As in the course's ln_param.

    Returns:
    - out: A tensor of shape (N, M).
    """
    a = x.reshape(x.shape[0], -1) @ w + b
    return torch.relu(layernorm(a, gamma, beta, eps))
