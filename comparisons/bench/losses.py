"""The linear classifiers' losses at the course's sizes: vectorized vs torch, naive vs vectorized.

Sizes are the assignment's development set: N = 500 CIFAR-10 images of D = 3073 values
(3072 pixels and the bias trick's constant 1), C = 10 classes. Each call computes the loss
and its gradient; the torch baseline is the reference's forward plus ``autograd.grad``, in
the same dtype and on the same (zero-copy) arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import gradverify.reference.cs231n.linear_svm as ref_svm
import gradverify.reference.cs231n.softmax as ref_softmax
from gradverify.bench.timing import Row, Settings, pair, row, with_goal
from gradverify.impl.cs231n.linear_svm import svm_loss_naive, svm_loss_vectorized
from gradverify.impl.cs231n.softmax import softmax_loss_naive, softmax_loss_vectorized

TORCH_GOAL = 1.5
"""Goal of the issue: the vectorized loss within 1.5x of torch's forward + backward."""

REG = 5e-6

LOSSES: tuple[tuple[str, Callable, Callable, Callable], ...] = (
    ("svm", svm_loss_vectorized, svm_loss_naive, ref_svm.svm_loss),
    ("softmax", softmax_loss_vectorized, softmax_loss_naive, ref_softmax.softmax_loss),
)


def data(n: int, d: int, c: int, dtype: type, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """W small (as the notebooks initialize it), X standard normal, y every class."""
    rng = np.random.default_rng(seed)
    W = (rng.standard_normal((d, c)) * 1e-4).astype(dtype)
    X = rng.standard_normal((n, d)).astype(dtype)
    y = rng.integers(0, c, size=n)
    return W, X, y


def torch_loss(reference: Callable, W: np.ndarray, X: np.ndarray, y: np.ndarray) -> Callable[[], Any]:
    """The reference's loss and autograd gradient on tensors sharing the arrays' memory."""
    tW = torch.from_numpy(W).requires_grad_(True)
    tX, ty = torch.from_numpy(X), torch.from_numpy(y)

    def call() -> Any:
        loss = reference(tW, tX, ty, REG)
        return torch.autograd.grad(loss, tW)

    return call


def numpy_loss(fn: Callable, W: np.ndarray, X: np.ndarray, y: np.ndarray) -> Callable[[], Any]:
    return lambda: fn(W, X, y, REG)


def run(settings: Settings) -> list[Row]:
    n, d, c = (100, 3073, 10) if settings.quick else (500, 3073, 10)
    rows = []
    for name, vectorized, naive, reference in LOSSES:
        for dtype in (np.float32, np.float64):
            W, X, y = data(n, d, c, dtype)
            params: dict[str, Any] = {"N": n, "D": d, "C": c, "dtype": dtype.__name__}
            subject = numpy_loss(vectorized, W, X, y)
            times = pair(subject, torch_loss(reference, W, X, y), settings)
            torch_name = f"torch {reference.__module__}.{reference.__name__} forward+backward"
            rows.append(with_goal(row(f"{name}_loss", vectorized.__name__, torch_name, times, **params), TORCH_GOAL))
            # the notebook's speed-up table: fewer repeats, the naive loop is slow
            times = pair(subject, numpy_loss(naive, W, X, y), settings, repeat=3)
            rows.append(row(f"{name}_loss", vectorized.__name__, naive.__name__, times, **params))
    return rows
