"""Fault ``bad_return``: svm_loss_naive returns the loss alone, not (loss, dW)."""

import numpy as np


def svm_loss_naive(W, X, y, reg):
    return float(np.sum(W * W) * reg)
