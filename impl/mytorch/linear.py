"""
CMU 11-785 MyTorch Linear layer (HW1P1): answer key.

Z = A W^T + b, with W of shape (C_out, C_in). Gradients are the plain (unaveraged)
derivatives of the loss, as in the S24+ handouts; the loss functions already divide by N.

Bias layout differs by edition:
- HW1P1 (S23, S24): b and dLdb of shape (C_out, 1), A of shape (N, C_in).
- HW4P1 (S25, "Changed from (out_features, 1) to match PyTorch"): b and dLdb of shape
  (C_out,), A of shape (*, C_in) with any leading dimensions, plus init_weights(W, b).
flat_bias=True selects the second layout. Leading dimensions work in both.
S23's handout divided dLdW and dLdb by N here (its cross-entropy backward did not);
edition="S23" does the same.
"""

from __future__ import annotations

import numpy as np


class Linear:
    """
    Attributes:
    - W: (C_out, C_in), zeros at construction (the course's starter code).
    - b: (C_out, 1), or (C_out,) with flat_bias.
    - After backward: dLdW (C_out, C_in), dLdb (shape of b), dLdA (shape of A).
    """

    def __init__(
        self, in_features: int, out_features: int, debug: bool = False, *, flat_bias: bool = False, edition: str = "S24"
    ):
        """
        Inputs:
        - in_features: C_in.
        - out_features: C_out.
        - debug: kept for the handout's signature; dLdA is stored either way.
        - flat_bias: b of shape (C_out,) instead of (C_out, 1).
        - edition: "S23" averages dLdW and dLdb over the N rows of A; "S24" (and later) does not.
        """
        self.in_features = in_features
        self.out_features = out_features
        self.debug = debug
        self.flat_bias = flat_bias
        if edition not in ("S23", "S24"):
            raise ValueError(f"edition must be 'S23' or 'S24', got {edition!r}")
        self.edition = edition
        self.W = np.zeros((out_features, in_features))
        self.b = np.zeros(out_features) if flat_bias else np.zeros((out_features, 1))

    def init_weights(self, W: np.ndarray, b: np.ndarray) -> None:
        """W: (C_out, C_in); b: (C_out,) or (C_out, 1)."""
        self.W = W
        self.b = b

    def forward(self, A: np.ndarray) -> np.ndarray:
        """
        Inputs:
        - A: (N, C_in), or (*, C_in).

        Returns:
        - Z: (N, C_out), or (*, C_out).
        """
        self.A = A
        self.N = A.shape[0]
        return A @ self.W.T + self.b.reshape(-1)

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        """
        Inputs:
        - dLdZ: (N, C_out), or (*, C_out).

        Returns:
        - dLdA: (N, C_in), or (*, C_in). Also stores dLdW (C_out, C_in) and dLdb (shape of b).
        """
        # fold every leading dimension into one batch axis
        G = dLdZ.reshape(-1, self.out_features)
        A2 = self.A.reshape(-1, self.in_features)
        self.dLdW = G.T @ A2
        self.dLdb = G.sum(axis=0).reshape(self.b.shape)
        if self.edition == "S23":
            self.dLdW, self.dLdb = self.dLdW / self.N, self.dLdb / self.N
        self.dLdA = dLdZ @ self.W
        return self.dLdA
