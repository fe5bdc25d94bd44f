"""Fault ``exception``: svm_loss_naive indexes past the end of W."""

import numpy as np


def svm_loss_naive(W, X, y, reg):
    dW = np.zeros_like(W)
    return W[:, W.shape[1] + 10].sum(), dW
