"""Deliberately wrong convolution, pooling and ConvNet code, each with what the engine must
report for it. The classic backward mistakes are written out; the rest wrap the correct
layers and apply the mistake's effect."""

from __future__ import annotations

import numpy as np

import gradverify.impl.cs231n.cnn as cnn
import gradverify.impl.cs231n.conv_layer_utils as clu
import gradverify.impl.cs231n.conv_layers as naive
import gradverify.impl.cs231n.fast_layers as fast
from bugzoo import Mutant
from gradverify.core.adapters import ForwardBackward, ModelLoss
from gradverify.specs.cs231n.cnn import PARAMS
from gradverify.specs.cs231n.cnn import init as cnn_init

# --- conv -----------------------------------------------------------------------------------


def _dx_pad(dout, cache):
    """The gradient of the padded input, before the padding is cropped away."""
    x, w, b, conv_param, x_cols = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    dx_cols = np.matmul(w.reshape(F, -1).T, dout.reshape(N, F, -1))
    return fast._col2im(dx_cols, (N, C, H + 2 * pad, W + 2 * pad), HH, WW, stride)


def conv_backward_not_cropped(dout, cache):
    _, dw, db = fast.conv_backward_fast(dout, cache)
    return _dx_pad(dout, cache), dw, db  # the padded border is returned as part of dx


def conv_backward_cropped_at_origin(dout, cache):
    x = cache[0]
    _, dw, db = fast.conv_backward_fast(dout, cache)
    H, W = x.shape[2:]
    return _dx_pad(dout, cache)[:, :, :H, :W], dw, db  # should start at pad, not 0


def conv_backward_dw_reset_per_example(dout, cache):
    x, w, b, conv_param, x_pad = cache
    F, _, HH, WW = w.shape
    stride = conv_param["stride"]
    dx, _, db = naive.conv_backward_naive(dout, cache)
    for n in range(x.shape[0]):
        dw = np.zeros_like(w)  # inside the loop over N: only the last example survives
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                window = x_pad[n, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
                dw += dout[n, :, i, j, None, None, None] * window
    return dx, dw, db


def conv_backward_db_reshape_without_transpose(dout, cache):
    dx, dw, _ = fast.conv_backward_fast(dout, cache)
    F = dout.shape[1]
    return dx, dw, dout.reshape(F, -1).sum(axis=1)  # mixes N into F unless N == 1


def conv_backward_ignores_stride(dout, cache):
    x, w, b, conv_param, x_pad = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    pad = conv_param["pad"]
    db = dout.sum(axis=(0, 2, 3))
    dw, dx_pad = np.zeros_like(w), np.zeros_like(x_pad)
    for n in range(N):
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                window = x_pad[n, :, i : i + HH, j : j + WW]  # should be i * stride, j * stride
                dw += dout[n, :, i, j, None, None, None] * window
                dx_pad[n, :, i : i + HH, j : j + WW] += np.tensordot(dout[n, :, i, j], w, axes=1)
    return dx_pad[:, :, pad : pad + H, pad : pad + W], dw, db


def conv_forward_flipped(x, w, b, conv_param):
    # a true convolution instead of the course's cross-correlation
    return fast.conv_forward_fast(x, w[:, :, ::-1, ::-1], b, conv_param)


def conv_backward_flipped(dout, cache):
    dx, dw, db = fast.conv_backward_fast(dout, cache)
    return dx, dw[:, :, ::-1, ::-1], db  # consistent with its own (wrong) forward


# --- max_pool -------------------------------------------------------------------------------


def _pool_windows(dout, cache, route):
    """Naive max-pool backward where ``route(window (N, C, ph * pw))`` gives the weights."""
    x, pool_param = cache
    N, C = x.shape[:2]
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            rows, cols = slice(i * stride, i * stride + ph), slice(j * stride, j * stride + pw)
            weights = route(x[:, :, rows, cols].reshape(N, C, ph * pw))
            dx[:, :, rows, cols] += (weights * dout[:, :, i, j, None]).reshape(N, C, ph, pw)
    return dx


def max_pool_backward_every_element(dout, cache):
    return _pool_windows(dout, cache, lambda window: np.ones_like(window))


def max_pool_backward_last_max(dout, cache):
    def last(window):
        k = window.shape[-1] - 1 - window[..., ::-1].argmax(axis=-1)
        return np.arange(window.shape[-1]) == k[..., None]

    return _pool_windows(dout, cache, last)


def max_pool_backward_assigned(dout, cache):
    # dx[...] = dout[...]: where overlapping windows share a maximum, the last window wins
    x, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    window = x[n, c, i * stride : i * stride + ph, j * stride : j * stride + pw]
                    a, b = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i * stride + a, j * stride + b] = dout[n, c, i, j]
    return dx


def max_pool_backward_every_max(dout, cache):
    # the course's reshape trick: a mask x == max sends a tied window's gradient to all maxima
    # (a tie_sum failure; its Mutant is in bugzoo_kinks.py with the other wrong values at kinks)
    return _pool_windows(dout, cache, lambda window: window == window.max(axis=-1, keepdims=True))


# --- sandwich layers ------------------------------------------------------------------------


def conv_relu_backward_skips_relu(dout, cache):
    conv_cache, _ = cache
    return fast.conv_backward_fast(dout, conv_cache)


