"""Correct affine and ReLU layers written for NumPy 1.x, as the older CS231n editions were:
``np.reshape(..., newshape=)`` (removed in NumPy 2.4), ``np.float`` and ``np.int`` (aliases
removed in NumPy 1.24). Right under the NumPy the course pinned; ``gradverify check --python``
runs it there."""

import numpy as np


def affine_forward(x, w, b):
    out = np.reshape(x, newshape=(x.shape[0], -1)).dot(w) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    dx = np.reshape(dout.dot(w.T), newshape=x.shape)
    dw = np.reshape(x, newshape=(x.shape[0], -1)).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_forward(x):
    out = x * (x > 0).astype(np.float)
    return out, x


def relu_backward(dout, cache):
    return dout * (cache > 0).astype(np.int)
