"""Naive convolution and max-pooling layers: explicit loops over output positions, as in the
course. impl/fast_layers.py holds the vectorized versions."""

from __future__ import annotations

from typing import Any

import numpy as np


def output_size(size: int, window: int, pad: int, stride: int, axis: str) -> int:
    """
    Number of window positions along one spatial axis, 1 + (size + 2 * pad - window) / stride.

    Inputs:
    - size: Input extent along the axis (H or W).
    - window: Filter or pooling window extent along the axis.
    - pad: Zero padding added on both sides.
    - stride: Step between adjacent windows.
    - axis: "height" or "width", for the error message.

    Returns:
    - The output extent, an int >= 1.

    Raises ValueError when the windows do not tile the padded input exactly: the course
    requires exact division instead of silently dropping the last rows or columns.
    """
    span = size + 2 * pad - window
    if stride < 1:
        raise ValueError(f"stride must be a positive integer, got {stride}")
    if span < 0:
        raise ValueError(f"{axis}: window {window} is larger than the padded input {size + 2 * pad}")
    if span % stride:
        raise ValueError(
            f"{axis}: (size {size} + 2 * pad {pad} - window {window}) = {span} is not divisible by stride {stride}"
        )
    return 1 + span // stride


def conv_forward_naive(x: np.ndarray, w: np.ndarray, b: np.ndarray, conv_param: dict) -> tuple[np.ndarray, Any]:
    """
    A naive implementation of the forward pass for a convolutional layer.

    The input consists of N data points, each with C channels, height H and
    width W. We convolve each input with F different filters, where each filter
    spans all C channels and has height HH and width WW.

    Input:
    - x: Input data of shape (N, C, H, W)
    - w: Filter weights of shape (F, C, HH, WW)
    - b: Biases, of shape (F,)
    - conv_param: A dictionary with the following keys:
      - 'stride': The number of pixels between adjacent receptive fields in the
        horizontal and vertical directions.
      - 'pad': The number of pixels that will be used to zero-pad the input
        symmetrically (equally on both sides) along the height and width axes.
        The input x is not modified.

    Returns a tuple of:
    - out: Output data, of shape (N, F, H', W') where H' and W' are given by
      H' = 1 + (H + 2 * pad - HH) / stride
      W' = 1 + (W + 2 * pad - WW) / stride
      (a ValueError is raised if the division is not exact).
    - cache: (x, w, b, conv_param, x_pad), x_pad of shape (N, C, H + 2 * pad, W + 2 * pad)
    """
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    H_out = output_size(H, HH, pad, stride, "height")
    W_out = output_size(W, WW, pad, stride, "width")

    # stage 1: zero padding (np.pad returns a new array)
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    # stage 2: each output pixel is the window's dot product with every filter, plus bias
    out = np.zeros((N, F, H_out, W_out), dtype=np.result_type(x, w, b))
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                hs, ws = i * stride, j * stride
                window = x_pad[n, :, hs : hs + HH, ws : ws + WW]
                out[n, :, i, j] = np.sum(w * window, axis=(1, 2, 3)) + b
    return out, (x, w, b, conv_param, x_pad)


def conv_backward_naive(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    A naive implementation of the backward pass for a convolutional layer.

    Inputs:
    - dout: Upstream derivatives, of shape (N, F, H', W').
    - cache: A tuple of (x, w, b, conv_param, x_pad) as in conv_forward_naive

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, C, H, W)
    - dw: Gradient with respect to w, of shape (F, C, HH, WW)
    - db: Gradient with respect to b, of shape (F,)
    """
    x, w, b, conv_param, x_pad = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    stride, pad = conv_param["stride"], conv_param["pad"]

    # stage 2: out[n, f, i, j] = sum(w[f] * window(n, i, j)) + b[f]
    db = dout.sum(axis=(0, 2, 3)).astype(b.dtype, copy=False)
    dw = np.zeros(w.shape, dtype=np.result_type(dout, x_pad))
    dx_pad = np.zeros(x_pad.shape, dtype=np.result_type(dout, w))
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                hs, ws = i * stride, j * stride
                window = x_pad[n, :, hs : hs + HH, ws : ws + WW]
                g = dout[n, :, i, j]
                dw += g[:, None, None, None] * window
                # overlapping windows (stride < HH) accumulate into the same pixels
                dx_pad[n, :, hs : hs + HH, ws : ws + WW] += np.tensordot(g, w, axes=1)
    # stage 1: padding; the padded border is not part of x
    dx = dx_pad[:, :, pad : pad + H, pad : pad + W]
    return dx.astype(x.dtype, copy=False), dw.astype(w.dtype, copy=False), db


def max_pool_forward_naive(x: np.ndarray, pool_param: dict) -> tuple[np.ndarray, Any]:
    """
    A naive implementation of the forward pass for a max-pooling layer.

    Inputs:
    - x: Input data, of shape (N, C, H, W)
    - pool_param: dictionary with the following keys:
      - 'pool_height': The height of each pooling region
      - 'pool_width': The width of each pooling region
      - 'stride': The distance between adjacent pooling regions

    No padding is necessary here. The input x is not modified.

    Returns a tuple of:
    - out: Output data, of shape (N, C, H', W') where H' and W' are given by
      H' = 1 + (H - pool_height) / stride
      W' = 1 + (W - pool_width) / stride
      (a ValueError is raised if the division is not exact).
    - cache: (x, pool_param)
    """
    N, C, H, W = x.shape
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    H_out = output_size(H, ph, 0, stride, "height")
    W_out = output_size(W, pw, 0, stride, "width")

    out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)
    for i in range(H_out):
        for j in range(W_out):
            hs, ws = i * stride, j * stride
            out[:, :, i, j] = x[:, :, hs : hs + ph, ws : ws + pw].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_naive(dout: np.ndarray, cache: Any) -> np.ndarray:
    """
    A naive implementation of the backward pass for a max-pooling layer.

    Each window passes its upstream derivative to exactly one input: its maximum, the first
    one in row-major order when several inputs tie (a valid subgradient of max).

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H', W')
    - cache: A tuple of (x, pool_param) as in the forward pass.

    Returns:
    - dx: Gradient with respect to x, of shape (N, C, H, W)
    """
    x, pool_param = cache
    N, C, H, W = x.shape
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    _, _, H_out, W_out = dout.shape

    dx = np.zeros(x.shape, dtype=np.result_type(x, dout))
    slots = np.arange(ph * pw)
    for i in range(H_out):
        for j in range(W_out):
            hs, ws = i * stride, j * stride
            window = x[:, :, hs : hs + ph, ws : ws + pw].reshape(N, C, ph * pw)
            # argmax returns the first maximum, so ties route to one input only
            first = window.argmax(axis=2)
            routed = (slots == first[:, :, None]) * dout[:, :, i, j, None]
            # overlapping windows (stride < pool size) accumulate into the same pixels
            dx[:, :, hs : hs + ph, ws : ws + pw] += routed.reshape(N, C, ph, pw)
    return dx.astype(x.dtype, copy=False)
