"""Red team (attack 13): open the checking process's memory (``/proc/PID/mem``) and read its
environment. The parent is non-dumpable and the worker holds no capabilities (Landlock also
keeps ``/proc`` closed, and under bubblewrap the parent is not even visible), so the reads fail:
the functions raise, errors, never passes. The tests name the parent's pid in
``GRADVERIFY_TEST_PARENT``."""

import os

import numpy as np


def _peek():
    pid = os.environ["GRADVERIFY_TEST_PARENT"]
    with open(f"/proc/{pid}/mem", "rb"):
        pass
    with open(f"/proc/{pid}/environ", "rb") as fh:
        fh.read(1)


def relu_forward(x):
    _peek()
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    _peek()
    return dout * (cache > 0)
