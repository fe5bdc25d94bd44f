"""Forward-only torch versions of the conv-relu and conv-relu-pool convenience layers."""

from __future__ import annotations

import torch
from torch import Tensor

from .conv_layers import conv, max_pool


def conv_relu(x: Tensor, w: Tensor, b: Tensor, conv_param: dict) -> Tensor:
    """
    Inputs:
    - x: A tensor of shape (N, C, H, W).
    - w: A tensor of shape (F, C, HH, WW).
    - b: A tensor of shape (F,).
    - conv_param: A dictionary with keys 'stride' and 'pad'.

    Returns:
    - out: A tensor of shape (N, F, H', W'), relu(conv(x, w) + b).
    """
    return torch.relu(conv(x, w, b, conv_param))


def conv_relu_pool(x: Tensor, w: Tensor, b: Tensor, conv_param: dict, pool_param: dict) -> Tensor:
    """
    Inputs:
    - x, w, b, conv_param: As conv_relu.
    - pool_param: A dictionary with keys 'pool_height', 'pool_width' and 'stride'.

    Returns:
    - out: A tensor of shape (N, F, H'', W''), max_pool(relu(conv(x, w) + b)).
    """
    return max_pool(conv_relu(x, w, b, conv_param), pool_param)
