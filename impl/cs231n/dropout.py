"""Inverted dropout in the CS231n style: p is the probability of KEEPING a unit."""

from __future__ import annotations

from typing import Any

import numpy as np


def dropout_forward(x: np.ndarray, dropout_param: dict[str, Any]) -> tuple[np.ndarray, Any]:
    """
    Forward pass for inverted dropout.

    Note that this is different from the vanilla version of dropout.
    Here, p is the probability of keeping a neuron output, as opposed to
    the probability of dropping a neuron output. Kept units are scaled by
    1 / p at training time, so that test time needs no rescaling.

    Inputs:
    - x: Input data, of any shape
    - dropout_param: A dictionary with the following keys:
      - p: Dropout parameter. We keep each neuron output with probability p.
      - mode: 'test' or 'train'. If the mode is train, then perform dropout;
        if the mode is test, then just return the input.
      - seed: Seed for the random number generator. Passing seed makes this
        function deterministic, which is needed for gradient checking but not
        in real networks.

    Outputs:
    - out: Array of the same shape as x.
    - cache: tuple (dropout_param, mask). In training mode, mask is the
      dropout mask (already divided by p) that was used to multiply the
      input; in test mode, mask is None.
    """
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])

    mask = None
    if mode == "train":
        # np.random.rand draws float64; the mask keeps x's precision
        mask = ((np.random.rand(*x.shape) < p) / p).astype(x.dtype, copy=False)
        out = x * mask
    elif mode == "test":
        out = x
    else:
        raise ValueError(f'Invalid forward dropout mode "{mode}"')
    return out, (dropout_param, mask)


def dropout_backward(dout: np.ndarray, cache: Any) -> np.ndarray:
    """
    Backward pass for inverted dropout.

    Inputs:
    - dout: Upstream derivatives, of any shape
    - cache: (dropout_param, mask) from dropout_forward.

    Returns:
    - dx: Gradient with respect to x, of the shape of dout.
    """
    dropout_param, mask = cache
    mode = dropout_param["mode"]
    if mode == "train":
        # out = x * mask
        dx = dout * mask
    elif mode == "test":
        # out = x
        dx = dout
    else:
        raise ValueError(f'Invalid backward dropout mode "{mode}"')
    return dx
