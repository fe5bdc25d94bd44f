"""
CMU 11-785 MyTorch convolutions (HW2P1): answer key.

Channels-first, PyTorch weight layout, cross-correlation (no kernel flip in forward):
- 1d: A (N, C_in, W_in), W (C_out, C_in, K), b (C_out,), Z (N, C_out, W_out).
- 2d: A (N, C_in, H_in, W_in), W (C_out, C_in, K, K), b (C_out,), Z (N, C_out, H_out, W_out).
dLdW and dLdb are the unaveraged derivatives, shapes of W and b.

Strided layers are composed as the handout prescribes: stride-1 convolution followed by
Downsample (Conv1d/Conv2d), and Upsample followed by stride-1 convolution
(ConvTranspose1d/2d). The transposed layers therefore give k (W_in - 1) + 1 - K + 1 outputs,
not torch.nn.ConvTranspose1d's (W_in - 1) k + K.

Constructor order follows the F24 handout, Conv1d(in, out, kernel_size, stride, padding=0,
weight_init_fn=None, bias_init_fn=None); S23/S24 had no padding and passed weight_init_fn
fifth, so pass the init functions by keyword. weight_init_fn(C_out, C_in, K[, K]) and
bias_init_fn(C_out) default to N(0, 1) weights and zero biases, as in the starter code.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .resampling import Downsample1d, Downsample2d, Upsample1d, Upsample2d

# a callable returning an array of the requested shape, or None for the default initialization
InitFn = object | None


def _init(shape: tuple[int, ...], weight_init_fn: InitFn, bias_init_fn: InitFn) -> tuple[np.ndarray, np.ndarray]:
    W = np.random.normal(0, 1.0, shape) if weight_init_fn is None else weight_init_fn(*shape)
    b = np.zeros(shape[0]) if bias_init_fn is None else bias_init_fn(shape[0])
    return W, b


class Conv1d_stride1:
    """W (C_out, C_in, K), b (C_out,); after backward dLdW, dLdb of the same shapes."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        weight_init_fn: InitFn = None,
        bias_init_fn: InitFn = None,
    ):
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        self.W, self.b = _init((out_channels, in_channels, kernel_size), weight_init_fn, bias_init_fn)
        self.dLdW = np.zeros(self.W.shape)
        self.dLdb = np.zeros(self.b.shape)

    def forward(self, A: np.ndarray) -> np.ndarray:
        """A: (N, C_in, W_in) -> Z: (N, C_out, W_in - K + 1)."""
        self.A = A
        windows = sliding_window_view(A, self.kernel_size, axis=2)  # (N, C_in, W_out, K)
        Z = np.tensordot(windows, self.W, axes=([1, 3], [1, 2]))  # (N, W_out, C_out)
        return Z.transpose(0, 2, 1) + self.b[None, :, None]

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        """dLdZ: (N, C_out, W_out) -> dLdA: (N, C_in, W_in); stores dLdW, dLdb."""
        K, W_out = self.kernel_size, dLdZ.shape[2]
        # dLdW[o, c, k] = sum_{n, w} dLdZ[n, o, w] A[n, c, w + k]
        A_windows = sliding_window_view(self.A, W_out, axis=2)  # (N, C_in, K, W_out)
        self.dLdW = np.tensordot(dLdZ, A_windows, axes=([0, 2], [0, 3]))
        self.dLdb = dLdZ.sum(axis=(0, 2))
        # full correlation of the zero-padded dLdZ with the flipped kernel
        padded = np.pad(dLdZ, ((0, 0), (0, 0), (K - 1, K - 1)))
        windows = sliding_window_view(padded, K, axis=2)  # (N, C_out, W_in, K)
        dLdA = np.tensordot(windows, self.W[:, :, ::-1], axes=([1, 3], [0, 2]))  # (N, W_in, C_in)
        return dLdA.transpose(0, 2, 1)


