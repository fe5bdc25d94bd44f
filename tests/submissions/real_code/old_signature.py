"""A course-named class that no op can call as written: its constructor and loss follow
neither fc_net's API nor the 2016-2020 neural_net one."""

import numpy as np


class TwoLayerNet:
    def __init__(self, sizes):
        self.params = {"W1": np.zeros((sizes[0], sizes[1])), "W2": np.zeros((sizes[1], sizes[2]))}

    def loss(self, X, y):
        return 0.0, {}


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout * (cache > 0)
