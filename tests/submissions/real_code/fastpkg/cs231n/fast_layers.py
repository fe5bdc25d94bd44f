"""Fast convolution through the compiled im2col_cython helper, which is not committed (as in
every student repository): gradverify's NumPy stand-in must take its place."""

import numpy as np

try:
    from .im2col_cython import col2im_cython, im2col_cython
except ImportError:
    print("run python setup.py build_ext --inplace")


def conv_forward_fast(x, w, b, conv_param):
    n, _, h, wd = x.shape
    f, _, hh, ww = w.shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    out_h, out_w = (h + 2 * pad - hh) // stride + 1, (wd + 2 * pad - ww) // stride + 1
    cols = im2col_cython(x, hh, ww, pad, stride)
    out = (w.reshape(f, -1).dot(cols) + b.reshape(-1, 1)).reshape(f, out_h, out_w, n).transpose(3, 0, 1, 2)
    return np.ascontiguousarray(out), (x, w, b, conv_param, cols)


def conv_backward_fast(dout, cache):
    x, w, b, conv_param, cols = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    n, c, h, wd = x.shape
    f, _, hh, ww = w.shape
    db = dout.sum(axis=(0, 2, 3))
    d = dout.transpose(1, 2, 3, 0).reshape(f, -1)
    dw = d.dot(cols.T).reshape(w.shape)
    dx = col2im_cython(w.reshape(f, -1).T.dot(d), n, c, h, wd, hh, ww, pad, stride)
    return dx, dw, db