def conv_relu_backward_ge(dout, cache):
    conv_cache, a = cache
    return fast.conv_backward_fast(dout * (a >= 0), conv_cache)  # 1 at a == 0: a subgradient


def conv_relu_pool_backward_skips_relu(dout, cache):
    conv_cache, _, pool_cache = cache
    return fast.conv_backward_fast(fast.max_pool_backward_fast(dout, pool_cache), conv_cache)


def conv_relu_pool_backward_averages(dout, cache):
    conv_cache, a, (s, pool_param, _) = cache
    ph, pw = pool_param["pool_height"], pool_param["pool_width"]
    ds = _pool_windows(dout, (s, pool_param), lambda window: np.full_like(window, 1 / (ph * pw)))
    return fast.conv_backward_fast(ds * (a > 0), conv_cache)  # average-pool gradient


# --- ThreeLayerConvNet ----------------------------------------------------------------------


class ThreeLayerConvNetW1RegMissing(cnn.ThreeLayerConvNet):
    """Forgets the regularization gradient of the convolution filters."""

    def loss(self, X, y=None):
        result = super().loss(X, y)
        if y is None:
            return result
        loss, grads = result
        grads["W1"] = grads["W1"] - self.reg * self.params["W1"]
        return loss, grads


CONV = ("x", "w", "b", "conv_param")
POOL = ("x", "pool_param")
XWB = ("x", "w", "b")


def _conv(backward, forward=fast.conv_forward_fast) -> ForwardBackward:
    return ForwardBackward(forward, backward, CONV, XWB)


def _naive_conv(backward) -> ForwardBackward:
    return ForwardBackward(naive.conv_forward_naive, backward, CONV, XWB)


def _pool(backward) -> ForwardBackward:
    return ForwardBackward(naive.max_pool_forward_naive, backward, POOL, ("x",))


OUT_OF_BOUNDS = "kink_out_of_bounds"  # where every wrong entry sits on a kink (the ties case)

MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "conv", "dx_not_cropped", _conv(conv_backward_not_cropped), ("dx",), status="error", diagnosis=("bad_shape",)
    ),
    Mutant(
        "conv", "dx_cropped_at_origin", _conv(conv_backward_cropped_at_origin), ("dx",), diagnosis=("grad_mismatch",)
    ),
    Mutant(
        "conv",
        "dw_reset_per_example",
        _naive_conv(conv_backward_dw_reset_per_example),
        ("dw",),
        diagnosis=("grad_mismatch",),
    ),
    Mutant(
        "conv",
        "db_reshape_without_transpose",
        _conv(conv_backward_db_reshape_without_transpose),
        ("db",),
        diagnosis=("grad_mismatch",),
    ),
    Mutant(
        "conv",
        "backward_ignores_stride",
        _naive_conv(conv_backward_ignores_stride),
        ("dx", "dw"),
        diagnosis=("grad_mismatch",),
    ),
    Mutant(
        "conv",
        "flipped_filter",
        _conv(conv_backward_flipped, conv_forward_flipped),
        ("out", "dw"),
        diagnosis=("forward_mismatch", "grad_mismatch", "grad_localized"),
    ),
    Mutant(
        "max_pool",
        "grad_to_every_element",
        _pool(max_pool_backward_every_element),
        ("dx",),
        diagnosis=("grad_mismatch",),
    ),
    Mutant("max_pool", "assigned", _pool(max_pool_backward_assigned), ("dx",), diagnosis=("pool_assigned",)),
    Mutant(
        "max_pool", "grad_to_last_max", _pool(max_pool_backward_last_max), ("dx",), status="kink", diagnosis=("kink",)
    ),
    Mutant(
        "conv_relu",
        "skips_relu",
        ForwardBackward(clu.conv_relu_forward, conv_relu_backward_skips_relu, CONV, XWB),
        ("dx", "dw", "db"),
        diagnosis=("grad_mismatch", "grad_localized", OUT_OF_BOUNDS),
    ),
    Mutant(
        "conv_relu",
        "subgradient_at_zero",
        ForwardBackward(clu.conv_relu_forward, conv_relu_backward_ge, CONV, XWB),
        ("dx", "dw", "db"),
        status="kink",
        diagnosis=("kink",),
    ),
    Mutant(
        "conv_relu_pool",
        "skips_relu",
        ForwardBackward(clu.conv_relu_pool_forward, conv_relu_pool_backward_skips_relu, (*CONV, "pool_param"), XWB),
        ("dx", "dw", "db"),
        diagnosis=("grad_localized", "grad_mismatch", OUT_OF_BOUNDS),
    ),
    Mutant(
        "conv_relu_pool",
        "average_pool_backward",
        ForwardBackward(clu.conv_relu_pool_forward, conv_relu_pool_backward_averages, (*CONV, "pool_param"), XWB),
        ("dx", "dw", "db"),
        diagnosis=("grad_mismatch", "grad_localized", "grad_scale", OUT_OF_BOUNDS),
    ),
    Mutant(
        "three_layer_conv_net",
        "w1_reg_grad_missing",
        ModelLoss(ThreeLayerConvNetW1RegMissing, cnn_init, PARAMS, ("X", "y")),
        ("dW1",),
        diagnosis=("reg_grad",),
    ),
)