class Conv1d:
    """Stride and zero padding on top of Conv1d_stride1 (attributes conv1d_stride1, downsample1d)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        weight_init_fn: InitFn = None,
        bias_init_fn: InitFn = None,
    ):
        self.stride, self.pad = stride, padding
        self.conv1d_stride1 = Conv1d_stride1(in_channels, out_channels, kernel_size, weight_init_fn, bias_init_fn)
        self.downsample1d = Downsample1d(stride)

    def forward(self, A: np.ndarray) -> np.ndarray:
        """A: (N, C_in, W_in) -> Z: (N, C_out, (W_in + 2 pad - K) // stride + 1)."""
        A = np.pad(A, ((0, 0), (0, 0), (self.pad, self.pad)))
        return self.downsample1d.forward(self.conv1d_stride1.forward(A))

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        """dLdZ: (N, C_out, W_out) -> dLdA: (N, C_in, W_in)."""
        dLdA = self.conv1d_stride1.backward(self.downsample1d.backward(dLdZ))
        return dLdA[:, :, self.pad : dLdA.shape[2] - self.pad]  # drop the padding (also when pad == 0)

    # the layer's parameters live in the stride-1 sub-layer; these make them easy to reach
    W = property(lambda self: self.conv1d_stride1.W)
    b = property(lambda self: self.conv1d_stride1.b)
    dLdW = property(lambda self: self.conv1d_stride1.dLdW)
    dLdb = property(lambda self: self.conv1d_stride1.dLdb)


class Conv2d_stride1:
    """W (C_out, C_in, K, K), b (C_out,); after backward dLdW, dLdb of the same shapes."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        weight_init_fn: InitFn = None,
        bias_init_fn: InitFn = None,
    ):
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        self.W, self.b = _init(shape, weight_init_fn, bias_init_fn)
        self.dLdW = np.zeros(self.W.shape)
        self.dLdb = np.zeros(self.b.shape)

    def forward(self, A: np.ndarray) -> np.ndarray:
        """A: (N, C_in, H_in, W_in) -> Z: (N, C_out, H_in - K + 1, W_in - K + 1)."""
        self.A = A
        K = self.kernel_size
        windows = sliding_window_view(A, (K, K), axis=(2, 3))  # (N, C_in, H_out, W_out, K, K)
        Z = np.tensordot(windows, self.W, axes=([1, 4, 5], [1, 2, 3]))  # (N, H_out, W_out, C_out)
        return Z.transpose(0, 3, 1, 2) + self.b[None, :, None, None]

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        """dLdZ: (N, C_out, H_out, W_out) -> dLdA: (N, C_in, H_in, W_in); stores dLdW, dLdb."""
        K = self.kernel_size
        H_out, W_out = dLdZ.shape[2:]
        A_windows = sliding_window_view(self.A, (H_out, W_out), axis=(2, 3))  # (N, C_in, K, K, H_out, W_out)
        self.dLdW = np.tensordot(dLdZ, A_windows, axes=([0, 2, 3], [0, 4, 5]))  # (C_out, C_in, K, K)
        self.dLdb = dLdZ.sum(axis=(0, 2, 3))
        padded = np.pad(dLdZ, ((0, 0), (0, 0), (K - 1, K - 1), (K - 1, K - 1)))
        windows = sliding_window_view(padded, (K, K), axis=(2, 3))  # (N, C_out, H_in, W_in, K, K)
        dLdA = np.tensordot(windows, self.W[:, :, ::-1, ::-1], axes=([1, 4, 5], [0, 2, 3]))
        return dLdA.transpose(0, 3, 1, 2)


class Conv2d:
    """Stride and zero padding on top of Conv2d_stride1 (attributes conv2d_stride1, downsample2d)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        weight_init_fn: InitFn = None,
        bias_init_fn: InitFn = None,
    ):
        self.stride, self.pad = stride, padding
        self.conv2d_stride1 = Conv2d_stride1(in_channels, out_channels, kernel_size, weight_init_fn, bias_init_fn)
        self.downsample2d = Downsample2d(stride)

    def forward(self, A: np.ndarray) -> np.ndarray:
        """A: (N, C_in, H_in, W_in) -> Z: (N, C_out, (H_in + 2 pad - K) // stride + 1, same for W)."""
        p = self.pad
        A = np.pad(A, ((0, 0), (0, 0), (p, p), (p, p)))
        return self.downsample2d.forward(self.conv2d_stride1.forward(A))

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        """dLdZ: (N, C_out, H_out, W_out) -> dLdA: (N, C_in, H_in, W_in)."""
        dLdA = self.conv2d_stride1.backward(self.downsample2d.backward(dLdZ))
        p = self.pad
        return dLdA[:, :, p : dLdA.shape[2] - p, p : dLdA.shape[3] - p]

    W = property(lambda self: self.conv2d_stride1.W)
    b = property(lambda self: self.conv2d_stride1.b)
    dLdW = property(lambda self: self.conv2d_stride1.dLdW)
    dLdb = property(lambda self: self.conv2d_stride1.dLdb)


