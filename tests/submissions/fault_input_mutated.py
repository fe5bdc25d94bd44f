"""Fault ``input_mutated``: svm_loss_vectorized centers X in place (course code must not
change its inputs), then computes a correct loss on the changed data."""

import numpy as np


def svm_loss_vectorized(W, X, y, reg):
    X -= X.mean(axis=0)
    n = X.shape[0]
    scores = X @ W
    margins = np.maximum(0, scores - scores[np.arange(n), y][:, None] + 1)
    margins[np.arange(n), y] = 0
    binary = (margins > 0).astype(W.dtype)
    binary[np.arange(n), y] = -binary.sum(axis=1)
    return margins.sum() / n + reg * np.sum(W * W), X.T @ binary / n + 2 * reg * W
