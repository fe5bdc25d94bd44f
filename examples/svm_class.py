"""Code with its own names: a vectorized SVM loss written as a method of a class. The course
calls it svm_loss_vectorized(W, X, y, reg); bind it with
`--map svm_loss_vectorized='LinearSVM().loss'`."""

import numpy as np


class LinearSVM:
    def loss(self, W, X, y, reg):
        n = X.shape[0]
        scores = X @ W
        correct = scores[np.arange(n), y][:, None]
        margins = np.maximum(0, scores - correct + 1)
        margins[np.arange(n), y] = 0
        loss = margins.sum() / n + reg * np.sum(W * W)
        weights = (margins > 0).astype(X.dtype)
        weights[np.arange(n), y] = -weights.sum(axis=1)
        dW = X.T @ weights / n + 2 * reg * W
        return loss, dW
