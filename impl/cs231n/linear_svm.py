"""Multiclass SVM losses for a linear classifier, with hand-derived gradients.

Shared conventions: there are N examples of dimension D and C classes.
Scores are s = X W and every loss is averaged over the N examples and
regularized with reg * sum(W * W), which contributes 2 * reg * W to dW.
A margin of exactly zero is treated as inactive (strict `> 0`).
"""

from __future__ import annotations

import numpy as np


def svm_loss_naive(
    W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float, delta: float = 1.0
) -> tuple[float, np.ndarray]:
    """
    Structured SVM loss function, naive implementation (with loops).

    loss = (1/N) sum_i sum_{j != y_i} max(0, s_ij - s_{i,y_i} + delta)
           + reg * sum(W * W)

    Inputs:
    - W: A numpy array of shape (D, C) containing weights.
    - X: A numpy array of shape (N, D) containing a minibatch of data.
    - y: A numpy array of shape (N,) containing integer training labels;
      y[i] = c means that X[i] has label c, where 0 <= c < C.
    - reg: (float) regularization strength.
    - delta: (float) the margin the correct score must win by.

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
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + delta
            if margin > 0:
                loss += margin
                # An active margin pushes s_j up and s_{y_i} down by X[i].
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]

    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return float(loss), dW


def _margins(W: np.ndarray, X: np.ndarray, y: np.ndarray, delta: float) -> tuple[np.ndarray, np.ndarray]:
    """
    Forward stages shared by the vectorized SVM variants.

    Inputs:
    - W: A numpy array of shape (D, C).
    - X: A numpy array of shape (N, D).
    - y: An integer numpy array of shape (N,).
    - delta: (float) margin.

    Returns a tuple of:
    - margins: A numpy array of shape (N, C), s_ij - s_{i,y_i} + delta.
    - rows: An integer numpy array of shape (N,), equal to arange(N).
    """
    rows = np.arange(X.shape[0])
    scores = X @ W
    correct = scores[rows, y][:, None]
    return scores - correct + delta, rows


def _dmargins_to_dW(
    dmargins: np.ndarray,
    X: np.ndarray,
    W: np.ndarray,
    rows: np.ndarray,
    y: np.ndarray,
    reg: float,
) -> np.ndarray:
    """
    Backward through margins = s - s_y + delta, s = X W, plus the reg term.

    Inputs:
    - dmargins: A numpy array of shape (N, C), upstream gradient on margins.
    - X: A numpy array of shape (N, D).
    - W: A numpy array of shape (D, C).
    - rows: An integer numpy array of shape (N,), equal to arange(N).
    - y: An integer numpy array of shape (N,).
    - reg: (float) regularization strength.

    Returns:
    - dW: A numpy array of shape (D, C) with the dtype of W.
    """
    # s_{i,y_i} is subtracted in every column of row i, so it collects
    # minus the row sum (the "count" of active margins for plain hinge).
    dscores = dmargins.copy()
    dscores[rows, y] -= dmargins.sum(axis=1)
    # scores = X W
    dW = (X.T @ dscores).astype(W.dtype, copy=False)
    # reg * sum(W * W)
    dW += 2 * reg * W
    return dW


def svm_loss_vectorized(
    W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float, delta: float = 1.0
) -> tuple[float, np.ndarray]:
    """
    Structured SVM loss function, vectorized implementation.

    Same definition, inputs and outputs as svm_loss_naive:

    Inputs:
    - W: A numpy array of shape (D, C) containing weights.
    - X: A numpy array of shape (N, D) containing a minibatch of data.
    - y: An integer numpy array of shape (N,), 0 <= y[i] < C.
    - reg: (float) regularization strength.
    - delta: (float) margin.

    Returns a tuple of:
    - loss: A Python float.
    - dW: A numpy array of shape (D, C) with the dtype of W.
    """
    N = X.shape[0]
    margins, rows = _margins(W, X, y, delta)
    masked = np.maximum(margins, 0)
    masked[rows, y] = 0  # j == y_i is excluded from the hinge sum
    loss = masked.sum() / N + reg * np.sum(W * W)

    # loss = sum(masked) / N
    dmasked = np.full_like(masked, 1.0 / N)
    # masked = max(margins, 0) off the correct class: binary mask
    dmargins = dmasked * (margins > 0)
    dmargins[rows, y] = 0
    dW = _dmargins_to_dW(dmargins, X, W, rows, y, reg)
    return float(loss), dW


def svm_loss_all_classes(
    W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float, delta: float = 1.0
) -> tuple[float, np.ndarray]:
    """
    SVM loss whose hinge sum runs over all classes, including j = y_i.

    loss = (1/N) sum_i sum_j max(0, s_ij - s_{i,y_i} + delta) + reg * sum(W*W)

    The extra j = y_i term equals max(0, delta), a constant, so the loss is
    shifted by delta (for delta > 0) and the gradient equals the standard one.

    Inputs:
    - W: A numpy array of shape (D, C) containing weights.
    - X: A numpy array of shape (N, D) containing a minibatch of data.
    - y: An integer numpy array of shape (N,), 0 <= y[i] < C.
    - reg: (float) regularization strength.
    - delta: (float) margin.

    Returns a tuple of:
    - loss: A Python float.
    - dW: A numpy array of shape (D, C) with the dtype of W.
    """
    N = X.shape[0]
    margins, rows = _margins(W, X, y, delta)
    clipped = np.maximum(margins, 0)
    loss = clipped.sum() / N + reg * np.sum(W * W)

    # loss = sum(clipped) / N
    dclipped = np.full_like(clipped, 1.0 / N)
    # clipped = max(margins, 0); the j = y_i entry is cancelled downstream,
    # since s_{i,y_i} enters that margin once with + and once with -.
    dmargins = dclipped * (margins > 0)
    dW = _dmargins_to_dW(dmargins, X, W, rows, y, reg)
    return float(loss), dW


def svm_loss_class_mean(
    W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float, delta: float = 1.0
) -> tuple[float, np.ndarray]:
    """
    SVM loss that averages, rather than sums, over the incorrect classes.

    loss = (1/N) sum_i (1/(C-1)) sum_{j != y_i} max(0, s_ij - s_{i,y_i} + delta)
           + reg * sum(W * W)

    Dividing by C - 1 (the number of incorrect classes, not C) makes the loss
    of all-zero scores equal delta whatever C is. Requires C >= 2.

    Inputs:
    - W: A numpy array of shape (D, C) containing weights.
    - X: A numpy array of shape (N, D) containing a minibatch of data.
    - y: An integer numpy array of shape (N,), 0 <= y[i] < C.
    - reg: (float) regularization strength.
    - delta: (float) margin.

    Returns a tuple of:
    - loss: A Python float.
    - dW: A numpy array of shape (D, C) with the dtype of W.
    """
    N, C = X.shape[0], W.shape[1]
    margins, rows = _margins(W, X, y, delta)
    masked = np.maximum(margins, 0)
    masked[rows, y] = 0
    loss = masked.sum() / (N * (C - 1)) + reg * np.sum(W * W)

    # loss = sum(masked) / (N (C - 1))
    dmasked = np.full_like(masked, 1.0 / (N * (C - 1)))
    # masked = max(margins, 0) off the correct class
    dmargins = dmasked * (margins > 0)
    dmargins[rows, y] = 0
    dW = _dmargins_to_dW(dmargins, X, W, rows, y, reg)
    return float(loss), dW


def squared_hinge_loss(
    W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float, delta: float = 1.0
) -> tuple[float, np.ndarray]:
    """
    Squared hinge (L2-SVM) loss.

    loss = (1/N) sum_i sum_{j != y_i} max(0, s_ij - s_{i,y_i} + delta)**2
           + reg * sum(W * W)

    Inputs:
    - W: A numpy array of shape (D, C) containing weights.
    - X: A numpy array of shape (N, D) containing a minibatch of data.
    - y: An integer numpy array of shape (N,), 0 <= y[i] < C.
    - reg: (float) regularization strength.
    - delta: (float) margin.

    Returns a tuple of:
    - loss: A Python float.
    - dW: A numpy array of shape (D, C) with the dtype of W.
    """
    N = X.shape[0]
    margins, rows = _margins(W, X, y, delta)
    masked = np.maximum(margins, 0)
    masked[rows, y] = 0
    squared = masked * masked
    loss = squared.sum() / N + reg * np.sum(W * W)

    # loss = sum(squared) / N
    dsquared = np.full_like(squared, 1.0 / N)
    # squared = masked ** 2
    dmasked = 2 * masked * dsquared
    # masked = max(margins, 0) off the correct class; masked is already zero
    # wherever the hinge is inactive, so no separate mask is needed here.
    dmargins = dmasked
    dW = _dmargins_to_dW(dmargins, X, W, rows, y, reg)
    return float(loss), dW
