"""Layers that are in no course, written by hand in NumPy: correct ones and wrong ones.

Each wrong one carries one bug a person makes when deriving a backward pass by hand; the
tests assert that gradverify catches every one with an apt diagnosis. NumPy only: this file
is also a submission checked in the sandbox worker.
"""

import numpy as np


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# --- swish: x * sigmoid(beta * x), a forward/backward pair with a cache ----------------------


def swish_forward(x, beta):
    s = _sigmoid(beta * x)
    return x * s, (x, beta, s)


def swish_backward(dout, cache):
    x, beta, s = cache
    return dout * (s + beta * x * s * (1 - s))


def swish_backward_doubled(dout, cache):  # d(x s) counted twice
    x, beta, s = cache
    return 2 * dout * (s + beta * x * s * (1 - s))


def swish_backward_negated(dout, cache):  # descended instead of differentiated
    x, beta, s = cache
    return -dout * (s + beta * x * s * (1 - s))


# --- huber loss, mean over every entry: a loss returning its gradient ------------------------


def huber_loss(x, y):
    d = x - y
    a = np.abs(d)
    loss = np.mean(np.where(a < 1, 0.5 * d * d, a - 0.5))
    dx = np.where(a < 1, d, np.sign(d)) / d.size
    return loss, dx


def huber_loss_unaveraged(x, y):  # the forward averages, the gradient forgets to
    d = x - y
    a = np.abs(d)
    loss = np.mean(np.where(a < 1, 0.5 * d * d, a - 0.5))
    return loss, np.where(a < 1, d, np.sign(d))


# --- GLU: a * sigmoid(b), x = [a, b] split along the features ------------------------------


def glu_forward(x):
    h = x.shape[1] // 2
    a, b = x[:, :h], x[:, h:]
    s = _sigmoid(b)
    return a * s, (a, s)


def glu_backward(dout, cache):
    a, s = cache
    return np.concatenate([dout * s, dout * a * s * (1 - s)], axis=1)


def glu_tanh_forward(x):  # tanh where the sigmoid belongs; the backward is right for tanh
    h = x.shape[1] // 2
    a, b = x[:, :h], x[:, h:]
    t = np.tanh(b)
    return a * t, (a, t)


def glu_tanh_backward(dout, cache):
    a, t = cache
    return np.concatenate([dout * t, dout * a * (1 - t * t)], axis=1)


# --- a linear layer without bias, out = x @ w ------------------------------------------------


def linear_forward(x, w):
    return x @ w, (x, w)


def linear_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout


def linear_backward_transposed(dout, cache):  # dw as (M, D): dout^T x instead of x^T dout
    x, w = cache
    return dout @ w.T, dout.T @ x


# --- LayerScale: out = x * gamma, gamma (D,) -------------------------------------------------


def layerscale_forward(x, gamma):
    return x * gamma, (x, gamma)


def layerscale_backward(dout, cache):
    x, gamma = cache
    return dout * gamma, np.sum(dout * x, axis=0)


def layerscale_backward_first_row(dout, cache):  # dgamma from the first example only
    x, gamma = cache
    return dout * gamma, dout[0] * x[0]


# --- 1-D convolution, valid, stride 1: x (N, C, L), w (F, C, K), b (F,) ----------------------


def conv1d_forward(x, w, b):
    n, c, length = x.shape
    f, _, k = w.shape
    out = np.zeros((n, f, length - k + 1))
    for i in range(length - k + 1):
        out[:, :, i] = np.tensordot(x[:, :, i : i + k], w, axes=([1, 2], [1, 2])) + b
    return out, (x, w)


def conv1d_backward(dout, cache):
    x, w = cache
    k = w.shape[2]
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for i in range(dout.shape[2]):
        dx[:, :, i : i + k] += np.tensordot(dout[:, :, i], w, axes=([1], [0]))
        dw += np.tensordot(dout[:, :, i], x[:, :, i : i + k], axes=([0], [0]))
    return dx, dw, dout.sum(axis=(0, 2))


def conv1d_backward_last_window(dout, cache):  # dx of the last window position only
    x, w = cache
    k = w.shape[2]
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    last = dout.shape[2] - 1
    for i in range(dout.shape[2]):
        dw += np.tensordot(dout[:, :, i], x[:, :, i : i + k], axes=([0], [0]))
    dx[:, :, last : last + k] += np.tensordot(dout[:, :, last], w, axes=([1], [0]))
    return dx, dw, dout.sum(axis=(0, 2))


# --- RMS norm, forward alone -----------------------------------------------------------------


def rmsnorm_forward(x, eps):
    r = np.sqrt(np.mean(x * x, axis=1, keepdims=True) + eps)
    return x / r, r


def rmsnorm_sum_forward(x, eps):  # the sum where the mean belongs
    r = np.sqrt(np.sum(x * x, axis=1, keepdims=True) + eps)
    return x / r, r


# --- label-smoothed cross-entropy on scores x (N, C), labels y: a loss ------------------------


def smoothed_ce_loss(x, y, eps):
    n, c = x.shape
    z = x - x.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    target = np.full((n, c), eps / c)
    target[np.arange(n), y] += 1 - eps
    loss = -np.sum(target * np.log(p)) / n
    return loss, (p - target) / n


def smoothed_ce_loss_no_mean(x, y, eps):  # the loss averages over N, the gradient does not
    n, c = x.shape
    loss, dx = smoothed_ce_loss(x, y, eps)
    return loss, dx * n


# --- masked mean squared error: a loss with a boolean mask -----------------------------------


def masked_mse_loss(x, y, mask):
    d = np.where(mask, x - y, 0.0)
    count = max(int(mask.sum()), 1)
    return np.sum(d * d) / count, 2 * d / count


# --- ReLU6 clipped at 0 and 6, the subgradient 1 at x = 0 (torch uses 0 there) ----------------


def relu6_forward(x):
    return np.clip(x, 0, 6), x


def relu6_backward(dout, cache):
    x = cache
    return dout * ((x >= 0) & (x < 6))


# --- a forward that scales its input in place ------------------------------------------------


def scale_inplace_forward(x):
    x *= 2.0
    return x, None


def scale_backward(dout, cache):
    return 2.0 * dout
