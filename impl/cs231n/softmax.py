"""Softmax (cross-entropy) loss for a linear classifier, hand-derived gradients.

There are N examples of dimension D and C classes; scores are s = X W.
loss = (1/N) sum_i -log softmax(s_i)[y_i] + reg * sum(W * W).
"""

from __future__ import annotations

import numpy as np


def softmax_loss_naive(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
    """
    Softmax loss function, naive implementation (with loops).

    Inputs:
    - W: A numpy array of shape (D, C) containing weights.
    - X: A numpy array of shape (N, D) containing a minibatch of data.
    - y: A numpy array of shape (N,) containing integer training labels;
      y[i] = c means that X[i] has label c, where 0 <= c < C.
    - reg: (float) regularization strength.

    Returns a tuple of:
    - loss: A Python float.
    - dW: A numpy array of shape (D, C), the gradient of loss with respect
      to W, with the same dtype as W.
    """
    dW = np.zeros_like(W)
    num_classes = W.shape[1]
    num_train = X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        # Softmax is shift-invariant; subtracting the max keeps exp() finite.
        shifted = scores - np.max(scores)
        log_norm = np.log(np.sum(np.exp(shifted)))
        loss += log_norm - shifted[y[i]]
        probs = np.exp(shifted - log_norm)
        for j in range(num_classes):
            # d(-log p_y)/ds_j = p_j - 1[j == y_i]
            dW[:, j] += (probs[j] - (j == y[i])) * X[i]

    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return float(loss), dW


def softmax_loss_vectorized(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
    """
    Softmax loss function, vectorized implementation.

    Inputs:
    - W: A numpy array of shape (D, C) containing weights.
    - X: A numpy array of shape (N, D) containing a minibatch of data.
    - y: An integer numpy array of shape (N,), 0 <= y[i] < C.
    - reg: (float) regularization strength.

    Returns a tuple of:
    - loss: A Python float.
    - dW: A numpy array of shape (D, C) with the dtype of W.
    """
    N = X.shape[0]
    rows = np.arange(N)
    scores = X @ W
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_probs = shifted - log_norm
    loss = -log_probs[rows, y].sum() / N + reg * np.sum(W * W)

    # loss = -sum_i log_probs[i, y_i] / N
    dlog_probs = np.zeros_like(log_probs)
    dlog_probs[rows, y] = -1.0 / N
    # log_probs = shifted - logsumexp(shifted)
    probs = np.exp(log_probs)
    dshifted = dlog_probs - probs * dlog_probs.sum(axis=1, keepdims=True)
    # shifted = scores - rowmax: shift invariance gives the max zero gradient
    dscores = dshifted
    # scores = X W
    dW = (X.T @ dscores).astype(W.dtype, copy=False)
    # reg * sum(W * W)
    dW += 2 * reg * W
    return float(loss), dW
