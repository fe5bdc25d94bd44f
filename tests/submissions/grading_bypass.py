"""Grading mode, hostile: remove the import blocker from ``sys.meta_path`` and import torch
anyway. The parent sees torch's shared libraries in the worker's memory map
(``forbidden_import``)."""

import sys

import numpy as np

sys.meta_path[:] = [f for f in sys.meta_path if type(f).__module__ != "gradverify.usercode.sandbox.grading"]
import torch  # noqa: E402, F401


def relu_forward(x):
    return np.maximum(x, 0), x
