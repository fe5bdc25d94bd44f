"""Fault ``import_error``: the file imports a module that does not exist."""

import not_a_module_anyone_installed  # noqa: F401
import numpy as np


def svm_loss_naive(W, X, y, reg):
    return 0.0, np.zeros_like(W)
