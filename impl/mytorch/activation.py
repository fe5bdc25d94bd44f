"""
CMU 11-785 MyTorch activations (HW1P1, reused in HW3P1 and HW4P1): answer key.

forward(Z) -> A stores what backward needs. backward(dLdA) -> dLdZ is the S24+ signature.
The S23 handout's backward() took no argument and returned dAdZ, the elementwise
derivative; calling backward() with no argument here does the same (not for Softmax,
whose derivative is a Jacobian). HW3P1's Tanh/Sigmoid.backward also accept state=, the
stored output of an earlier time step.
"""

from __future__ import annotations

import numpy as np

_SQRT_2 = np.sqrt(2.0)
_SQRT_PI = np.sqrt(np.pi)


class _Elementwise:
    """Shared backward for activations whose Jacobian is diagonal."""

    def _dAdZ(self, state: np.ndarray | None = None) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dLdA: np.ndarray | None = None, state: np.ndarray | None = None) -> np.ndarray:
        """
        Inputs:
        - dLdA: (N, C) or any shape of Z; None returns dAdZ (the S23 signature).
        - state: optional stored output A to differentiate at (HW3P1), Tanh and Sigmoid only.

        Returns:
        - dLdZ, or dAdZ when dLdA is None; shape of Z.
        """
        dAdZ = self._dAdZ(state)
        return dAdZ if dLdA is None else dLdA * dAdZ


class Identity(_Elementwise):
    def forward(self, Z: np.ndarray) -> np.ndarray:
        """Z: any shape -> A = Z."""
        self.A = Z
        return self.A

    def _dAdZ(self, state=None):
        return np.ones_like(self.A)


class Sigmoid(_Elementwise):
    def forward(self, Z: np.ndarray) -> np.ndarray:
        """Z: any shape -> A = 1 / (1 + exp(-Z))."""
        self.A = np.exp(-np.logaddexp(0, -Z))  # no overflow for very negative Z
        return self.A

    def _dAdZ(self, state=None):
        A = self.A if state is None else state
        return A * (1 - A)


class Tanh(_Elementwise):
    def forward(self, Z: np.ndarray) -> np.ndarray:
        """Z: any shape -> A = tanh(Z)."""
        self.A = np.tanh(Z)
        return self.A

    def _dAdZ(self, state=None):
        A = self.A if state is None else state
        return 1 - A**2


class ReLU(_Elementwise):
    def forward(self, Z: np.ndarray) -> np.ndarray:
        """Z: any shape -> A = max(Z, 0)."""
        self.A = np.maximum(Z, 0)
        return self.A

    def _dAdZ(self, state=None):
        # derivative 0 at Z == 0, like the course and torch
        return (self.A > 0).astype(self.A.dtype)


class GELU(_Elementwise):
    """Exact GELU, A = Z * Phi(Z) with the Gaussian CDF Phi (torch's approximate='none')."""

    def forward(self, Z: np.ndarray) -> np.ndarray:
        """Z: any shape -> A = 0.5 Z (1 + erf(Z / sqrt 2))."""
        self.Z = Z
        self.A = Z * _normal_cdf(Z)
        return self.A

    def _dAdZ(self, state=None):
        Z = self.Z
        pdf = np.exp(-0.5 * Z**2) / (_SQRT_2 * _SQRT_PI)
        return _normal_cdf(Z) + Z * pdf


class Softmax:
    """Softmax along `dim` (HW1P1: rows of an (N, C) input; HW4P1: any axis)."""

    def __init__(self, dim: int = -1):
        self.dim = dim

    def forward(self, Z: np.ndarray) -> np.ndarray:
        """Z: any shape -> A of the same shape, each slice along dim summing to 1."""
        e = np.exp(Z - np.max(Z, axis=self.dim, keepdims=True))
        self.A = e / np.sum(e, axis=self.dim, keepdims=True)
        return self.A

    def backward(self, dLdA: np.ndarray) -> np.ndarray:
        """
        Inputs:
        - dLdA: shape of A.

        Returns:
        - dLdZ: shape of A. The Jacobian diag(a) - a a^T applied to each slice is
          a * (dLdA - <dLdA, a>), so no C x C matrix is built.
        """
        A = self.A
        return A * (dLdA - np.sum(dLdA * A, axis=self.dim, keepdims=True))


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    """Phi(x) = erfc(-x / sqrt 2) / 2, accurate in both tails."""
    return 0.5 * _erfc(-x / _SQRT_2)


def _erfc(x: np.ndarray) -> np.ndarray:
    """
    Complementary error function to about 1e-15 relative accuracy, NumPy only (NumPy has no erf).

    |x| < 3: erf from the series 2/sqrt(pi) exp(-x^2) sum_n (2x^2)^n x / (1*3*...*(2n+1)),
    whose terms are all positive (no cancellation). |x| >= 3: the Laplace continued fraction
    erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated
    from a fixed depth. erfc(-x) = 2 - erfc(x).
    """
    x = np.asarray(x, dtype=np.result_type(x, np.float32))
    ax = np.abs(x)
    small = ax < 3.0
    out = np.empty_like(x)

    xs = ax[small]
    term = xs.copy()
    total = xs.copy()
    for n in range(1, 80):  # terms shrink like (2x^2)^n / (2n+1)!!; 80 covers |x| < 3
        term = term * 2 * xs**2 / (2 * n + 1)
        total = total + term
    erf_small = 2 / _SQRT_PI * np.exp(-(xs**2)) * total
    out[small] = 1 - erf_small

    xl = ax[~small]
    frac = xl.copy()
    for k in range(60, 0, -1):
        frac = xl + (k / 2) / frac
    out[~small] = np.exp(-(xl**2)) / _SQRT_PI / frac

    return np.where(x < 0, 2 - out, out)
