"""Wrong values at a kink: outside the one-sided derivatives, or a tie's gradient not kept.

At a non-differentiable point any value between the one-sided derivatives is valid, and a
tied pooling window may split its gradient among its maxima; these mutants go beyond that,
and each changes nothing away from a kink, so only the ``ties`` edge case catches them.
"""

from __future__ import annotations

import numpy as np

import gradverify.impl.cs231n.layers as layers
import gradverify.impl.cs231n.linear_svm as svm
from bugzoo import Mutant, _layer, _loss
from bugzoo_conv import _pool, _pool_windows, max_pool_backward_every_max

OUT_OF_BOUNDS, TIE_SUM = ("kink_out_of_bounds",), ("tie_sum",)


def relu_backward_huge_at_zero(dout, cache):
    dx = dout * (cache > 0)
    dx[cache == 0] = 1e6
    return dx


def _hinge_at_zero(scores, y, delta, weight):
    """(N, C) score gradient of a hinge margin at exactly 0 counted with ``weight``."""
    rows = np.arange(len(y))
    margins = scores - scores[rows, y][:, None] + delta
    at = weight * (margins == 0)
    at[rows, y] = 0
    at[rows, y] = -at.sum(axis=1)
    return at


def svm_scores_two_at_zero(x, y):
    loss, dx = layers.svm_loss(x, y)
    return loss, dx + _hinge_at_zero(x, y, 1.0, 2.0 / len(x))


def svm_two_at_zero(W, X, y, reg):
    loss, dW = svm.svm_loss_vectorized(W, X, y, reg)
    return loss, dW + X.T @ _hinge_at_zero(X @ W, y, 1.0, 2.0 / len(X))


def max_pool_backward_normalized_twice(dout, cache):
    # share among the maxima, then divide by their count again: a tie of k passes dout / k
    def shares(window):
        maxima = window == window.max(axis=-1, keepdims=True)
        count = maxima.sum(axis=-1, keepdims=True)
        return maxima / count**2

    return _pool_windows(dout, cache, shares)


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "relu",
        "huge_at_zero",
        _layer(layers.relu_forward, relu_backward_huge_at_zero, ("x",)),
        ("dx",),
        diagnosis=OUT_OF_BOUNDS,
    ),
    Mutant(
        "svm_loss",
        "two_at_zero",
        _loss(svm_scores_two_at_zero, ("x",), ("x", "y")),
        ("dx",),
        diagnosis=OUT_OF_BOUNDS,
    ),
    Mutant("svm", "two_at_zero", _loss(svm_two_at_zero), ("dW",), diagnosis=OUT_OF_BOUNDS),
    Mutant("max_pool", "grad_to_every_max", _pool(max_pool_backward_every_max), ("dx",), diagnosis=TIE_SUM),
    Mutant("max_pool", "normalized_twice", _pool(max_pool_backward_normalized_twice), ("dx",), diagnosis=TIE_SUM),
)


# --- valid subgradients the bounds must accept --------------------------------------------


def svm_scores_one_at_zero(x, y):
    loss, dx = layers.svm_loss(x, y)
    return loss, dx + _hinge_at_zero(x, y, 1.0, 1.0 / len(x))  # margin >= 0: the other side


def svm_half_at_zero(W, X, y, reg):
    loss, dW = svm.svm_loss_vectorized(W, X, y, reg)
    return loss, dW + X.T @ _hinge_at_zero(X @ W, y, 1.0, 0.5 / len(X))  # halfway between the sides


def max_pool_backward_split_evenly(dout, cache):
    def shares(window):
        maxima = window == window.max(axis=-1, keepdims=True)
        return maxima / maxima.sum(axis=-1, keepdims=True)

    return _pool_windows(dout, cache, shares)


MUTANTS += (
    Mutant(
        "svm_loss",
        "one_at_zero",
        _loss(svm_scores_one_at_zero, ("x",), ("x", "y")),
        ("dx",),
        status="kink",
        diagnosis=("kink",),
    ),
    Mutant("svm", "half_at_zero", _loss(svm_half_at_zero), ("dW",), status="kink", diagnosis=("kink",)),
    Mutant(
        "max_pool", "split_evenly", _pool(max_pool_backward_split_evenly), ("dx",), status="kink", diagnosis=("kink",)
    ),
)
