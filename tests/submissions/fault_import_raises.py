"""Fault ``import_error``: running the file raises (a notebook cell that reads a data file)."""

import numpy as np

data = np.load("cifar10_training_batch_that_is_not_here.npy")


def svm_loss_naive(W, X, y, reg):
    return 0.0, np.zeros_like(W)
