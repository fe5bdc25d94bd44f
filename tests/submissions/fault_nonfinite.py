"""Fault ``nonfinite``: relu_backward leaves NaN where the input is negative (a 0 * inf)."""

import numpy as np


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    x = cache
    dx = dout * (x > 0)
    dx[x < 0] = np.nan
    return dx
