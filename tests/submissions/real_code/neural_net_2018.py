"""Assignment 1's two-layer net in the 2016-2020 API: TwoLayerNet(input_size, hidden_size,
output_size, std) and loss(X, y=None, reg=0.0), reg * sum(W^2) as the 2017-2020 notebook
expects. Correct."""

import numpy as np


class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        self.params = {
            "W1": std * np.random.randn(input_size, hidden_size),
            "b1": np.zeros(hidden_size),
            "W2": std * np.random.randn(hidden_size, output_size),
            "b2": np.zeros(output_size),
        }

    def loss(self, X, y=None, reg=0.0):
        W1, b1, W2, b2 = self.params["W1"], self.params["b1"], self.params["W2"], self.params["b2"]
        h = np.maximum(0, X.dot(W1) + b1)
        scores = h.dot(W2) + b2
        if y is None:
            return scores
        n = X.shape[0]
        e = np.exp(scores - scores.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        loss = -np.log(p[np.arange(n), y]).mean() + reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        p[np.arange(n), y] -= 1
        p /= n
        dh = p.dot(W2.T) * (h > 0)
        grads = {"W2": h.T.dot(p) + 2 * reg * W2, "b2": p.sum(0), "W1": X.T.dot(dh) + 2 * reg * W1, "b1": dh.sum(0)}
        return loss, grads