class ConvTranspose1d:
    """Upsample1d then Conv1d_stride1 (attributes upsample1d, conv1d_stride1)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        upsampling_factor: int,
        weight_init_fn: InitFn = None,
        bias_init_fn: InitFn = None,
    ):
        self.upsampling_factor = upsampling_factor
        self.upsample1d = Upsample1d(upsampling_factor)
        self.conv1d_stride1 = Conv1d_stride1(in_channels, out_channels, kernel_size, weight_init_fn, bias_init_fn)

    def forward(self, A: np.ndarray) -> np.ndarray:
        """A: (N, C_in, W_in) -> Z: (N, C_out, k (W_in - 1) + 1 - K + 1)."""
        return self.conv1d_stride1.forward(self.upsample1d.forward(A))

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        """dLdZ: (N, C_out, W_out) -> dLdA: (N, C_in, W_in)."""
        return self.upsample1d.backward(self.conv1d_stride1.backward(dLdZ))

    W = property(lambda self: self.conv1d_stride1.W)
    b = property(lambda self: self.conv1d_stride1.b)
    dLdW = property(lambda self: self.conv1d_stride1.dLdW)
    dLdb = property(lambda self: self.conv1d_stride1.dLdb)


class ConvTranspose2d:
    """Upsample2d then Conv2d_stride1 (attributes upsample2d, conv2d_stride1)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        upsampling_factor: int,
        weight_init_fn: InitFn = None,
        bias_init_fn: InitFn = None,
    ):
        self.upsampling_factor = upsampling_factor
        self.upsample2d = Upsample2d(upsampling_factor)
        self.conv2d_stride1 = Conv2d_stride1(in_channels, out_channels, kernel_size, weight_init_fn, bias_init_fn)

    def forward(self, A: np.ndarray) -> np.ndarray:
        """A: (N, C_in, H_in, W_in) -> Z: (N, C_out, k (H_in - 1) + 2 - K, k (W_in - 1) + 2 - K)."""
        return self.conv2d_stride1.forward(self.upsample2d.forward(A))

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        """dLdZ: (N, C_out, H_out, W_out) -> dLdA: (N, C_in, H_in, W_in)."""
        return self.upsample2d.backward(self.conv2d_stride1.backward(dLdZ))

    W = property(lambda self: self.conv2d_stride1.W)
    b = property(lambda self: self.conv2d_stride1.b)
    dLdW = property(lambda self: self.conv2d_stride1.dLdW)
    dLdb = property(lambda self: self.conv2d_stride1.dLdb)


class Flatten:
    def forward(self, A: np.ndarray) -> np.ndarray:
        """A: (N, C, W) (or any (N, ...)) -> Z: (N, C * W)."""
        self.A_shape = A.shape
        return A.reshape(A.shape[0], -1)

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        """dLdZ: (N, C * W) -> dLdA: (N, C, W)."""
        return dLdZ.reshape(self.A_shape)
