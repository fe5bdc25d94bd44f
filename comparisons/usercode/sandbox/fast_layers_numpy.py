"""A pure-NumPy stand-in for the course's ``fast_layers.py``, for packages that lack a usable one.

CS231n ships ``fast_layers.py`` solved, and ``layer_utils.py`` imports it with
``from cs231n.fast_layers import *``. Some repositories never committed it, and the 2016
edition's copy is Python 2 (``print '...'``), which Python 3 cannot import: then
``layer_utils``, ``fc_net`` and ``cnn`` cannot be imported either, and none of the student's
networks could be checked. The worker registers this module under the package's
``fast_layers`` name in those two cases only. Its functions have the course's names and
signatures and compute the same values (the conv caches are its own, used only by its own
backward passes); discovery never takes them for the student's code. Imports numpy and the
im2col stand-in only (it runs in the worker).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradverify.usercode.sandbox.im2col_numpy import col2im_cython, im2col_cython

STAND_IN = True
"""Marks the module as gradverify's stand-in."""


def _conv_geometry(x: np.ndarray, w: np.ndarray, conv_param: dict[str, Any]) -> tuple[int, int, int, int]:
    stride, pad = int(conv_param["stride"]), int(conv_param["pad"])
    _, _, h, wd = x.shape
    _, _, hh, ww = w.shape
    if (h + 2 * pad - hh) % stride or (wd + 2 * pad - ww) % stride:
        raise ValueError("the filter does not tile the padded input with this stride")
    return stride, pad, (h + 2 * pad - hh) // stride + 1, (wd + 2 * pad - ww) // stride + 1


def conv_forward_im2col(x: np.ndarray, w: np.ndarray, b: np.ndarray, conv_param: dict[str, Any]) -> tuple:
    """Convolution of x (N, C, H, W) with w (F, C, HH, WW) plus b (F,): out (N, F, H', W')."""
    stride, pad, out_h, out_w = _conv_geometry(x, w, conv_param)
    cols = im2col_cython(x, w.shape[2], w.shape[3], pad, stride)
    out = (w.reshape(w.shape[0], -1) @ cols + b.reshape(-1, 1)).reshape(w.shape[0], out_h, out_w, x.shape[0])
    return out.transpose(3, 0, 1, 2).astype(x.dtype, copy=False), (x, w, b, conv_param, cols)


def conv_backward_im2col(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dx (N, C, H, W), dw (F, C, HH, WW), db (F,) from dout (N, F, H', W')."""
    x, w, _, conv_param, cols = cache
    stride, pad = int(conv_param["stride"]), int(conv_param["pad"])
    rows = dout.transpose(1, 2, 3, 0).reshape(w.shape[0], -1)
    dw = (rows @ cols.T).reshape(w.shape)
    dx = col2im_cython(w.reshape(w.shape[0], -1).T @ rows, *x.shape, w.shape[2], w.shape[3], pad, stride)
    return dx, dw, dout.sum(axis=(0, 2, 3))


conv_forward_strides, conv_backward_strides = conv_forward_im2col, conv_backward_im2col
conv_forward_fast, conv_backward_fast = conv_forward_im2col, conv_backward_im2col


def _pool_geometry(x: np.ndarray, pool_param: dict[str, Any]) -> tuple[int, int, int, int, int]:
    ph, pw, stride = int(pool_param["pool_height"]), int(pool_param["pool_width"]), int(pool_param["stride"])
    _, _, h, w = x.shape
    if (h - ph) % stride or (w - pw) % stride:
        raise ValueError("the pooling window does not tile the input with this stride")
    return ph, pw, stride, (h - ph) // stride + 1, (w - pw) // stride + 1


def max_pool_forward_reshape(x: np.ndarray, pool_param: dict[str, Any]) -> tuple:
    """Max pooling of square, non-overlapping windows that tile x (N, C, H, W) exactly."""
    ph, pw, stride, out_h, out_w = _pool_geometry(x, pool_param)
    if not ph == pw == stride:
        raise ValueError("max_pool_forward_reshape needs square windows with stride equal to their size")
    n, c = x.shape[:2]
    blocks = x.reshape(n, c, out_h, ph, out_w, pw)
    out = blocks.max(axis=(3, 5))
    return out, (x, blocks, out)


def max_pool_backward_reshape(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Each window's gradient goes to its maxima, shared equally among tied maxima."""
    x, blocks, out = cache
    winners = blocks == out[:, :, :, None, :, None]
    share = winners / winners.sum(axis=(3, 5), keepdims=True)
    return (share * dout[:, :, :, None, :, None]).reshape(x.shape)


def max_pool_forward_im2col(x: np.ndarray, pool_param: dict[str, Any]) -> tuple:
    """Max pooling of any windows that tile x (N, C, H, W): out (N, C, H', W')."""
    ph, pw, stride, out_h, out_w = _pool_geometry(x, pool_param)
    n, c, h, w = x.shape
    cols = im2col_cython(x.reshape(n * c, 1, h, w), ph, pw, 0, stride)
    winner = np.argmax(cols, axis=0)
    out = cols[winner, np.arange(cols.shape[1])].reshape(out_h, out_w, n, c).transpose(2, 3, 0, 1)
    return out, (x, cols, winner, pool_param)


def max_pool_backward_im2col(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Each window's gradient goes to its first maximum."""
    x, cols, winner, pool_param = cache
    n, c, h, w = x.shape
    dcols = np.zeros_like(cols)
    dcols[winner, np.arange(cols.shape[1])] = dout.transpose(2, 3, 0, 1).ravel()
    ph, pw, stride = int(pool_param["pool_height"]), int(pool_param["pool_width"]), int(pool_param["stride"])
    return col2im_cython(dcols, n * c, 1, h, w, ph, pw, 0, stride).reshape(x.shape)


def max_pool_forward_fast(x: np.ndarray, pool_param: dict[str, Any]) -> tuple:
    """The reshape method where windows tile x without overlap, im2col elsewhere."""
    ph, pw, stride = int(pool_param["pool_height"]), int(pool_param["pool_width"]), int(pool_param["stride"])
    if ph == pw == stride and x.shape[2] % ph == 0 and x.shape[3] % pw == 0:
        out, cache = max_pool_forward_reshape(x, pool_param)
        return out, ("reshape", cache)
    out, cache = max_pool_forward_im2col(x, pool_param)
    return out, ("im2col", cache)


def max_pool_backward_fast(dout: np.ndarray, cache: tuple) -> np.ndarray:
    method, inner = cache
    return max_pool_backward_reshape(dout, inner) if method == "reshape" else max_pool_backward_im2col(dout, inner)
