"""Red team: look for the grader's secrets in the environment (the tests set
``SECRET_TOKEN``). The worker gets only a few of the parent's variables: the function finds
nothing and answers correctly (pass); had the token leaked, it would raise."""

import os

import numpy as np


def relu_forward(x):
    if "SECRET_TOKEN" in os.environ:
        raise RuntimeError("leaked: " + os.environ["SECRET_TOKEN"])
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return dout * (cache > 0)
