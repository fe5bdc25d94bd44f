"""
CMU 11-785 MyTorch resampling layers (HW2P1): answer key.

Channels-first: 1d tensors are (N, C, W), 2d tensors are (N, C, H, W).
- Upsample by k inserts k - 1 zeros between neighbours: W_out = k (W_in - 1) + 1.
- Downsample by k keeps every k-th sample from index 0: W_out = ceil(W_in / k); backward
  needs W_in, which forward stores because it cannot be recovered from W_out.
"""

from __future__ import annotations

import numpy as np


class Upsample1d:
    def __init__(self, upsampling_factor: int):
        self.upsampling_factor = upsampling_factor

    def forward(self, A: np.ndarray) -> np.ndarray:
        """A: (N, C, W_in) -> Z: (N, C, k (W_in - 1) + 1)."""
        k = self.upsampling_factor
        N, C, W = A.shape
        Z = np.zeros((N, C, k * (W - 1) + 1), dtype=A.dtype)
        Z[:, :, ::k] = A
        return Z

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        """dLdZ: (N, C, W_out) -> dLdA: (N, C, W_in); the inserted zeros get no gradient."""
        return dLdZ[:, :, :: self.upsampling_factor]


class Downsample1d:
    def __init__(self, downsampling_factor: int):
        self.downsampling_factor = downsampling_factor

    def forward(self, A: np.ndarray) -> np.ndarray:
        """A: (N, C, W_in) -> Z: (N, C, ceil(W_in / k))."""
        self.input_width = A.shape[2]
        return A[:, :, :: self.downsampling_factor]

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        """dLdZ: (N, C, W_out) -> dLdA: (N, C, W_in), zeros at the dropped positions."""
        N, C, _ = dLdZ.shape
        dLdA = np.zeros((N, C, self.input_width), dtype=dLdZ.dtype)
        dLdA[:, :, :: self.downsampling_factor] = dLdZ
        return dLdA


class Upsample2d:
    def __init__(self, upsampling_factor: int):
        self.upsampling_factor = upsampling_factor

    def forward(self, A: np.ndarray) -> np.ndarray:
        """A: (N, C, H_in, W_in) -> Z: (N, C, k (H_in - 1) + 1, k (W_in - 1) + 1)."""
        k = self.upsampling_factor
        N, C, H, W = A.shape
        Z = np.zeros((N, C, k * (H - 1) + 1, k * (W - 1) + 1), dtype=A.dtype)
        Z[:, :, ::k, ::k] = A
        return Z

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        """dLdZ: (N, C, H_out, W_out) -> dLdA: (N, C, H_in, W_in)."""
        k = self.upsampling_factor
        return dLdZ[:, :, ::k, ::k]


class Downsample2d:
    def __init__(self, downsampling_factor: int):
        self.downsampling_factor = downsampling_factor

    def forward(self, A: np.ndarray) -> np.ndarray:
        """A: (N, C, H_in, W_in) -> Z: (N, C, ceil(H_in / k), ceil(W_in / k))."""
        self.input_height, self.input_width = A.shape[2:]
        k = self.downsampling_factor
        return A[:, :, ::k, ::k]

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        """dLdZ: (N, C, H_out, W_out) -> dLdA: (N, C, H_in, W_in)."""
        k = self.downsampling_factor
        N, C = dLdZ.shape[:2]
        dLdA = np.zeros((N, C, self.input_height, self.input_width), dtype=dLdZ.dtype)
        dLdA[:, :, ::k, ::k] = dLdZ
        return dLdA
