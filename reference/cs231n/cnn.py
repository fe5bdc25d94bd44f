"""Forward-only torch version of ThreeLayerConvNet:
conv - relu - 2x2 max pool - affine - relu - affine - softmax, with the course's
0.5 * reg * sum(W ** 2) on W1, W2 and W3."""

from __future__ import annotations

import torch
from torch import Tensor

from .conv_layer_utils import conv_relu_pool

POOL_PARAM = {"pool_height": 2, "pool_width": 2, "stride": 2}


def three_layer_conv_net_scores(params: dict[str, Tensor], X: Tensor) -> Tensor:
    """
    Inputs:
    - params: Dictionary with W1 (F, C, fs, fs), b1 (F,), W2 (F * H'' * W'', hidden),
      b2 (hidden,), W3 (hidden, num_classes), b3 (num_classes,); the convolution has
      stride 1 and padding (fs - 1) // 2.
    - X: A tensor of shape (N, C, H, W).

    Returns:
    - scores: A tensor of shape (N, num_classes).
    """
    conv_param = {"stride": 1, "pad": (params["W1"].shape[2] - 1) // 2}
    pooled = conv_relu_pool(X, params["W1"], params["b1"], conv_param, POOL_PARAM)
    hidden = torch.relu(pooled.reshape(X.shape[0], -1) @ params["W2"] + params["b2"])
    return hidden @ params["W3"] + params["b3"]


def three_layer_conv_net_loss(params: dict[str, Tensor], X: Tensor, y: Tensor, reg: float) -> Tensor:
    """
    Mean softmax cross-entropy of the scores plus 0.5 * reg * sum(W_i ** 2), i = 1, 2, 3.

    Inputs:
    - params, X: As three_layer_conv_net_scores.
    - y: An int64 tensor of shape (N,), 0 <= y[i] < num_classes.
    - reg: (float) regularization strength.

    Returns:
    - loss: A 0-d tensor.
    """
    scores = three_layer_conv_net_scores(params, X)
    data_loss = -torch.log_softmax(scores, dim=1).gather(1, y.unsqueeze(1)).mean()
    reg_loss = sum((params[f"W{i}"] ** 2).sum() for i in (1, 2, 3))
    return data_loss + 0.5 * reg * reg_loss
