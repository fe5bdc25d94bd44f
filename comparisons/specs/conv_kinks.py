"""Where convolutional layers are not differentiable, as gradient-entry masks.

Two kinds of kink: a ReLU input within the band of 0, and a max-pool window whose two
largest values are within the band of each other (either may be routed the gradient). The
band is relative to the magnitude of the terms that formed the values, as in kinks.py. The
convolution itself is linear and has none; it only spreads a kink at an output pixel over
that pixel's receptive field in x, the whole filter in w and one entry of b.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from gradverify.core.comparison import Kinks
from gradverify.specs.kinks import near_zero


def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray, conv_param: dict) -> tuple[np.ndarray, np.ndarray]:
    """The convolution of x with w plus b, and the magnitude |x| * |w| + |b| of the terms
    that formed each output (both (N, F, H', W'), float64)."""
    pad, stride = conv_param["pad"], conv_param["stride"]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    HH, WW = w.shape[2:]

    def correlate(xs: np.ndarray, ws: np.ndarray, bs: np.ndarray) -> np.ndarray:
        cols = sliding_window_view(xs, (HH, WW), axis=(2, 3))[:, :, ::stride, ::stride]
        return np.einsum("ncijhw,fchw->nfij", cols, ws) + bs[:, None, None]

    return correlate(x_pad, w, b), correlate(np.abs(x_pad), np.abs(w), np.abs(b))


def pool_windows(v: np.ndarray, pool_param: dict) -> np.ndarray:
    """(N, C, H', W', ph * pw): the pooling windows of v (N, C, H, W), row-major inside."""
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    w = sliding_window_view(v, (ph, pw), axis=(2, 3))[:, :, ::stride, ::stride]
    return w.reshape(*w.shape[:4], ph * pw)


def max_pool(v: np.ndarray, pool_param: dict) -> np.ndarray:
    """Max pooling of v (N, C, H, W)."""
    return pool_windows(v, pool_param).max(axis=-1)


def tied_maxima(v: np.ndarray, magnitude: np.ndarray, pool_param: dict, band: float) -> np.ndarray:
    """(N, C, H', W', ph * pw) mask of the entries of windows whose two largest values are
    within ``band`` times the window's largest magnitude, restricted to the entries that
    near the maximum: the inputs that may validly receive the window's gradient."""
    windows = pool_windows(v, pool_param)
    if windows.shape[-1] < 2:
        return np.zeros(windows.shape, dtype=bool)
    top = np.sort(windows, axis=-1)
    scale = band * pool_windows(magnitude, pool_param).max(axis=-1)
    tied = top[..., -1] - top[..., -2] <= scale
    return tied[..., None] & (top[..., -1:] - windows <= scale[..., None])


def spread(mask: np.ndarray, shape: tuple[int, ...], stride: int, pad: int) -> np.ndarray:
    """Mask of the inputs (``shape``, (N, C, H, W)) marked by window entries: ``mask`` is
    (N, C or 1, H', W', height, width), entry (kh, kw) of window (i, j) being input
    (stride * i + kh - pad, stride * j + kw - pad); a channel axis of 1 marks every channel."""
    N, C, H, W = shape
    H_out, W_out, height, width = mask.shape[2:]
    padded = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=bool)
    for kh in range(height):
        for kw in range(width):
            rows = slice(kh, kh + stride * H_out, stride)
            cols = slice(kw, kw + stride * W_out, stride)
            padded[:, :, rows, cols] |= mask[..., kh, kw]
    return padded[:, :, pad : pad + H, pad : pad + W]


def _spread_maxima(maxima: np.ndarray, shape: tuple[int, ...], pool_param: dict) -> np.ndarray:
    ph, pw = pool_param["pool_height"], pool_param["pool_width"]
    return spread(maxima.reshape(*maxima.shape[:4], ph, pw), shape, pool_param["stride"], 0)


def max_pool_kinks(x: np.ndarray, pool_param: dict, band: float) -> np.ndarray:
    """(N, C, H, W) mask of the dx entries that are tied maxima of some window of x. Other
    entries are exact: a window routes nothing to an input below its maximum."""
    return _spread_maxima(tied_maxima(x, np.abs(x), pool_param, band), x.shape, pool_param)


def _scatter_add(values: np.ndarray, shape: tuple[int, ...], stride: int, pad: int = 0) -> np.ndarray:
    """Sum of window entries ``values`` (N, C, H', W', height, width) into the inputs (``shape``)
    they are, as ``spread`` maps them."""
    N, C, H, W = shape
    H_out, W_out, height, width = values.shape[2:]
    out = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for kh in range(height):
        for kw in range(width):
            out[:, :, kh : kh + stride * H_out : stride, kw : kw + stride * W_out : stride] += values[..., kh, kw]
    return out[:, :, pad : pad + H, pad : pad + W]


