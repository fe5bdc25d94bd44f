"""Red team (attack 8): every call stays just under the per-call time limit (the tests use
``--timeout 0.6``; a forward and backward pass is one call: 0.5 s), so a whole check would
take hours. The submission's wall budget ends it: the remaining checks become ``timeout``
errors."""

import time

import numpy as np


def relu_forward(x):
    time.sleep(0.25)
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    time.sleep(0.25)
    return dout * (cache > 0)
