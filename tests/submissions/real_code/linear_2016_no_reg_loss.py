"""A 2016 SVM whose gradient follows that edition (dW += reg * W, from 0.5 * reg * sum(W^2))
but whose loss forgot the regularization term: the loss is the bug, the gradient is right."""

import numpy as np


def svm_loss_vectorized(W, X, y, reg):
    n = X.shape[0]
    scores = X.dot(W)
    correct = scores[np.arange(n), y][:, None]
    margins = np.maximum(0, scores - correct + 1.0)
    margins[np.arange(n), y] = 0
    loss = margins.sum() / n  # the 0.5 * reg * sum(W * W) term is missing
    counts = (margins > 0).astype(float)
    counts[np.arange(n), y] = -counts.sum(axis=1)
    dW = X.T.dot(counts) / n
    dW += reg * W
    return loss, dW
