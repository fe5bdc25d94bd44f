"""Fault ``memory_exceeded``: relu_forward allocates far more than the worker's memory limit."""

import numpy as np


def relu_forward(x):
    huge = np.ones((1 << 16, 1 << 16, 8))  # 256 GiB
    return np.maximum(x, 0) + huge[0, 0, 0] - 1, x
