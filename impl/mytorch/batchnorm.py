"""
CMU 11-785 MyTorch BatchNorm1d (HW1P1): answer key.

Training:  M = mean(Z, 0), V = var(Z, 0) (biased, divides by N, as np.var),
           NZ = (Z - M) / sqrt(V + eps),  BZ = BW * NZ + Bb,
           running_M = alpha * running_M + (1 - alpha) * M   (same for running_V with V).
Inference: NZ = (Z - running_M) / sqrt(running_V + eps).
Unlike torch.nn.BatchNorm1d (momentum 0.1 on the new value, unbiased running variance),
alpha weighs the old value and the running variance is biased.
"""

from __future__ import annotations

import numpy as np


class BatchNorm1d:
    """
    Attributes (all (1, C)): BW (ones), Bb (zeros), dLdBW, dLdBb, running_M (zeros),
    running_V (ones). eps = 1e-8.
    """

    def __init__(self, num_features: int, alpha: float = 0.9):
        self.alpha = alpha
        self.eps = 1e-8
        self.BW = np.ones((1, num_features))
        self.Bb = np.zeros((1, num_features))
        self.dLdBW = np.zeros((1, num_features))
        self.dLdBb = np.zeros((1, num_features))
        self.running_M = np.zeros((1, num_features))
        self.running_V = np.ones((1, num_features))

    def forward(self, Z: np.ndarray, eval: bool = False) -> np.ndarray:
        """
        Inputs:
        - Z: (N, C).
        - eval: use the running statistics and leave them unchanged.

        Returns:
        - BZ: (N, C).
        """
        self.Z = Z
        self.N = Z.shape[0]
        self.eval = eval
        if eval:
            self.M, self.V = self.running_M, self.running_V
        else:
            self.M = Z.mean(axis=0, keepdims=True)
            self.V = Z.var(axis=0, keepdims=True)
            self.running_M = self.alpha * self.running_M + (1 - self.alpha) * self.M
            self.running_V = self.alpha * self.running_V + (1 - self.alpha) * self.V
        self.NZ = (Z - self.M) / np.sqrt(self.V + self.eps)
        self.BZ = self.BW * self.NZ + self.Bb
        return self.BZ

    def backward(self, dLdBZ: np.ndarray) -> np.ndarray:
        """
        Inputs:
        - dLdBZ: (N, C).

        Returns:
        - dLdZ: (N, C). Stores dLdBW and dLdBb, both (1, C).
        After an eval forward the statistics are constants, so dLdZ = dLdNZ / sqrt(V + eps).
        """
        self.dLdBW = np.sum(dLdBZ * self.NZ, axis=0, keepdims=True)
        self.dLdBb = np.sum(dLdBZ, axis=0, keepdims=True)
        dLdNZ = dLdBZ * self.BW
        inv_std = 1 / np.sqrt(self.V + self.eps)
        if self.eval:
            return dLdNZ * inv_std
        # M and V depend on every row; the two means below are their contributions
        mean_g = dLdNZ.mean(axis=0, keepdims=True)
        mean_gx = (dLdNZ * self.NZ).mean(axis=0, keepdims=True)
        return inv_std * (dLdNZ - mean_g - self.NZ * mean_gx)