def _tie_groups(candidates: np.ndarray, shape: tuple[int, ...], pool_param: dict) -> np.ndarray:
    """(N, C, H, W) labels of the tie groups (-1 elsewhere): the maxima of one tied window,
    merged with those of every tied window that shares one (overlapping windows), so the
    group's total is what its windows pass down."""
    pw, stride = pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = shape
    parent: dict[int, int] = {}

    def root(k: int) -> int:
        while parent.setdefault(k, k) != k:
            k = parent[k]
        return k

    for n, c, i, j in zip(*np.nonzero(candidates.any(axis=-1)), strict=True):
        members = [
            ((n * C + c) * H + stride * i + k // pw) * W + stride * j + k % pw
            for k in np.flatnonzero(candidates[n, c, i, j])
        ]
        for m in members[1:]:
            parent[root(int(m))] = root(int(members[0]))
    labels = np.full(N * C * H * W, -1)
    roots = {k: root(k) for k in list(parent)}
    ids = {r: g for g, r in enumerate(sorted(set(roots.values())))}
    for k, r in roots.items():
        labels[k] = ids[r]
    return labels.reshape(shape)


def max_pool_bounds(
    x: np.ndarray, dout: np.ndarray, pool_param: dict, band: float, magnitude: np.ndarray | None = None
) -> Kinks:
    """Kinks of max pooling in x (N, C, H, W) under upstream ``dout`` (N, C, H', W'). A
    window with a unique maximum passes its whole ``dout`` to it; a tied window may split it
    among its tied maxima, each getting between 0 and ``dout`` with the shares adding up to
    ``dout``: bounds per entry (absolute) and tie groups whose sums must be kept."""
    windows = pool_windows(x, pool_param)
    tied = tied_maxima(x, np.abs(x) if magnitude is None else magnitude, pool_param, band)
    is_tied = tied.any(axis=-1, keepdims=True)
    first = np.arange(windows.shape[-1]) == windows.argmax(axis=-1)[..., None]
    u = dout[..., None]
    low = np.where(is_tied, tied * np.minimum(u, 0), first * u)
    high = np.where(is_tied, tied * np.maximum(u, 0), first * u)
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    return Kinks(
        _spread_maxima(tied, x.shape, pool_param),
        _scatter_add(low.reshape(*low.shape[:4], ph, pw), x.shape, stride),
        _scatter_add(high.reshape(*high.shape[:4], ph, pw), x.shape, stride),
        groups=_tie_groups(tied, x.shape, pool_param),
    )


def relu_pool_kinks(a: np.ndarray, magnitude: np.ndarray, pool_param: dict | None, band: float) -> np.ndarray:
    """Mask over pre-activations a (N, F, H', W') of relu(a), optionally max-pooled: ReLU
    inputs at 0, and the tied maxima of pooling windows with a positive maximum. A window
    whose maximum is 0 (every input <= 0) passes no gradient whichever input it picks, since
    the ReLU blocks them all; inputs at 0 themselves are already ReLU kinks."""
    kinks = near_zero(a, magnitude, band)
    if pool_param is None:
        return kinks
    relu = np.maximum(a, 0)
    maxima = tied_maxima(relu, magnitude, pool_param, band)
    maxima &= (max_pool(relu, pool_param) > band * max_pool(magnitude, pool_param))[..., None]
    return kinks | _spread_maxima(maxima, a.shape, pool_param)


def conv_param_kinks(kinks: np.ndarray, x_shape: tuple[int, ...], w: np.ndarray, conv_param: dict) -> dict:
    """Gradient masks of x, w and b for kinks at conv outputs ``kinks`` (N, F, H', W'): the
    receptive field of the output pixel in x (all channels), filter f in w, entry f of b."""
    filters = kinks.any(axis=(0, 2, 3))
    dw = np.zeros(w.shape, dtype=bool)
    dw[filters] = True
    HH, WW = w.shape[2:]
    pixels = kinks.any(axis=1, keepdims=True)[..., None, None]
    fields = np.broadcast_to(pixels, (*pixels.shape[:4], HH, WW))
    dx = spread(fields, x_shape, conv_param["stride"], conv_param["pad"])
    return {"x": dx, "w": dw, "b": filters}


def conv_bounds(
    x: np.ndarray, w: np.ndarray, conv_param: dict, masks: dict, low: np.ndarray, high: np.ndarray, relative: bool
) -> dict[str, Kinks]:
    """Kinks of x, w and b for a conv output gradient da (N, F, H', W') known to lie in
    [low, high]: the backward is linear in da, so interval arithmetic on it (positive and
    negative parts of x and w apart) gives each entry's exact range."""
    pad, stride = conv_param["pad"], conv_param["stride"]
    HH, WW = w.shape[2:]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = sliding_window_view(x_pad, (HH, WW), axis=(2, 3))[:, :, ::stride, ::stride]

    def dw(xs: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.einsum("ncijhw,nfij->fchw", xs, v)

    def dx(ws: np.ndarray, v: np.ndarray) -> np.ndarray:
        return _scatter_add(np.einsum("fchw,nfij->ncijhw", ws, v), x.shape, stride, pad)

    xp, xm, wp, wm = np.maximum(cols, 0), np.minimum(cols, 0), np.maximum(w, 0), np.minimum(w, 0)
    ranges = {
        "x": (dx(wp, low) + dx(wm, high), dx(wp, high) + dx(wm, low)),
        "w": (dw(xp, low) + dw(xm, high), dw(xp, high) + dw(xm, low)),
        "b": (low.sum(axis=(0, 2, 3)), high.sum(axis=(0, 2, 3))),
    }
    return {k: Kinks(masks[k], lo, hi, relative=relative) for k, (lo, hi) in ranges.items()}


def relu_pool_bounds(
    a: np.ndarray, magnitude: np.ndarray, dout: np.ndarray, pool_param: dict, band: float
) -> tuple[np.ndarray, np.ndarray]:
    """Absolute range of da for relu(a) max-pooled under upstream ``dout``: the pool's range
    in relu(a) (``max_pool_bounds``), times ReLU's slope, which is anywhere in [0, 1] at a
    ReLU input near 0."""
    pooled = max_pool_bounds(np.maximum(a, 0), dout, pool_param, band, magnitude)
    near = near_zero(a, magnitude, band)
    low = np.where(near, np.minimum(pooled.low, 0), np.where(a > 0, pooled.low, 0.0))
    high = np.where(near, np.maximum(pooled.high, 0), np.where(a > 0, pooled.high, 0.0))
    return low, high
