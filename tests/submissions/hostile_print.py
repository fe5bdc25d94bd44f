"""Hostile: print to stdout, in Python and on file descriptor 1, including bytes that look
like the worker's reply frames and a claim that everything passed. The printing
svm_loss_naive is correct (it must pass); svm_loss_vectorized is wrong (it must fail)."""

import json
import os
import struct
import sys

import numpy as np

FAKE = json.dumps({"ok": True, "outputs": {}, "grads": {}, "mutated": [], "_arrays": []}).encode()
FRAME = b"GVP1" + struct.pack(">IQ", len(FAKE), 0) + FAKE

print("all checks passed")
os.write(1, FRAME)


def _svm(W, X, y, reg):
    n = X.shape[0]
    scores = X @ W
    margins = np.maximum(0, scores - scores[np.arange(n), y][:, None] + 1)
    margins[np.arange(n), y] = 0
    binary = (margins > 0).astype(W.dtype)
    binary[np.arange(n), y] = -binary.sum(axis=1)
    return margins.sum() / n + reg * np.sum(W * W), X.T @ binary / n + 2 * reg * W


def svm_loss_naive(W, X, y, reg):
    print("PASS svm_loss_naive")
    sys.stdout.flush()
    os.write(1, FRAME * 3)
    sys.stdout.buffer.write(FRAME)
    return _svm(W, X, y, reg)


def svm_loss_vectorized(W, X, y, reg):
    print("gradverify: 0 failed, everything agrees", flush=True)
    os.write(1, FRAME)
    loss, dW = _svm(W, X, y, reg)
    return loss, 2 * dW
