"""Fully connected networks built from the modular layers.

Regularization convention (the course's): the loss adds
0.5 * reg * sum(W * W) for every weight matrix (biases and the
normalization parameters gamma, beta are not regularized), so each
weight gradient gets + reg * W.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .dropout import dropout_backward, dropout_forward
from .layer_utils import affine_relu_backward, affine_relu_forward
from .layers import affine_backward, affine_forward, softmax_loss
from .norm_layer_utils import (
    affine_bn_relu_backward,
    affine_bn_relu_forward,
    affine_ln_relu_backward,
    affine_ln_relu_forward,
)


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
    Class for a multi-layer fully connected neural network.

    Network contains an arbitrary number of hidden layers, ReLU nonlinearities,
    and a softmax loss function. This will also implement dropout and batch/layer
    normalization as options. For a network with L layers, the architecture will be

    {affine - [batch/layer norm] - relu - [dropout]} x (L - 1) - affine - softmax

    where batch/layer normalization and dropout are optional and the {...} block is
    repeated L - 1 times.

    Learnable parameters are stored in the self.params dictionary: W1..WL of shapes
    (d_{i-1}, d_i) and b1..bL of shapes (d_i,), with d_0 = input_dim and
    d_L = num_classes; with normalization also gamma1..gamma{L-1} (ones) and
    beta1..beta{L-1} (zeros) of shapes (d_i,). The loss adds
    0.5 * reg * sum(W_i ** 2) over the weight matrices only.
    """

    def __init__(
        self,
        hidden_dims: list[int] | tuple[int, ...],
        input_dim: int = 3 * 32 * 32,
        num_classes: int = 10,
        dropout_keep_ratio: float = 1,
        normalization: str | None = None,
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
        - dropout_keep_ratio: Scalar between 0 and 1 giving dropout strength
          (the probability of keeping a unit). If dropout_keep_ratio=1 then
          the network does not use dropout at all.
        - normalization: What type of normalization the network should use.
          Valid values are "batchnorm", "layernorm", or None for no
          normalization (the default).
        - reg: Scalar giving L2 regularization strength (0.5 * reg convention).
        - weight_scale: Scalar giving the standard deviation for random
          initialization of the weights (biases start at zero).
        - dtype: A numpy floating dtype; all parameters and computations use it.
        - seed: If not None, then pass this random seed to the dropout layers
          (which makes them deterministic, so the model can be gradient
          checked); it also seeds the np.random.default_rng used for init.
        """
        if normalization not in (None, "batchnorm", "layernorm"):
            raise ValueError(f"normalization must be None, 'batchnorm' or 'layernorm', got {normalization!r}")
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
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
            if normalization is not None and i < self.num_layers:
                self.params[f"gamma{i}"] = np.ones(dims[i], dtype=dtype)
                self.params[f"beta{i}"] = np.zeros(dims[i], dtype=dtype)

        # Each dropout layer reseeds numpy's global generator with the same seed, as
        # the course's dropout_forward does, so every layer's mask is drawn from it.
        self.dropout_param: dict[str, Any] = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
            if seed is not None:
                self.dropout_param["seed"] = seed

        # batchnorm keeps running statistics in its param dict, one per layer
        self.bn_params: list[dict[str, Any]] = []
        if normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)]
        if normalization == "layernorm":
            self.bn_params = [{} for _ in range(self.num_layers - 1)]

    def loss(self, X: np.ndarray, y: np.ndarray | None = None) -> np.ndarray | tuple[float, dict[str, np.ndarray]]:
        """
        Compute loss and gradient for the fully connected net.

        Inputs:
        - X: A numpy array of shape (N, d_1, ..., d_k), D = d_1 * ... * d_k;
          it is cast to self.dtype.
        - y: An integer numpy array of shape (N,), 0 <= y[i] < C, or None.

        Returns:
        If y is None, run a test-time forward pass (batchnorm uses its running
        statistics, dropout is off) and return:
        - scores: A numpy array of shape (N, C), classification scores.
        Otherwise, run a training-time forward and backward pass and return a
        tuple of:
        - loss: A Python float, data loss plus 0.5 * reg * sum(W_i ** 2).
        - grads: Dictionary with the same keys as self.params mapping to
          gradients of the same shapes; grads[W_i] includes reg * W_i.
        """
        X = X.astype(self.dtype, copy=False)
        mode = "test" if y is None else "train"
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        if self.normalization == "batchnorm":
            for bn_param in self.bn_params:
                bn_param["mode"] = mode

        L = self.num_layers
        caches: list[Any] = []
        drop_caches: list[Any] = []
        out = X
        for i in range(1, L):
            out, cache = self._hidden_forward(i, out)
            caches.append(cache)
            if self.use_dropout:
                out, drop_cache = dropout_forward(out, self.dropout_param)
                drop_caches.append(drop_cache)
        scores, scores_cache = affine_forward(out, self.params[f"W{L}"], self.params[f"b{L}"])
        if y is None:
            return scores

        loss, dscores = softmax_loss(scores, y)
        grads: dict[str, np.ndarray] = {}
        # scores = out_{L-1} W_L + b_L
        dout, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dscores, scores_cache)
        # out_i = dropout(relu(norm(out_{i-1} W_i + b_i))), walked from the top layer down
        for i in range(L - 1, 0, -1):
            if self.use_dropout:
                dout = dropout_backward(dout, drop_caches[i - 1])
            dout = self._hidden_backward(i, dout, caches[i - 1], grads)
        # 0.5 * reg * sum(W_i * W_i); gammas and betas are not regularized
        for i in range(1, L + 1):
            W = self.params[f"W{i}"]
            loss += 0.5 * self.reg * np.sum(W * W)
            grads[f"W{i}"] = grads[f"W{i}"] + W.dtype.type(self.reg) * W
        return float(loss), grads

    def _hidden_forward(self, i: int, x: np.ndarray) -> tuple[np.ndarray, Any]:
        """affine - [norm] - relu of hidden layer i (1-based) on x of shape (N, d_{i-1})."""
        W, b = self.params[f"W{i}"], self.params[f"b{i}"]
        if self.normalization is None:
            return affine_relu_forward(x, W, b)
        gamma, beta = self.params[f"gamma{i}"], self.params[f"beta{i}"]
        forward = affine_bn_relu_forward if self.normalization == "batchnorm" else affine_ln_relu_forward
        return forward(x, W, b, gamma, beta, self.bn_params[i - 1])

    def _hidden_backward(self, i: int, dout: np.ndarray, cache: Any, grads: dict[str, np.ndarray]) -> np.ndarray:
        """Backward pass of hidden layer i: stores its parameters' gradients in grads and
        returns the gradient with respect to its input."""
        if self.normalization is None:
            dx, grads[f"W{i}"], grads[f"b{i}"] = affine_relu_backward(dout, cache)
            return dx
        backward = affine_bn_relu_backward if self.normalization == "batchnorm" else affine_ln_relu_backward
        dx, grads[f"W{i}"], grads[f"b{i}"], grads[f"gamma{i}"], grads[f"beta{i}"] = backward(dout, cache)
        return dx
