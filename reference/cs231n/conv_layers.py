"""Forward-only torch versions of the convolution and max-pooling layers."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def conv(x: Tensor, w: Tensor, b: Tensor, conv_param: dict) -> Tensor:
    """
    Cross-correlation of x with every filter, as the course's conv layer computes it.

    Inputs:
    - x: A tensor of shape (N, C, H, W).
    - w: A tensor of shape (F, C, HH, WW).
    - b: A tensor of shape (F,).
    - conv_param: A dictionary with keys 'stride' and 'pad' (zero padding on both sides).

    Returns:
    - out: A tensor of shape (N, F, H', W'), H' = 1 + (H + 2 * pad - HH) // stride,
      W' = 1 + (W + 2 * pad - WW) // stride.
    """
    return F.conv2d(x, w, b, stride=conv_param["stride"], padding=conv_param["pad"])


def max_pool(x: Tensor, pool_param: dict) -> Tensor:
    """
    Max pooling without padding; autograd routes a window's gradient to its first maximum.

    Inputs:
    - x: A tensor of shape (N, C, H, W).
    - pool_param: A dictionary with keys 'pool_height', 'pool_width' and 'stride'.

    Returns:
    - out: A tensor of shape (N, C, H', W'), H' = 1 + (H - pool_height) // stride,
      W' = 1 + (W - pool_width) // stride.
    """
    window = (pool_param["pool_height"], pool_param["pool_width"])
    return F.max_pool2d(x, window, stride=pool_param["stride"])
