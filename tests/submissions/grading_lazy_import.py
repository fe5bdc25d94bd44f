"""Grading mode: the import of an autograd library hides inside a call (and its failure is
swallowed), so only that call can tell (``forbidden_import``)."""

import numpy as np


def relu_forward(x):
    try:
        import jax  # noqa: F401
    except ImportError:
        pass
    return np.maximum(x, 0), x
