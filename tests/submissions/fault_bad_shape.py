"""Fault ``bad_shape``: affine_backward returns db with one entry too many, (M + 1,) for (M,)
(right values in a broadcastable shape such as (1, M) are ``shape_only``: real_code/shape_only.py)."""

import numpy as np


def affine_forward(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    return dx, dw, np.append(dout.sum(axis=0), 0.0)
