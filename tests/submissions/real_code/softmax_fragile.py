"""Softmax losses right on the course's inputs but fragile at extreme score gaps, as students
write them: math.log of the probability (ValueError on 0), a shift by the batch's max instead
of each row's, and a gradient divided by p[y]."""

import math

import numpy as np


def softmax_loss_naive(W, X, y, reg):
    scores = X @ W
    loss, dW = 0.0, np.zeros_like(W)
    for i in range(len(X)):
        shifted = scores[i] - scores[i].max()
        p = np.exp(shifted) / np.exp(shifted).sum()
        loss -= math.log(p[y[i]])
        p[y[i]] -= 1
        dW += np.outer(X[i], p)
    return loss / len(X) + reg * np.sum(W * W), dW / len(X) + 2 * reg * W


def softmax_loss_vectorized(W, X, y, reg):
    scores = X @ W
    scores = scores - scores.max()  # the batch's max
    p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    n = len(X)
    loss = -np.log(p[np.arange(n), y]).mean() + reg * np.sum(W * W)
    p[np.arange(n), y] -= 1
    return loss, X.T @ p / n + 2 * reg * W


def softmax_loss(x, y):
    shifted = x - x.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    n = len(x)
    py = p[np.arange(n), y]
    loss = -np.log(py).mean()
    # d(-log p_y)/dx = (dp_y/dx) / -p_y, written with a division by p[y]
    dpy = -py[:, None] * p
    dpy[np.arange(n), y] += py
    return loss, -dpy / py[:, None] / n
