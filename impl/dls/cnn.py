"""
Course 4, week 1 (Convolution model, step by step): answer key.

Channels-last (NHWC) layout:
- A_prev: (m, n_H_prev, n_W_prev, n_C_prev);  W: (f, f, n_C_prev, n_C);  b: (1, 1, 1, n_C).
- conv hparameters: {"stride": s, "pad": p};  pool hparameters: {"f": f, "stride": s}.
- conv cache: (A_prev, W, b, hparameters);  pool cache: (A_prev, hparameters).
- Output sizes: n_H = floor((n_H_prev + 2p - f) / s) + 1 (pooling uses p = 0).

The backward functions return plain derivatives of sum(dZ * Z) (no 1/m anywhere).
Loops run over output positions only; batch and channels are vectorized.
"""

from __future__ import annotations

import numpy as np


def zero_pad(X: np.ndarray, pad: int) -> np.ndarray:
    """
    Inputs:
    - X: shape (m, n_H, n_W, n_C).
    - pad: zeros added on each side of the two spatial axes.

    Returns:
    - X_pad: shape (m, n_H + 2 pad, n_W + 2 pad, n_C).
    """
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=0)


def conv_single_step(a_slice_prev: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.floating:
    """
    One filter applied to one window: sum(a_slice_prev * W) + b.

    Inputs:
    - a_slice_prev: shape (f, f, n_C_prev).
    - W: shape (f, f, n_C_prev).
    - b: shape (1, 1, 1) (a single bias).

    Returns:
    - Z: a numpy scalar (the notebook asserts a float type).
    """
    # the bias is added once, after the sum (the 2017 notebook added it to every element)
    return np.sum(a_slice_prev * W) + np.sum(b)  # b holds one value


def conv_forward(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, hparameters: dict) -> tuple[np.ndarray, tuple]:
    """
    Convolution (cross-correlation) forward pass.

    Inputs:
    - A_prev: shape (m, n_H_prev, n_W_prev, n_C_prev).
    - W: shape (f, f, n_C_prev, n_C).
    - b: shape (1, 1, 1, n_C).
    - hparameters: {"stride", "pad"}.

    Returns a tuple of:
    - Z: shape (m, n_H, n_W, n_C).
    - cache: (A_prev, W, b, hparameters)
    """
    stride, pad = hparameters["stride"], hparameters["pad"]
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f, _, _, n_C = W.shape
    n_H = (n_H_prev + 2 * pad - f) // stride + 1
    n_W = (n_W_prev + 2 * pad - f) // stride + 1
    A_pad = zero_pad(A_prev, pad)
    Z = np.zeros((m, n_H, n_W, n_C), dtype=np.result_type(A_prev, W))
    for h in range(n_H):
        for w in range(n_W):
            window = A_pad[:, h * stride : h * stride + f, w * stride : w * stride + f, :]
            # (m, f, f, C_prev) x (f, f, C_prev, C) -> (m, C)
            Z[:, h, w, :] = np.tensordot(window, W, axes=3)
    Z += b.reshape(1, 1, 1, n_C)
    return Z, (A_prev, W, b, hparameters)


def conv_backward(dZ: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Convolution backward pass.

    Inputs:
    - dZ: shape (m, n_H, n_W, n_C).
    - cache: (A_prev, W, b, hparameters) from conv_forward.

    Returns a tuple of:
    - dA_prev: shape (m, n_H_prev, n_W_prev, n_C_prev).
    - dW: shape (f, f, n_C_prev, n_C).
    - db: shape (1, 1, 1, n_C).
    """
    A_prev, W, b, hparameters = cache
    stride, pad = hparameters["stride"], hparameters["pad"]
    f = W.shape[0]
    _, n_H, n_W, n_C = dZ.shape
    A_pad = zero_pad(A_prev, pad)
    dA_pad = np.zeros_like(A_pad, dtype=np.result_type(A_prev, dZ))
    dW = np.zeros_like(W, dtype=np.result_type(W, dZ))
    for h in range(n_H):
        for w in range(n_W):
            rows = slice(h * stride, h * stride + f)
            cols = slice(w * stride, w * stride + f)
            g = dZ[:, h, w, :]  # (m, C)
            # every output position scatters W back onto the window it read
            dA_pad[:, rows, cols, :] += np.tensordot(g, W, axes=([1], [3]))
            dW += np.tensordot(A_pad[:, rows, cols, :], g, axes=([0], [0]))
    db = dZ.sum(axis=(0, 1, 2)).reshape(1, 1, 1, n_C)
    # slice explicitly: the notebook's dA_prev_pad[pad:-pad] is empty when pad == 0
    n_H_prev, n_W_prev = A_prev.shape[1:3]
    dA_prev = dA_pad[:, pad : pad + n_H_prev, pad : pad + n_W_prev, :]
    return dA_prev, dW, db.astype(np.result_type(b, dZ), copy=False)


def pool_forward(A_prev: np.ndarray, hparameters: dict, mode: str = "max") -> tuple[np.ndarray, tuple]:
    """
    Max or average pooling, no padding.

    Inputs:
    - A_prev: shape (m, n_H_prev, n_W_prev, n_C).
    - hparameters: {"f", "stride"}.
    - mode: "max" or "average".

    Returns a tuple of:
    - A: shape (m, n_H, n_W, n_C), n_H = (n_H_prev - f) // stride + 1.
    - cache: (A_prev, hparameters)
    """
    reduce = _pool_reducer(mode)
    f, stride = hparameters["f"], hparameters["stride"]
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    n_H = (n_H_prev - f) // stride + 1
    n_W = (n_W_prev - f) // stride + 1
    A = np.zeros((m, n_H, n_W, n_C), dtype=A_prev.dtype)
    for h in range(n_H):
        for w in range(n_W):
            A[:, h, w, :] = reduce(A_prev[:, h * stride : h * stride + f, w * stride : w * stride + f, :], axis=(1, 2))
    return A, (A_prev, hparameters)


def create_mask_from_window(x: np.ndarray) -> np.ndarray:
    """
    Inputs:
    - x: shape (f, f).

    Returns:
    - mask: boolean, shape (f, f), True where x equals its maximum (every tied entry is True,
      as in the course; PyTorch routes the gradient to a single entry instead).
    """
    return x == np.max(x)


def distribute_value(dz: float, shape: tuple[int, int]) -> np.ndarray:
    """
    Inputs:
    - dz: scalar gradient of one averaged window.
    - shape: (n_H, n_W) of the window.

    Returns:
    - a: array of the given shape, every entry dz / (n_H * n_W).
    """
    n_H, n_W = shape
    return np.full((n_H, n_W), dz / (n_H * n_W))


def pool_backward(dA: np.ndarray, cache: tuple, mode: str = "max") -> np.ndarray:
    """
    Pooling backward pass.

    Inputs:
    - dA: shape (m, n_H, n_W, n_C).
    - cache: (A_prev, hparameters) from pool_forward.
    - mode: "max" or "average".

    Returns:
    - dA_prev: shape of A_prev. Windows may overlap (stride < f); contributions add up.
    """
    _pool_reducer(mode)
    A_prev, hparameters = cache
    f, stride = hparameters["f"], hparameters["stride"]
    _, n_H, n_W, _ = dA.shape
    dA_prev = np.zeros_like(A_prev, dtype=np.result_type(A_prev, dA))
    for h in range(n_H):
        for w in range(n_W):
            rows = slice(h * stride, h * stride + f)
            cols = slice(w * stride, w * stride + f)
            g = dA[:, h, w, :][:, None, None, :]  # (m, 1, 1, C)
            if mode == "max":
                window = A_prev[:, rows, cols, :]
                # vectorized create_mask_from_window over examples and channels
                mask = window == window.max(axis=(1, 2), keepdims=True)
                dA_prev[:, rows, cols, :] += mask * g
            else:
                dA_prev[:, rows, cols, :] += g / (f * f)
    return dA_prev


def _pool_reducer(mode: str):
    if mode == "max":
        return np.max
    if mode == "average":
        return np.mean
    raise ValueError(f"mode must be 'max' or 'average', got {mode!r}")
