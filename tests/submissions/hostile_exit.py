"""Hostile: leave the process in the middle of a call, hoping a clean exit reads as success.
``sys.exit(0)`` raises SystemExit (an ``exception``); ``os._exit(0)`` ends the worker
(``worker_died``)."""

import os
import sys


def svm_loss_naive(W, X, y, reg):
    sys.exit(0)


def svm_loss_vectorized(W, X, y, reg):
    os._exit(0)
