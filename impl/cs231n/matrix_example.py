"""The lecture's "matrix example": a two-layer ReLU net with a squared norm loss.

z1 = X W1,  h1 = relu(z1),  y_hat = h1 W2,  loss = ||y_hat||_F^2
"""

from __future__ import annotations

from typing import Any

import numpy as np


def matrix_example_forward(X: np.ndarray, W1: np.ndarray, W2: np.ndarray) -> tuple[float, Any]:
    """
    Forward pass of the matrix example.

    Inputs:
    - X: A numpy array of shape (N, D).
    - W1: A numpy array of shape (D, H).
    - W2: A numpy array of shape (H, C).

    Returns a tuple of:
    - loss: A Python float, sum(y_hat ** 2) where y_hat has shape (N, C).
    - cache: Intermediate values for matrix_example_backward.
    """
    z1 = X @ W1
    h1 = np.maximum(z1, 0)
    y_hat = h1 @ W2
    loss = np.sum(y_hat * y_hat)
    return float(loss), (X, W1, W2, z1, h1, y_hat)


def matrix_example_backward(dloss: float, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Backward pass of the matrix example.

    Inputs:
    - dloss: (float) upstream gradient of the scalar loss (1.0 for the loss
      itself).
    - cache: The cache returned by matrix_example_forward.

    Returns a tuple of:
    - dX: A numpy array of shape (N, D), gradient w.r.t. X.
    - dW1: A numpy array of shape (D, H), gradient w.r.t. W1.
    - dW2: A numpy array of shape (H, C), gradient w.r.t. W2.
    """
    X, W1, W2, z1, h1, y_hat = cache
    # Cast so a numpy float64 dloss does not upcast float32 gradients.
    dloss = y_hat.dtype.type(dloss)
    # loss = sum(y_hat ** 2)
    dy_hat = 2 * y_hat * dloss
    # y_hat = h1 W2
    dW2 = h1.T @ dy_hat
    dh1 = dy_hat @ W2.T
    # h1 = relu(z1), strict: no gradient at z1 == 0
    dz1 = dh1 * (z1 > 0)
    # z1 = X W1
    dW1 = X.T @ dz1
    dX = dz1 @ W1.T
    return dX, dW1, dW2
