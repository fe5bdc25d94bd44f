"""A pure-NumPy stand-in for the course's compiled ``im2col_cython`` extension.

CS231n ships ``fast_layers.py`` solved; it imports ``im2col_cython``, ``col2im_cython`` and
``col2im_6d_cython`` from a Cython module that every student compiles locally and nobody
commits. Without it the fast layers, the conv sandwiches and ``ThreeLayerConvNet`` raise
``NameError`` and could never be checked. The worker registers this module under the
package's ``im2col_cython`` name when the compiled one cannot be imported. Same layouts as
the ``.pyx``: im2col rows are ``(c, i, j)`` and columns ``(y, x, n)``; the 6-d columns are
``(C, HH, WW, N, out_h, out_w)``. Imports numpy only (it runs in the worker).
"""

from __future__ import annotations

import numpy as np

STAND_IN = True
"""Marks the module as gradverify's stand-in (reports say the fast layers ran on it)."""


def _out_size(size: int, field: int, padding: int, stride: int) -> int:
    return (int(size) + 2 * int(padding) - int(field)) // int(stride) + 1


def _windows(x_padded: np.ndarray, fh: int, fw: int, hh: int, ww: int, stride: int) -> tuple:
    """Index arrays (c, i, j, y, x) selecting every window entry of ``x_padded``."""
    i = np.arange(fh)[:, None, None, None] + stride * np.arange(hh)[None, None, :, None]
    j = np.arange(fw)[None, :, None, None] + stride * np.arange(ww)[None, None, None, :]
    return i, j


def im2col_cython(x: np.ndarray, field_height: int, field_width: int, padding: int, stride: int) -> np.ndarray:
    """(N, C, H, W) -> (C * fh * fw, HH * WW * N) columns of every receptive field."""
    n, c, h, w = x.shape
    fh, fw, p, s = int(field_height), int(field_width), int(padding), int(stride)
    hh, ww = _out_size(h, fh, p, s), _out_size(w, fw, p, s)
    x_padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode="constant")
    i, j = _windows(x_padded, fh, fw, hh, ww, s)
    patches = x_padded[:, :, i, j]  # (N, C, fh, fw, HH, WW)
    return np.ascontiguousarray(patches.transpose(1, 2, 3, 4, 5, 0).reshape(c * fh * fw, hh * ww * n))


def col2im_cython(
    cols: np.ndarray, N: int, C: int, H: int, W: int, field_height: int, field_width: int, padding: int, stride: int
) -> np.ndarray:
    """The adjoint of ``im2col_cython``: columns summed back into an (N, C, H, W) array."""
    fh, fw, p, s = int(field_height), int(field_width), int(padding), int(stride)
    hh, ww = _out_size(H, fh, p, s), _out_size(W, fw, p, s)
    x_padded = np.zeros((N, C, H + 2 * p, W + 2 * p), dtype=cols.dtype)
    patches = cols.reshape(C, fh, fw, hh, ww, N).transpose(5, 0, 1, 2, 3, 4)
    i, j = _windows(x_padded, fh, fw, hh, ww, s)
    np.add.at(x_padded, (slice(None), slice(None), i, j), patches)
    return x_padded[:, :, p : p + H, p : p + W] if p > 0 else x_padded


def col2im_6d_cython(
    cols: np.ndarray, N: int, C: int, H: int, W: int, HH: int, WW: int, pad: int, stride: int
) -> np.ndarray:
    """The adjoint of ``conv_forward_strides``' strided view: (C, HH, WW, N, out_h, out_w)
    columns summed back into an (N, C, H, W) array."""
    p, s = int(pad), int(stride)
    out_h, out_w = _out_size(H, HH, p, s), _out_size(W, WW, p, s)
    x_padded = np.zeros((N, C, H + 2 * p, W + 2 * p), dtype=cols.dtype)
    patches = cols.reshape(C, HH, WW, N, out_h, out_w).transpose(3, 0, 1, 2, 4, 5)
    i, j = _windows(x_padded, HH, WW, out_h, out_w, s)
    np.add.at(x_padded, (slice(None), slice(None), i, j), patches)
    return x_padded[:, :, p : p + H, p : p + W] if p > 0 else x_padded
