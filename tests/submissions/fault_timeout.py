"""Fault ``timeout``: softmax_loss_naive never returns."""


def softmax_loss_naive(W, X, y, reg):
    while True:
        pass
