"""
CMU 11-785 MyTorch pooling (HW2P1): answer key.

A: (N, C, H_in, W_in) (the handout names the spatial axes width then height; only the
order matters). No padding. Strided pooling is stride-1 pooling followed by Downsample2d,
as the handout composes it, which equals direct pooling with that stride.
Max-pool ties send the gradient to the first maximal entry in row-major window order.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .resampling import Downsample2d


class MaxPool2d_stride1:
    def __init__(self, kernel: int):
        self.kernel = kernel

    def forward(self, A: np.ndarray) -> np.ndarray:
        """A: (N, C, H_in, W_in) -> Z: (N, C, H_in - k + 1, W_in - k + 1)."""
        self.A_shape = A.shape
        k = self.kernel
        windows = sliding_window_view(A, (k, k), axis=(2, 3))  # (N, C, H_out, W_out, k, k)
        flat = windows.reshape(*windows.shape[:4], k * k)
        self.argmax = flat.argmax(axis=-1)  # (N, C, H_out, W_out), index inside each window
        return np.take_along_axis(flat, self.argmax[..., None], axis=-1)[..., 0]

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        """dLdZ: (N, C, H_out, W_out) -> dLdA: (N, C, H_in, W_in)."""
        k = self.kernel
        N, C, H_out, W_out = dLdZ.shape
        n, c, h, w = np.indices((N, C, H_out, W_out))
        rows = h + self.argmax // k
        cols = w + self.argmax % k
        dLdA = np.zeros(self.A_shape, dtype=dLdZ.dtype)
        # overlapping windows can pick the same input; add.at accumulates repeated indices
        np.add.at(dLdA, (n, c, rows, cols), dLdZ)
        return dLdA


class MeanPool2d_stride1:
    def __init__(self, kernel: int):
        self.kernel = kernel

    def forward(self, A: np.ndarray) -> np.ndarray:
        """A: (N, C, H_in, W_in) -> Z: (N, C, H_in - k + 1, W_in - k + 1)."""
        k = self.kernel
        return sliding_window_view(A, (k, k), axis=(2, 3)).mean(axis=(4, 5))

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        """dLdZ: (N, C, H_out, W_out) -> dLdA: (N, C, H_in, W_in)."""
        k = self.kernel
        # each input receives 1/k^2 of every window covering it: a full correlation with ones
        padded = np.pad(dLdZ, ((0, 0), (0, 0), (k - 1, k - 1), (k - 1, k - 1)))
        return sliding_window_view(padded, (k, k), axis=(2, 3)).sum(axis=(4, 5)) / (k * k)


class MaxPool2d:
    """Attributes maxpool2d_stride1, downsample2d."""

    def __init__(self, kernel: int, stride: int):
        self.kernel, self.stride = kernel, stride
        self.maxpool2d_stride1 = MaxPool2d_stride1(kernel)
        self.downsample2d = Downsample2d(stride)

    def forward(self, A: np.ndarray) -> np.ndarray:
        """A: (N, C, H_in, W_in) -> Z: (N, C, (H_in - k) // stride + 1, (W_in - k) // stride + 1)."""
        return self.downsample2d.forward(self.maxpool2d_stride1.forward(A))

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        """dLdZ: shape of Z -> dLdA: (N, C, H_in, W_in)."""
        return self.maxpool2d_stride1.backward(self.downsample2d.backward(dLdZ))


class MeanPool2d:
    """Attributes meanpool2d_stride1, downsample2d."""

    def __init__(self, kernel: int, stride: int):
        self.kernel, self.stride = kernel, stride
        self.meanpool2d_stride1 = MeanPool2d_stride1(kernel)
        self.downsample2d = Downsample2d(stride)

    def forward(self, A: np.ndarray) -> np.ndarray:
        """A: (N, C, H_in, W_in) -> Z: (N, C, (H_in - k) // stride + 1, (W_in - k) // stride + 1)."""
        return self.downsample2d.forward(self.meanpool2d_stride1.forward(A))

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        """dLdZ: shape of Z -> dLdA: (N, C, H_in, W_in)."""
        return self.meanpool2d_stride1.backward(self.downsample2d.backward(dLdZ))
