"""Hostile: return objects that pretend to be arrays. Each function computes a wrong result
and dresses it up so that gradverify in the same process would be fooled:

- svm_loss_naive: an object with ``__array__`` (and ``shape``, ``dtype``) -> ``bad_return``;
- svm_loss_vectorized: an ndarray subclass whose gradverify and arithmetic claim equality,
  holding a wrong gradient -> judged on its numbers: ``fail``;
- softmax_loss_naive: an object with a fake ``shape`` and ``dtype`` only -> ``bad_return``;
- softmax_loss_vectorized: a float subclass that equals everything, holding a wrong loss ->
  ``fail``.
"""

import numpy as np


class ArrayLike:
    def __init__(self, value):
        self.value = np.asarray(value)
        self.shape, self.dtype = self.value.shape, self.value.dtype

    def __array__(self, dtype=None, copy=None):
        return self.value

    def __eq__(self, other):
        return True

    __hash__ = None


class Agreeable(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)

    def __sub__(self, other):
        return np.zeros(np.shape(self))

    __rsub__ = __sub__

    def __abs__(self):
        return np.zeros(np.shape(self))

    def max(self, *args, **kwargs):
        return 0.0


class FakeShape:
    shape = (3, 3)
    dtype = np.dtype("float64")
    ndim = 2
    size = 9


class EqualFloat(float):
    def __eq__(self, other):
        return True

    def __sub__(self, other):
        return 0.0

    __rsub__ = __sub__
    __hash__ = float.__hash__


def svm_loss_naive(W, X, y, reg):
    return 1.0, ArrayLike(np.zeros_like(W))


def svm_loss_vectorized(W, X, y, reg):
    return 1.0, (np.ones_like(W) * 7).view(Agreeable)


def softmax_loss_naive(W, X, y, reg):
    return 1.0, FakeShape()


def softmax_loss_vectorized(W, X, y, reg):
    return EqualFloat(123.0), np.zeros_like(W)
