"""Fault ``worker_died``: svm_loss_naive segfaults (a NULL read through ctypes) and
svm_loss_vectorized kills its own process."""

import ctypes
import os
import signal


def svm_loss_naive(W, X, y, reg):
    return ctypes.string_at(0), W


def svm_loss_vectorized(W, X, y, reg):
    os.kill(os.getpid(), signal.SIGKILL)
