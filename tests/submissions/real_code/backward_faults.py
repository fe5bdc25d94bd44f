"""Backward passes that go wrong (the forward passes are right): affine_backward raises and
relu_backward changes the cached input in place; the records must name the backward."""

import numpy as np


def affine_forward(x, w, b):
    return x.reshape(x.shape[0], -1).dot(w) + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, b, extra = cache  # ValueError: the forward's cache has three entries
    return dout.dot(w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T.dot(dout), dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    x = cache
    x[x < 0] = 0  # clobbers the caller's x
    return dout * (x > 0)
