"""Convenience layers with normalization: affine - batchnorm / layernorm - ReLU."""

from __future__ import annotations

from typing import Any

import numpy as np

from .layers import affine_backward, affine_forward, relu_backward, relu_forward
from .normalization import batchnorm_backward, batchnorm_forward, layernorm_backward, layernorm_forward


def affine_bn_relu_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, gamma: np.ndarray, beta: np.ndarray, bn_param: dict[str, Any]
) -> tuple[np.ndarray, Any]:
    """
    Convenience layer that performs an affine transform, batch normalization
    and a ReLU.

    Inputs:
    - x: A numpy array of shape (N, d_1, ..., d_k), input to the affine layer.
    - w: A numpy array of shape (D, M), weights, D = d_1 * ... * d_k.
    - b: A numpy array of shape (M,), biases.
    - gamma: A numpy array of shape (M,), batchnorm scale.
    - beta: A numpy array of shape (M,), batchnorm shift.
    - bn_param: Dictionary of batchnorm parameters (see batchnorm_forward);
      a train step stores the running statistics back into it.

    Returns a tuple of:
    - out: A numpy array of shape (N, M), output from the ReLU.
    - cache: Object to give to the backward pass.
    """
    a, fc_cache = affine_forward(x, w, b)
    an, bn_cache = batchnorm_forward(a, gamma, beta, bn_param)
    out, relu_cache = relu_forward(an)
    return out, (fc_cache, bn_cache, relu_cache)


def affine_bn_relu_backward(
    dout: np.ndarray, cache: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """
    Backward pass for the affine-batchnorm-relu convenience layer.

    Inputs:
    - dout: A numpy array of shape (N, M), upstream derivative.
    - cache: The cache returned by affine_bn_relu_forward.

    Returns a tuple of:
    - dx: A numpy array of shape (N, d_1, ..., d_k), gradient w.r.t. x.
    - dw: A numpy array of shape (D, M), gradient w.r.t. w.
    - db: A numpy array of shape (M,), gradient w.r.t. b.
    - dgamma: A numpy array of shape (M,), gradient w.r.t. gamma.
    - dbeta: A numpy array of shape (M,), gradient w.r.t. beta.
    """
    fc_cache, bn_cache, relu_cache = cache
    # out = relu(an)
    dan = relu_backward(dout, relu_cache)
    # an = batchnorm(a)
    da, dgamma, dbeta = batchnorm_backward(dan, bn_cache)
    # a = x w + b
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db, dgamma, dbeta


def affine_ln_relu_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, gamma: np.ndarray, beta: np.ndarray, ln_param: dict[str, Any]
) -> tuple[np.ndarray, Any]:
    """
    Convenience layer that performs an affine transform, layer normalization
    and a ReLU.

    Inputs:
    - x: A numpy array of shape (N, d_1, ..., d_k), input to the affine layer.
    - w: A numpy array of shape (D, M), weights, D = d_1 * ... * d_k.
    - b: A numpy array of shape (M,), biases.
    - gamma: A numpy array of shape (M,), layernorm scale.
    - beta: A numpy array of shape (M,), layernorm shift.
    - ln_param: Dictionary of layernorm parameters (see layernorm_forward).

    Returns a tuple of:
    - out: A numpy array of shape (N, M), output from the ReLU.
    - cache: Object to give to the backward pass.
    """
    a, fc_cache = affine_forward(x, w, b)
    an, ln_cache = layernorm_forward(a, gamma, beta, ln_param)
    out, relu_cache = relu_forward(an)
    return out, (fc_cache, ln_cache, relu_cache)


def affine_ln_relu_backward(
    dout: np.ndarray, cache: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """
    Backward pass for the affine-layernorm-relu convenience layer.

    Inputs:
    - dout: A numpy array of shape (N, M), upstream derivative.
    - cache: The cache returned by affine_ln_relu_forward.

    Returns a tuple of:
    - dx: A numpy array of shape (N, d_1, ..., d_k), gradient w.r.t. x.
    - dw: A numpy array of shape (D, M), gradient w.r.t. w.
    - db: A numpy array of shape (M,), gradient w.r.t. b.
    - dgamma: A numpy array of shape (M,), gradient w.r.t. gamma.
    - dbeta: A numpy array of shape (M,), gradient w.r.t. beta.
    """
    fc_cache, ln_cache, relu_cache = cache
    # out = relu(an)
    dan = relu_backward(dout, relu_cache)
    # an = layernorm(a)
    da, dgamma, dbeta = layernorm_backward(dan, ln_cache)
    # a = x w + b
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db, dgamma, dbeta
