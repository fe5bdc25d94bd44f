"""A small convolutional network built from the conv, pooling and affine layers.

Regularization convention (the course's): the loss adds 0.5 * reg * sum(W * W) for W1, W2
and W3 (biases are not regularized), so each weight gradient gets + reg * W.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .conv_layer_utils import conv_relu_pool_backward, conv_relu_pool_forward
from .conv_layers import output_size
from .layer_utils import affine_relu_backward, affine_relu_forward
from .layers import affine_backward, affine_forward, softmax_loss

POOL_PARAM = {"pool_height": 2, "pool_width": 2, "stride": 2}


def _conv_param(filter_size: int) -> dict:
    """Stride 1 and the padding that preserves H and W for an odd filter_size."""
    return {"stride": 1, "pad": (filter_size - 1) // 2}


class ThreeLayerConvNet:
    """
    A three-layer convolutional network with the following architecture:

    conv - relu - 2x2 max pool - affine - relu - affine - softmax

    The network operates on minibatches of data that have shape (N, C, H, W)
    consisting of N images, each with height H and width W and with C input
    channels.

    Parameters live in self.params:
    - W1: Filters of shape (F, C, filter_size, filter_size); b1: shape (F,).
    - W2: A numpy array of shape (F * H'' * W'', hidden_dim); b2: shape (hidden_dim,),
      where (H'', W'') is the pooled size, (H / 2, W / 2) for an odd filter_size.
    - W3: A numpy array of shape (hidden_dim, num_classes); b3: shape (num_classes,).
    """

    def __init__(
        self,
        input_dim: tuple[int, int, int] = (3, 32, 32),
        num_filters: int = 32,
        filter_size: int = 7,
        hidden_dim: int = 100,
        num_classes: int = 10,
        weight_scale: float = 1e-3,
        reg: float = 0.0,
        dtype: Any = np.float32,
    ) -> None:
        """
        Initialize a new network.

        Inputs:
        - input_dim: Tuple (C, H, W) giving size of input data
        - num_filters: Number of filters to use in the convolutional layer
        - filter_size: Width/height of filters to use in the convolutional layer
          (stride 1, padding (filter_size - 1) // 2)
        - hidden_dim: Number of units to use in the fully-connected hidden layer
        - num_classes: Number of scores to produce from the final affine layer.
        - weight_scale: Scalar giving standard deviation for random initialization
          of weights (biases start at zero).
        - reg: Scalar giving L2 regularization strength (0.5 * reg convention)
        - dtype: numpy datatype to use for computation.

        Raises ValueError when the 2x2 stride-2 pool does not tile the convolution's output
        exactly (an odd H or W).
        """
        self.reg = reg
        self.dtype = dtype
        C, H, W = input_dim
        pad = _conv_param(filter_size)["pad"]
        pooled = [
            output_size(output_size(size, filter_size, pad, 1, axis), 2, 0, 2, axis)
            for size, axis in ((H, "height"), (W, "width"))
        ]
        shapes = {
            "W1": (num_filters, C, filter_size, filter_size),
            "W2": (num_filters * pooled[0] * pooled[1], hidden_dim),
            "W3": (hidden_dim, num_classes),
        }
        self.params: dict[str, np.ndarray] = {}
        for i, shape in enumerate(shapes.values(), start=1):
            self.params[f"W{i}"] = (weight_scale * np.random.randn(*shape)).astype(dtype)
            self.params[f"b{i}"] = np.zeros(shape[0] if i == 1 else shape[1], dtype=dtype)

    def loss(self, X: np.ndarray, y: np.ndarray | None = None) -> np.ndarray | tuple[float, dict[str, np.ndarray]]:
        """
        Evaluate loss and gradient for the three-layer convolutional network.

        Inputs:
        - X: A numpy array of shape (N, C, H, W) of input data; it is cast to self.dtype.
        - y: An integer numpy array of shape (N,), 0 <= y[i] < num_classes, or None.

        Returns:
        If y is None:
        - scores: A numpy array of shape (N, num_classes), classification scores.
        Otherwise a tuple of:
        - loss: A Python float, data loss plus
          0.5 * reg * (sum(W1**2) + sum(W2**2) + sum(W3**2)).
        - grads: Dictionary with the same keys as self.params mapping to gradients
          of the same shapes; grads[W] includes reg * W.
        """
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        W3, b3 = self.params["W3"], self.params["b3"]
        X = X.astype(self.dtype, copy=False)
        conv_param = _conv_param(W1.shape[2])

        pooled, pool_cache = conv_relu_pool_forward(X, W1, b1, conv_param, POOL_PARAM)
        hidden, hidden_cache = affine_relu_forward(pooled, W2, b2)
        scores, scores_cache = affine_forward(hidden, W3, b3)
        if y is None:
            return scores

        loss, dscores = softmax_loss(scores, y)
        grads: dict[str, np.ndarray] = {}
        # scores = hidden W3 + b3
        dhidden, grads["W3"], grads["b3"] = affine_backward(dscores, scores_cache)
        # hidden = relu(pooled W2 + b2), pooled flattened per example
        dpooled, grads["W2"], grads["b2"] = affine_relu_backward(dhidden, hidden_cache)
        # pooled = max_pool(relu(conv(X, W1) + b1))
        _, grads["W1"], grads["b1"] = conv_relu_pool_backward(dpooled, pool_cache)
        # 0.5 * reg * sum(W * W) for each weight
        for name in ("W1", "W2", "W3"):
            W = self.params[name]
            loss += 0.5 * self.reg * np.sum(W * W)
            grads[name] = grads[name] + W.dtype.type(self.reg) * W
        return float(loss), grads
