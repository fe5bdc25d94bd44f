"""Hostile: at import time, patch numpy and gradverify's own modules so that every comparison
would pass, then return a gradient with the wrong sign. The patches act in the worker only;
the parent compares, so the sign flip must still fail."""

import numpy as np
import numpy.testing

import gradverify.core.adapters
import gradverify.core.comparison
import gradverify.usercode.sandbox.protocol


def _always_equal(*args, **kwargs):
    return True


np.allclose = _always_equal
np.array_equal = _always_equal
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
np.isfinite = lambda a, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
numpy.testing.assert_allclose = lambda *args, **kwargs: None
gradverify.core.comparison.compare = lambda *args, **kwargs: None
gradverify.core.comparison.PASS = gradverify.core.comparison.FAIL = "pass"
gradverify.core.adapters.BadReturn = Exception


def svm_loss_naive(W, X, y, reg):
    n = X.shape[0]
    scores = X @ W
    margins = np.maximum(0, scores - scores[np.arange(n), y][:, None] + 1)
    margins[np.arange(n), y] = 0
    binary = (margins > 0).astype(W.dtype)
    binary[np.arange(n), y] = -binary.sum(axis=1)
    dW = X.T @ binary / n + 2 * reg * W
    return margins.sum() / n + reg * np.sum(W * W), -dW
