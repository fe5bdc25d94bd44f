"""Linear classifiers as in the 2016 template: loss += 0.5 * reg * sum(W * W), gradient
reg * W. Correct for that edition."""

import numpy as np


def svm_loss_naive(W, X, y, reg):
    dW = np.zeros(W.shape)
    num_classes, num_train = W.shape[1], X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - scores[y[i]] + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss = loss / num_train + 0.5 * reg * np.sum(W * W)
    return loss, dW / num_train + reg * W


def softmax_loss_vectorized(W, X, y, reg):
    n = X.shape[0]
    scores = X.dot(W)
    scores -= scores.max(axis=1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(n), y]).mean() + 0.5 * reg * np.sum(W * W)
    probs[np.arange(n), y] -= 1
    return loss, X.T.dot(probs) / n + reg * W
