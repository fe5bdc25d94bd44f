"""
CMU 11-785 MyTorch losses (HW1P1): answer key, S24 conventions.

A: model outputs (N, C); Y: targets (N, C) (one-hot or probability rows for cross-entropy).
- MSELoss:          L = sum((A - Y)^2) / (N C);         dLdA = 2 (A - Y) / (N C)
- CrossEntropyLoss: L = mean_i -sum_c Y log softmax(A); dLdA = (softmax(A) - Y) / N
The S23 handout differed: MSE was SSE / (2 N C) with dLdA = (A - Y) / (N C), and
cross-entropy's backward returned softmax(A) - Y without the 1/N, which Linear.backward then
applied to dLdW and dLdb instead.
"""

from __future__ import annotations

import numpy as np


class MSELoss:
    def __init__(self, edition: str = "S24"):
        """edition "S23": L = SSE / (2 N C), dLdA = (A - Y) / (N C) (half of S24's both)."""
        if edition not in ("S23", "S24"):
            raise ValueError(f"edition must be 'S23' or 'S24', got {edition!r}")
        self.edition = edition

    def forward(self, A: np.ndarray, Y: np.ndarray) -> np.floating:
        """
        Inputs:
        - A: (N, C) predictions.
        - Y: (N, C) targets.

        Returns:
        - L: scalar, the mean squared error over all N * C entries.
        """
        self.A, self.Y = A, Y
        self.N, self.C = A.shape
        half = 0.5 if self.edition == "S23" else 1.0
        return half * np.sum((A - Y) ** 2) / (self.N * self.C)

    def backward(self) -> np.ndarray:
        """Returns dLdA of shape (N, C)."""
        factor = 1 if self.edition == "S23" else 2
        return factor * (self.A - self.Y) / (self.N * self.C)


class CrossEntropyLoss:
    def __init__(self, edition: str = "S24"):
        """edition "S23": backward returns softmax(A) - Y, without the 1/N of the mean."""
        if edition not in ("S23", "S24"):
            raise ValueError(f"edition must be 'S23' or 'S24', got {edition!r}")
        self.edition = edition

    def forward(self, A: np.ndarray, Y: np.ndarray) -> np.floating:
        """
        Inputs:
        - A: (N, C) logits.
        - Y: (N, C) target distributions (usually one-hot).

        Returns:
        - L: scalar, cross-entropy of softmax(A) against Y averaged over the N rows.
        """
        self.A, self.Y = A, Y
        self.N = A.shape[0]
        shifted = A - np.max(A, axis=1, keepdims=True)
        log_softmax = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        self.softmax = np.exp(log_softmax)
        # log-softmax directly, not log(softmax), so a tiny probability cannot become log(0)
        return -np.sum(Y * log_softmax) / self.N

    def backward(self) -> np.ndarray:
        """Returns dLdA of shape (N, C)."""
        return (self.softmax - self.Y) / (1 if self.edition == "S23" else self.N)
