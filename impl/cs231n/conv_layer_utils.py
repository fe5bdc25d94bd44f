"""Convenience layers that chain the fast convolution and pooling layers with a ReLU."""

from __future__ import annotations

from typing import Any

import numpy as np

from .fast_layers import conv_backward_fast, conv_forward_fast, max_pool_backward_fast, max_pool_forward_fast
from .layers import relu_backward, relu_forward


def conv_relu_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, conv_param: dict) -> tuple[np.ndarray, Any]:
    """
    A convenience layer that performs a convolution followed by a ReLU.

    Inputs:
    - x: Input to the convolutional layer, of shape (N, C, H, W)
    - w: Filter weights of shape (F, C, HH, WW)
    - b: Biases, of shape (F,)
    - conv_param: A dictionary with keys 'stride' and 'pad', as in conv_forward_fast

    Returns a tuple of:
    - out: Output from the ReLU, of shape (N, F, H', W')
    - cache: Object to give to the backward pass
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    out, relu_cache = relu_forward(a)
    return out, (conv_cache, relu_cache)


def conv_relu_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Backward pass for the conv-relu convenience layer.

    Inputs:
    - dout: Upstream derivatives, of shape (N, F, H', W')
    - cache: The cache returned by conv_relu_forward

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, C, H, W)
    - dw: Gradient with respect to w, of shape (F, C, HH, WW)
    - db: Gradient with respect to b, of shape (F,)
    """
    conv_cache, relu_cache = cache
    # out = relu(a)
    da = relu_backward(dout, relu_cache)
    # a = conv(x, w) + b
    return conv_backward_fast(da, conv_cache)


def conv_relu_pool_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, conv_param: dict, pool_param: dict
) -> tuple[np.ndarray, Any]:
    """
    Convenience layer that performs a convolution, a ReLU, and a max pool.

    Inputs:
    - x: Input to the convolutional layer, of shape (N, C, H, W)
    - w: Filter weights of shape (F, C, HH, WW)
    - b: Biases, of shape (F,)
    - conv_param: A dictionary with keys 'stride' and 'pad', as in conv_forward_fast
    - pool_param: A dictionary with keys 'pool_height', 'pool_width' and 'stride', as in
      max_pool_forward_fast

    Returns a tuple of:
    - out: Output from the pooling layer, of shape (N, F, H'', W''), the pooled size of the
      convolution's (H', W')
    - cache: Object to give to the backward pass
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    s, relu_cache = relu_forward(a)
    out, pool_cache = max_pool_forward_fast(s, pool_param)
    return out, (conv_cache, relu_cache, pool_cache)


def conv_relu_pool_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Backward pass for the conv-relu-pool convenience layer.

    Inputs:
    - dout: Upstream derivatives, of shape (N, F, H'', W'')
    - cache: The cache returned by conv_relu_pool_forward

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, C, H, W)
    - dw: Gradient with respect to w, of shape (F, C, HH, WW)
    - db: Gradient with respect to b, of shape (F,)
    """
    conv_cache, relu_cache, pool_cache = cache
    # out = max_pool(s)
    ds = max_pool_backward_fast(dout, pool_cache)
    # s = relu(a)
    da = relu_backward(ds, relu_cache)
    # a = conv(x, w) + b
    return conv_backward_fast(da, conv_cache)
