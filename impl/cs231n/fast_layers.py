"""Vectorized convolution and max-pooling layers: the same functions as impl/conv_layers.py,
with no Python loop over N, H or W (loops run over kernel or window offsets only)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .conv_layers import output_size


def _im2col(x_pad: np.ndarray, HH: int, WW: int, stride: int) -> np.ndarray:
    """
    Every receptive field of x_pad as a column.

    Inputs:
    - x_pad: Padded input of shape (N, C, Hp, Wp).
    - HH, WW: Window height and width.
    - stride: Step between windows (the windows must tile x_pad exactly).

    Returns:
    - cols: A contiguous array of shape (N, C * HH * WW, H' * W'); row (c, kh, kw) of
      cols[n] holds x_pad[n, c, kh + stride * i, kw + stride * j] over (i, j).
    """
    N, C = x_pad.shape[:2]
    windows = sliding_window_view(x_pad, (HH, WW), axis=(2, 3))[:, :, ::stride, ::stride]
    H_out, W_out = windows.shape[2:4]
    # (N, C, H', W', HH, WW) -> (N, C, HH, WW, H', W'): keeps each output map contiguous so
    # the batched matmul writes (N, F, H' * W') directly, with no transpose of the output
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(N, C * HH * WW, H_out * W_out)


def _col2im(dcols: np.ndarray, padded_shape: tuple[int, ...], HH: int, WW: int, stride: int) -> np.ndarray:
    """
    The adjoint of _im2col: sums each column entry back onto the pixel it was copied from.

    Inputs:
    - dcols: Gradient of the columns, of shape (N, C * HH * WW, H' * W').
    - padded_shape: (N, C, Hp, Wp), the shape of x_pad.
    - HH, WW, stride: As in _im2col.

    Returns:
    - dx_pad: Gradient of x_pad, of shape padded_shape.
    """
    N, C, Hp, Wp = padded_shape
    H_out, W_out = (Hp - HH) // stride + 1, (Wp - WW) // stride + 1
    dcols = dcols.reshape(N, C, HH, WW, H_out, W_out)
    dx_pad = np.zeros(padded_shape, dtype=dcols.dtype)
    # one strided slice per kernel offset; within a slice every pixel appears once, so +=
    # is exact, and overlapping windows (stride < HH) meet across offsets
    for kh in range(HH):
        for kw in range(WW):
            rows = slice(kh, kh + stride * H_out, stride)
            cols = slice(kw, kw + stride * W_out, stride)
            dx_pad[:, :, rows, cols] += dcols[:, :, kh, kw]
    return dx_pad


def conv_forward_fast(x: np.ndarray, w: np.ndarray, b: np.ndarray, conv_param: dict) -> tuple[np.ndarray, Any]:
    """
    A fast implementation of the forward pass for a convolutional layer (im2col + matmul).

    Input:
    - x: Input data of shape (N, C, H, W)
    - w: Filter weights of shape (F, C, HH, WW)
    - b: Biases, of shape (F,)
    - conv_param: A dictionary with keys 'stride' and 'pad' (zero padding on both sides
      of the height and width axes). The input x is not modified.

    Returns a tuple of:
    - out: Output data, of shape (N, F, H', W') with
      H' = 1 + (H + 2 * pad - HH) / stride, W' = 1 + (W + 2 * pad - WW) / stride
      (a ValueError is raised if the division is not exact).
    - cache: (x, w, b, conv_param, x_cols), x_cols of shape (N, C * HH * WW, H' * W')
    """
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    H_out = output_size(H, HH, pad, stride, "height")
    W_out = output_size(W, WW, pad, stride, "width")

    # stage 1: zero padding
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x
    # stage 2: receptive fields as columns
    x_cols = _im2col(x_pad, HH, WW, stride)
    # stage 3: every filter against every column at once, plus bias
    out = np.matmul(w.reshape(F, -1), x_cols) + b[:, None]
    return out.reshape(N, F, H_out, W_out), (x, w, b, conv_param, x_cols)


def conv_backward_fast(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    A fast implementation of the backward pass for a convolutional layer.

    Inputs:
    - dout: Upstream derivatives, of shape (N, F, H', W').
    - cache: A tuple of (x, w, b, conv_param, x_cols) as in conv_forward_fast.

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, C, H, W)
    - dw: Gradient with respect to w, of shape (F, C, HH, WW)
    - db: Gradient with respect to b, of shape (F,)
    """
    x, w, b, conv_param, x_cols = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    dout_flat = dout.reshape(N, F, -1)

    # stage 3: out[n] = w_flat @ x_cols[n] + b
    db = dout_flat.sum(axis=(0, 2)).astype(b.dtype, copy=False)
    dw = np.matmul(dout_flat, x_cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
    dx_cols = np.matmul(w.reshape(F, -1).T, dout_flat)
    # stage 2: im2col copied pixels into columns; col2im adds them back
    dx_pad = _col2im(dx_cols, (N, C, H + 2 * pad, W + 2 * pad), HH, WW, stride)
    # stage 1: padding; the padded border is not part of x
    dx = dx_pad[:, :, pad : pad + H, pad : pad + W]
    return dx.astype(x.dtype, copy=False), dw.astype(w.dtype, copy=False), db


def _pool_offsets(pool_param: dict, H_out: int, W_out: int) -> list[tuple[slice, slice]]:
    """
    One (rows, cols) slice pair per window offset (kh, kw), in row-major order: slice k of
    x holds element k of every window at once.
    """
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    return [
        (slice(kh, kh + stride * H_out, stride), slice(kw, kw + stride * W_out, stride))
        for kh in range(ph)
        for kw in range(pw)
    ]


def max_pool_forward_fast(x: np.ndarray, pool_param: dict) -> tuple[np.ndarray, Any]:
    """
    A fast implementation of the forward pass for a max-pooling layer.

    Inputs:
    - x: Input data, of shape (N, C, H, W)
    - pool_param: dictionary with keys 'pool_height', 'pool_width' and 'stride'
      (no padding; the input x is not modified).

    Returns a tuple of:
    - out: Output data, of shape (N, C, H', W') with
      H' = 1 + (H - pool_height) / stride, W' = 1 + (W - pool_width) / stride
      (a ValueError is raised if the division is not exact).
    - cache: (x, pool_param, out)
    """
    N, C, H, W = x.shape
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    H_out = output_size(H, ph, 0, stride, "height")
    W_out = output_size(W, pw, 0, stride, "width")

    offsets = _pool_offsets(pool_param, H_out, W_out)
    out = x[:, :, offsets[0][0], offsets[0][1]].copy()
    # a running elementwise max over the window offsets: ph * pw whole-array passes
    for rows, cols in offsets[1:]:
        np.maximum(out, x[:, :, rows, cols], out=out)
    return out, (x, pool_param, out)


def max_pool_backward_fast(dout: np.ndarray, cache: Any) -> np.ndarray:
    """
    A fast implementation of the backward pass for a max-pooling layer: each window passes
    its upstream derivative to its first maximum (row-major order) only.

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H', W')
    - cache: A tuple of (x, pool_param, out) as in the forward pass.

    Returns:
    - dx: Gradient with respect to x, of shape (N, C, H, W)
    """
    x, pool_param, out = cache
    _, _, H_out, W_out = dout.shape
    dx = np.zeros(x.shape, dtype=np.result_type(x, dout))
    # out = max over offsets k of x_k: visit the offsets in row-major order and hand each
    # window's derivative to the first x_k equal to its max; a routed window keeps 0 after,
    # so ties send it to exactly one input
    remaining = dout.astype(dx.dtype, copy=True)
    for rows, cols in _pool_offsets(pool_param, H_out, W_out):
        routed = (x[:, :, rows, cols] == out) * remaining
        # += because overlapping windows (stride < pool size) share pixels across offsets
        dx[:, :, rows, cols] += routed
        remaining -= routed
    return dx.astype(x.dtype, copy=False)
