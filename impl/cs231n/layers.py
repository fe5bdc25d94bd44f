"""Modular layers (forward/backward pairs) in the CS231n style."""

from __future__ import annotations

from typing import Any

import numpy as np


def affine_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, Any]:
    """
    Computes the forward pass for an affine (fully connected) layer.

    The input x has shape (N, d_1, ..., d_k) and is reshaped to (N, D) with
    D = d_1 * ... * d_k.

    Inputs:
    - x: A numpy array of shape (N, d_1, ..., d_k) containing input data.
    - w: A numpy array of shape (D, M) containing weights.
    - b: A numpy array of shape (M,) containing biases.

    Returns a tuple of:
    - out: A numpy array of shape (N, M).
    - cache: (x, w, b)
    """
    x_flat = x.reshape(x.shape[0], -1)
    out = x_flat @ w + b
    return out, (x, w, b)


def affine_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Computes the backward pass for an affine layer.

    Inputs:
    - dout: A numpy array of shape (N, M), upstream derivative.
    - cache: Tuple of:
      - x: A numpy array of shape (N, d_1, ..., d_k).
      - w: A numpy array of shape (D, M).
      - b: A numpy array of shape (M,).

    Returns a tuple of:
    - dx: A numpy array of shape (N, d_1, ..., d_k), gradient w.r.t. x.
    - dw: A numpy array of shape (D, M), gradient w.r.t. w.
    - db: A numpy array of shape (M,), gradient w.r.t. b.
    """
    x, w, b = cache
    x_flat = x.reshape(x.shape[0], -1)
    # out = x_flat @ w + b
    db = dout.sum(axis=0).astype(b.dtype, copy=False)
    dw = (x_flat.T @ dout).astype(w.dtype, copy=False)
    dx_flat = dout @ w.T
    # x_flat = x.reshape(N, D)
    dx = dx_flat.reshape(x.shape).astype(x.dtype, copy=False)
    return dx, dw, db


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, Any]:
    """
    Computes the forward pass for a layer of rectified linear units (ReLUs).

    Input:
    - x: A numpy array of any shape.

    Returns a tuple of:
    - out: A numpy array of the same shape as x.
    - cache: x
    """
    out = np.maximum(x, 0)
    return out, x


def relu_backward(dout: np.ndarray, cache: Any) -> np.ndarray:
    """
    Computes the backward pass for a layer of ReLUs.

    The gradient flows only where x > 0 (strictly): at x == 0 it is zero.

    Input:
    - dout: A numpy array of any shape, upstream derivatives.
    - cache: x, a numpy array of the same shape as dout.

    Returns:
    - dx: A numpy array of the same shape as x, gradient w.r.t. x.
    """
    x = cache
    return dout * (x > 0)


def svm_loss(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """
    Computes the loss and gradient for multiclass SVM classification.

    loss = (1/N) sum_i sum_{j != y_i} max(0, x_ij - x_{i,y_i} + 1)

    Inputs:
    - x: A numpy array of shape (N, C) where x[i, j] is the score for the
      jth class for the ith input.
    - y: An integer numpy array of shape (N,) where y[i] is the label for
      x[i] and 0 <= y[i] < C.

    Returns a tuple of:
    - loss: A Python float.
    - dx: A numpy array of shape (N, C), gradient of the loss w.r.t. x.
    """
    N = x.shape[0]
    rows = np.arange(N)
    margins = x - x[rows, y][:, None] + 1
    masked = np.maximum(margins, 0)
    masked[rows, y] = 0
    loss = masked.sum() / N

    # loss = sum(masked) / N, then the binary mask of active margins
    dmargins = (margins > 0).astype(x.dtype) / N
    dmargins[rows, y] = 0
    # margins = x - x_y + 1: the correct class collects minus the row count
    dx = dmargins
    dx[rows, y] -= dmargins.sum(axis=1)
    return float(loss), dx


def softmax_loss(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """
    Computes the loss and gradient for softmax classification.

    loss = (1/N) sum_i -log softmax(x_i)[y_i]

    Inputs:
    - x: A numpy array of shape (N, C) where x[i, j] is the score for the
      jth class for the ith input.
    - y: An integer numpy array of shape (N,) where y[i] is the label for
      x[i] and 0 <= y[i] < C.

    Returns a tuple of:
    - loss: A Python float.
    - dx: A numpy array of shape (N, C), gradient of the loss w.r.t. x.
    """
    N = x.shape[0]
    rows = np.arange(N)
    # Softmax is shift-invariant; subtracting the max keeps exp() finite.
    shifted = x - x.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_probs = shifted - log_norm
    loss = -log_probs[rows, y].sum() / N

    # loss = -sum_i log_probs[i, y_i] / N, through log-softmax:
    # d/dx = (softmax(x) - onehot(y)) / N; the max shift has zero gradient.
    dx = np.exp(log_probs)
    dx[rows, y] -= 1
    dx /= N
    return float(loss), dx


# The course's layers.py also holds these; here each family has its own module, and they are
# re-exported so `from layers import conv_forward_naive` works as in the course.
from .conv_layers import conv_backward_naive, conv_forward_naive, max_pool_backward_naive, max_pool_forward_naive  # noqa: E402
from .dropout import dropout_backward, dropout_forward  # noqa: E402
from .normalization import (  # noqa: E402
    batchnorm_backward,
    batchnorm_backward_alt,
    batchnorm_forward,
    layernorm_backward,
    layernorm_forward,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
    spatial_groupnorm_backward,
    spatial_groupnorm_forward,
)

__all__ = [
    "affine_forward",
    "affine_backward",
    "relu_forward",
    "relu_backward",
    "svm_loss",
    "softmax_loss",
    "conv_forward_naive",
    "conv_backward_naive",
    "max_pool_forward_naive",
    "max_pool_backward_naive",
    "batchnorm_forward",
    "batchnorm_backward",
    "batchnorm_backward_alt",
    "layernorm_forward",
    "layernorm_backward",
    "spatial_batchnorm_forward",
    "spatial_batchnorm_backward",
    "spatial_groupnorm_forward",
    "spatial_groupnorm_backward",
    "dropout_forward",
    "dropout_backward",
]
