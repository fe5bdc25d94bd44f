"""The assignment-1 two-layer network of CS231n 2016-2020 (``classifiers/neural_net.py``).

Its API predates ``fc_net.TwoLayerNet``: ``TwoLayerNet(input_size, hidden_size, output_size,
std=1e-4)`` and ``loss(X, y=None, reg=0.0)``, with reg passed to each ``loss`` call and the
2017-2020 notebook's ``reg * sum(W^2)`` convention (gradient ``2 * reg * W``).
"""

from __future__ import annotations

import numpy as np


class TwoLayerNet:
    """
    affine - relu - affine - softmax. Parameters in self.params:
    - W1: (D, H), b1: (H,), W2: (H, C), b2: (C,).
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int, std: float = 1e-4) -> None:
        self.params: dict[str, np.ndarray] = {
            "W1": std * np.random.randn(input_size, hidden_size),
            "b1": np.zeros(hidden_size),
            "W2": std * np.random.randn(hidden_size, output_size),
            "b2": np.zeros(output_size),
        }

    def loss(
        self, X: np.ndarray, y: np.ndarray | None = None, reg: float = 0.0
    ) -> np.ndarray | tuple[float, dict[str, np.ndarray]]:
        """
        Inputs:
        - X: (N, D) data; y: (N,) labels in [0, C), or None for the scores alone.
        - reg: regularization strength; the loss adds reg * (sum(W1**2) + sum(W2**2)).

        Returns the scores (N, C) when y is None, else (loss, grads) with grads keyed like
        self.params.
        """
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        pre = X.dot(W1) + b1
        hidden = np.maximum(0, pre)
        scores = hidden.dot(W2) + b2
        if y is None:
            return scores
        n = X.shape[0]
        shifted = scores - scores.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -log_probs[np.arange(n), y].mean() + reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        dscores = np.exp(log_probs)
        dscores[np.arange(n), y] -= 1
        dscores /= n
        dhidden = dscores.dot(W2.T) * (pre > 0)
        grads = {
            "W2": hidden.T.dot(dscores) + 2 * reg * W2,
            "b2": dscores.sum(axis=0),
            "W1": X.T.dot(dhidden) + 2 * reg * W1,
            "b1": dhidden.sum(axis=0),
        }
        return loss, grads
