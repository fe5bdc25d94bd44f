"""Convenience layers composed from the primitives in impl.layers."""

from __future__ import annotations

from typing import Any

import numpy as np

from .layers import affine_backward, affine_forward, relu_backward, relu_forward


def affine_relu_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, Any]:
    """
    Convenience layer that performs an affine transform followed by a ReLU.

    Inputs:
    - x: A numpy array of shape (N, d_1, ..., d_k), input to the affine layer.
    - w: A numpy array of shape (D, M), weights, D = d_1 * ... * d_k.
    - b: A numpy array of shape (M,), biases.

    Returns a tuple of:
    - out: A numpy array of shape (N, M), output from the ReLU.
    - cache: Object to give to the backward pass.
    """
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Backward pass for the affine-relu convenience layer.

    Inputs:
    - dout: A numpy array of shape (N, M), upstream derivative.
    - cache: The cache returned by affine_relu_forward.

    Returns a tuple of:
    - dx: A numpy array of shape (N, d_1, ..., d_k), gradient w.r.t. x.
    - dw: A numpy array of shape (D, M), gradient w.r.t. w.
    - db: A numpy array of shape (M,), gradient w.r.t. b.
    """
    fc_cache, relu_cache = cache
    # out = relu(a)
    da = relu_backward(dout, relu_cache)
    # a = x w + b
    return affine_backward(da, fc_cache)


# The course's layer_utils.py also holds the convolutional and normalized sandwich layers;
# they live in conv_layer_utils and norm_layer_utils and are re-exported here.
from .conv_layer_utils import conv_relu_backward, conv_relu_forward, conv_relu_pool_backward, conv_relu_pool_forward  # noqa: E402
from .norm_layer_utils import (  # noqa: E402
    affine_bn_relu_backward,
    affine_bn_relu_forward,
    affine_ln_relu_backward,
    affine_ln_relu_forward,
)

__all__ = [
    "affine_relu_forward",
    "affine_relu_backward",
    "conv_relu_forward",
    "conv_relu_backward",
    "conv_relu_pool_forward",
    "conv_relu_pool_backward",
    "affine_bn_relu_forward",
    "affine_bn_relu_backward",
    "affine_ln_relu_forward",
    "affine_ln_relu_backward",
]
