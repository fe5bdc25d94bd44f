"""Fully connected networks built from the modular layers.

Regularization convention (the course's): the loss adds
0.5 * reg * sum(W * W) for every weight matrix (biases are not
regularized), so each weight gradient gets + reg * W.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from impl.layer_utils import affine_relu_backward, affine_relu_forward
from impl.layers import affine_backward, affine_forward, softmax_loss


class TwoLayerNet:
    """
    A two-layer fully-connected neural network with ReLU nonlinearity and
    softmax loss: affine - relu - affine - softmax.

    Inputs have dimension D, a hidden dimension of H, and C classes.
    Parameters live in self.params:
    - W1: A numpy array of shape (D, H); b1: shape (H,).
    - W2: A numpy array of shape (H, C); b2: shape (C,).
    The loss adds 0.5 * reg * (sum(W1**2) + sum(W2**2)).
    """

    def __init__(
        self,
        input_dim: int = 3 * 32 * 32,
        hidden_dim: int = 100,
        num_classes: int = 10,
        weight_scale: float = 1e-3,
        reg: float = 0.0,
    ) -> None:
        """
        Initialize a new network.

        Inputs:
        - input_dim: An integer giving the size of the input, D.
        - hidden_dim: An integer giving the size of the hidden layer, H.
        - num_classes: An integer giving the number of classes, C.
        - weight_scale: Scalar giving the standard deviation for random
          initialization of the weights (biases start at zero).
        - reg: Scalar giving L2 regularization strength (0.5 * reg convention).
        """
        self.reg = reg
        self.params: dict[str, np.ndarray] = {
            "W1": weight_scale * np.random.randn(input_dim, hidden_dim),
            "b1": np.zeros(hidden_dim),
            "W2": weight_scale * np.random.randn(hidden_dim, num_classes),
            "b2": np.zeros(num_classes),
        }

    def loss(self, X: np.ndarray, y: np.ndarray | None = None) -> np.ndarray | tuple[float, dict[str, np.ndarray]]:
        """
        Compute loss and gradient for a minibatch of data.

        Inputs:
        - X: A numpy array of shape (N, d_1, ..., d_k), D = d_1 * ... * d_k.
        - y: An integer numpy array of shape (N,), 0 <= y[i] < C, or None.

        Returns:
        If y is None:
        - scores: A numpy array of shape (N, C), classification scores.
        Otherwise a tuple of:
        - loss: A Python float, data loss plus
          0.5 * reg * (sum(W1**2) + sum(W2**2)).
        - grads: Dictionary with the same keys as self.params mapping to
          gradients of the same shapes; grads[W] includes reg * W.
        """
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        hidden, hidden_cache = affine_relu_forward(X, W1, b1)
        scores, scores_cache = affine_forward(hidden, W2, b2)
        if y is None:
            return scores

        data_loss, dscores = softmax_loss(scores, y)
        loss = data_loss + 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))

        grads: dict[str, np.ndarray] = {}
        # scores = hidden W2 + b2
        dhidden, grads["W2"], grads["b2"] = affine_backward(dscores, scores_cache)
        # hidden = relu(X W1 + b1)
        _, grads["W1"], grads["b1"] = affine_relu_backward(dhidden, hidden_cache)
        # 0.5 * reg * sum(W * W)
        grads["W1"] = grads["W1"] + W1.dtype.type(self.reg) * W1
        grads["W2"] = grads["W2"] + W2.dtype.type(self.reg) * W2
        return float(loss), grads


class FullyConnectedNet:
    """
    A fully-connected network with an arbitrary number of hidden layers and
    softmax loss: {affine - relu} x (L - 1) - affine - softmax.

    Parameters live in self.params as W1..WL of shapes (d_{i-1}, d_i) and
    b1..bL of shapes (d_i,), with d_0 = input_dim and d_L = num_classes.
    The loss adds 0.5 * reg * sum(W_i ** 2) over all weight matrices.
    """

    def __init__(
        self,
        hidden_dims: list[int] | tuple[int, ...],
        input_dim: int = 3 * 32 * 32,
        num_classes: int = 10,
        reg: float = 0.0,
        weight_scale: float = 1e-2,
        dtype: Any = np.float32,
        seed: int | None = None,
    ) -> None:
        """
        Initialize a new FullyConnectedNet.

        Inputs:
        - hidden_dims: A list of integers giving the size of each hidden layer.
        - input_dim: An integer giving the size of the input, D.
        - num_classes: An integer giving the number of classes, C.
        - reg: Scalar giving L2 regularization strength (0.5 * reg convention).
        - weight_scale: Scalar giving the standard deviation for random
          initialization of the weights (biases start at zero).
        - dtype: A numpy floating dtype; all parameters and computations use it.
        - seed: If not None, seeds the np.random.default_rng used for init.
        """
        self.reg = reg
        self.num_layers = len(hidden_dims) + 1
        self.dtype = dtype
        rng = np.random.default_rng(seed)
        dims = [input_dim, *hidden_dims, num_classes]
        self.params: dict[str, np.ndarray] = {}
        for i in range(1, self.num_layers + 1):
            W = weight_scale * rng.standard_normal((dims[i - 1], dims[i]))
            self.params[f"W{i}"] = W.astype(dtype)
            self.params[f"b{i}"] = np.zeros(dims[i], dtype=dtype)

    def loss(self, X: np.ndarray, y: np.ndarray | None = None) -> np.ndarray | tuple[float, dict[str, np.ndarray]]:
        """
        Compute loss and gradient for the fully connected net.

        Inputs:
        - X: A numpy array of shape (N, d_1, ..., d_k), D = d_1 * ... * d_k;
          it is cast to self.dtype.
        - y: An integer numpy array of shape (N,), 0 <= y[i] < C, or None.

        Returns:
        If y is None:
        - scores: A numpy array of shape (N, C), classification scores.
        Otherwise a tuple of:
        - loss: A Python float, data loss plus 0.5 * reg * sum(W_i ** 2).
        - grads: Dictionary with the same keys as self.params mapping to
          gradients of the same shapes; grads[W_i] includes reg * W_i.
        """
        X = X.astype(self.dtype, copy=False)
        L = self.num_layers
        caches: list[Any] = []
        out = X
        for i in range(1, L):
            out, cache = affine_relu_forward(out, self.params[f"W{i}"], self.params[f"b{i}"])
            caches.append(cache)
        scores, scores_cache = affine_forward(out, self.params[f"W{L}"], self.params[f"b{L}"])
        if y is None:
            return scores

        loss, dscores = softmax_loss(scores, y)
        grads: dict[str, np.ndarray] = {}
        # scores = out_{L-1} W_L + b_L
        dout, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dscores, scores_cache)
        # out_i = relu(out_{i-1} W_i + b_i), walked from the top layer down
        for i in range(L - 1, 0, -1):
            dout, grads[f"W{i}"], grads[f"b{i}"] = affine_relu_backward(dout, caches[i - 1])
        # 0.5 * reg * sum(W_i * W_i)
        for i in range(1, L + 1):
            W = self.params[f"W{i}"]
            loss += 0.5 * self.reg * np.sum(W * W)
            grads[f"W{i}"] = grads[f"W{i}"] + W.dtype.type(self.reg) * W
        return float(loss), grads
