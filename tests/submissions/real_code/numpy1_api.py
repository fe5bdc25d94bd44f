"""Code written for NumPy 1.x: np.float was removed in NumPy 2."""

import numpy as np


def relu_forward(x):
    out = np.maximum(0, x).astype(np.float)
    return out, x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def max_pool_forward_naive(x, pool_param):
    """Right under NumPy 1.x, where int() of a one-element array was allowed."""
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    n, c, h, w = x.shape
    out = np.zeros((n, c, 1 + (h - ph) // stride, 1 + (w - pw) // stride))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            window = x[:, :, i * stride : i * stride + ph, j * stride : j * stride + pw]
            out[:, :, i, j] = window.max(axis=(2, 3))
    first = np.where(out.ravel() == out.max())[0][:1]
    out.ravel()[int(first)] = out.max()  # int() of a 1-element array
    return out, (x, pool_param)
