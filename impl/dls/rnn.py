"""
Course 5, week 1 (Building a Recurrent Neural Network, step by step): answer key.

Time is the last axis: x (n_x, m, T_x), a (n_a, m, T_x), y (n_y, m, T_x); one step is
xt (n_x, m), a_prev (n_a, m).
- RNN parameters: Wax (n_a, n_x), Waa (n_a, n_a), Wya (n_y, n_a), ba (n_a, 1), by (n_y, 1).
- LSTM parameters: Wf, Wi, Wc, Wo (n_a, n_a + n_x) acting on concat = [a_prev; xt];
  bf, bi, bc, bo (n_a, 1); Wy (n_y, n_a), by (n_y, 1).
- rnn cell cache: (a_next, a_prev, xt, parameters)
- lstm cell cache: (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)
- sequence caches: (list of cell caches, x)

The backward functions return plain derivatives of sum(da * a) (+ sum(dc * c) for one LSTM
cell); the output layer (Wya/Wy, by) is not part of them, as in the course.
"""

from __future__ import annotations

import numpy as np

Params = dict[str, np.ndarray]


def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax over axis 0 (classes are rows). x: (n_y, m) -> (n_y, m)."""
    e = np.exp(x - np.max(x, axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Elementwise logistic function, any shape."""
    return np.exp(-np.logaddexp(0, -x))


def rnn_cell_forward(xt: np.ndarray, a_prev: np.ndarray, parameters: Params) -> tuple[np.ndarray, np.ndarray, tuple]:
    """
    a_next = tanh(Waa a_prev + Wax xt + ba);  yt_pred = softmax(Wya a_next + by).

    Inputs:
    - xt: shape (n_x, m).
    - a_prev: shape (n_a, m).
    - parameters: Wax, Waa, Wya, ba, by.

    Returns a tuple of:
    - a_next: shape (n_a, m).
    - yt_pred: shape (n_y, m).
    - cache: (a_next, a_prev, xt, parameters)
    """
    p = parameters
    a_next = np.tanh(p["Waa"] @ a_prev + p["Wax"] @ xt + p["ba"])
    yt_pred = softmax(p["Wya"] @ a_next + p["by"])
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)


def rnn_forward(x: np.ndarray, a0: np.ndarray, parameters: Params) -> tuple[np.ndarray, np.ndarray, tuple]:
    """
    Inputs:
    - x: shape (n_x, m, T_x).
    - a0: shape (n_a, m).
    - parameters: Wax, Waa, Wya, ba, by.

    Returns a tuple of:
    - a: hidden states, shape (n_a, m, T_x).
    - y_pred: predictions, shape (n_y, m, T_x).
    - caches: (list of T_x cell caches, x)
    """
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wya"].shape
    a = np.zeros((n_a, m, T_x), dtype=np.result_type(x, a0))
    y_pred = np.zeros((n_y, m, T_x), dtype=a.dtype)
    caches = []
    a_next = a0
    for t in range(T_x):
        a_next, y_pred[:, :, t], cache = rnn_cell_forward(x[:, :, t], a_next, parameters)
        a[:, :, t] = a_next
        caches.append(cache)
    return a, y_pred, (caches, x)


def rnn_cell_backward(da_next: np.ndarray, cache: tuple) -> dict[str, np.ndarray]:
    """
    Inputs:
    - da_next: gradient w.r.t. a_next, shape (n_a, m).
    - cache: from rnn_cell_forward.

    Returns:
    - gradients: dxt (n_x, m), da_prev (n_a, m), dWax (n_a, n_x), dWaa (n_a, n_a), dba (n_a, 1).
    """
    a_next, a_prev, xt, p = cache
    dz = da_next * (1 - a_next**2)  # through tanh, using the stored output
    return {
        "dxt": p["Wax"].T @ dz,
        "da_prev": p["Waa"].T @ dz,
        "dWax": dz @ xt.T,
        "dWaa": dz @ a_prev.T,
        "dba": np.sum(dz, axis=1, keepdims=True),
    }


def rnn_backward(da: np.ndarray, caches: tuple) -> dict[str, np.ndarray]:
    """
    Backpropagation through time for rnn_forward.

    Inputs:
    - da: upstream gradients of every hidden state, shape (n_a, m, T_x).
    - caches: from rnn_forward.

    Returns:
    - gradients: dx (n_x, m, T_x), da0 (n_a, m), dWax (n_a, n_x), dWaa (n_a, n_a), dba (n_a, 1).
    """
    cell_caches, x = caches
    n_a, m, T_x = da.shape
    p = cell_caches[0][3]
    dx = np.zeros((x.shape[0], m, T_x), dtype=np.result_type(x, da))
    grads = {k: np.zeros_like(p[k], dtype=dx.dtype) for k in ("Wax", "Waa", "ba")}
    da_prev = np.zeros((n_a, m), dtype=dx.dtype)
    for t in reversed(range(T_x)):
        # a<t> feeds both the loss at t and the next step
        g = rnn_cell_backward(da[:, :, t] + da_prev, cell_caches[t])
        dx[:, :, t] = g["dxt"]
        da_prev = g["da_prev"]
        for k in grads:
            grads[k] += g["d" + k]
    return {"dx": dx, "da0": da_prev, "dWax": grads["Wax"], "dWaa": grads["Waa"], "dba": grads["ba"]}


def lstm_cell_forward(
    xt: np.ndarray, a_prev: np.ndarray, c_prev: np.ndarray, parameters: Params
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple]:
    """
    One LSTM step:
        ft = sigmoid(Wf concat + bf)   it = sigmoid(Wi concat + bi)   ot = sigmoid(Wo concat + bo)
        cct = tanh(Wc concat + bc)     c_next = ft * c_prev + it * cct
        a_next = ot * tanh(c_next)     yt_pred = softmax(Wy a_next + by)
    with concat = [a_prev; xt] of shape (n_a + n_x, m).

    Inputs:
    - xt: shape (n_x, m).
    - a_prev, c_prev: shape (n_a, m).
    - parameters: Wf, bf, Wi, bi, Wc, bc, Wo, bo, Wy, by.

    Returns a tuple of:
    - a_next, c_next: shape (n_a, m).
    - yt_pred: shape (n_y, m).
    - cache: (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)
    """
    p = parameters
    concat = np.concatenate([a_prev, xt], axis=0)
    ft = sigmoid(p["Wf"] @ concat + p["bf"])
    it = sigmoid(p["Wi"] @ concat + p["bi"])
    cct = np.tanh(p["Wc"] @ concat + p["bc"])
    ot = sigmoid(p["Wo"] @ concat + p["bo"])
    c_next = ft * c_prev + it * cct
    a_next = ot * np.tanh(c_next)
    yt_pred = softmax(p["Wy"] @ a_next + p["by"])
    return a_next, c_next, yt_pred, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)


def lstm_forward(x: np.ndarray, a0: np.ndarray, parameters: Params) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple]:
    """
    Inputs:
    - x: shape (n_x, m, T_x).
    - a0: shape (n_a, m); the initial cell state is zeros.
    - parameters: as in lstm_cell_forward.

    Returns a tuple of:
    - a: shape (n_a, m, T_x).
    - y: shape (n_y, m, T_x).
    - c: shape (n_a, m, T_x).
    - caches: (list of T_x cell caches, x)
    """
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wy"].shape
    dtype = np.result_type(x, a0)
    a = np.zeros((n_a, m, T_x), dtype=dtype)
    c = np.zeros_like(a)
    y = np.zeros((n_y, m, T_x), dtype=dtype)
    a_next, c_next = a0, np.zeros((n_a, m), dtype=dtype)
    caches = []
    for t in range(T_x):
        a_next, c_next, y[:, :, t], cache = lstm_cell_forward(x[:, :, t], a_next, c_next, parameters)
        a[:, :, t], c[:, :, t] = a_next, c_next
        caches.append(cache)
    return a, y, c, (caches, x)


def lstm_cell_backward(da_next: np.ndarray, dc_next: np.ndarray, cache: tuple) -> dict[str, np.ndarray]:
    """
    Inputs:
    - da_next: gradient w.r.t. a_next, shape (n_a, m).
    - dc_next: gradient w.r.t. c_next, shape (n_a, m).
    - cache: from lstm_cell_forward.

    Returns:
    - gradients: dxt (n_x, m), da_prev (n_a, m), dc_prev (n_a, m), dWf, dWi, dWc, dWo
      (n_a, n_a + n_x), dbf, dbi, dbc, dbo (n_a, 1).
    """
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, p = cache
    n_a = a_next.shape[0]
    tanh_c = np.tanh(c_next)
    # c_next receives gradient both directly (dc_next) and through a_next = ot * tanh(c_next)
    dc = dc_next + da_next * ot * (1 - tanh_c**2)
    # pre-activation gradients of the four gates
    dot = da_next * tanh_c * ot * (1 - ot)
    dcct = dc * it * (1 - cct**2)
    dit = dc * cct * it * (1 - it)
    dft = dc * c_prev * ft * (1 - ft)
    concat = np.concatenate([a_prev, xt], axis=0)
    dconcat = p["Wf"].T @ dft + p["Wi"].T @ dit + p["Wc"].T @ dcct + p["Wo"].T @ dot
    grads = {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc * ft}
    for gate, dg in (("f", dft), ("i", dit), ("c", dcct), ("o", dot)):
        grads["dW" + gate] = dg @ concat.T
        grads["db" + gate] = np.sum(dg, axis=1, keepdims=True)
    return grads


def lstm_backward(da: np.ndarray, caches: tuple, *, carry_state: bool = True) -> dict[str, np.ndarray]:
    """
    Backpropagation through time for lstm_forward.

    Like the course, the number of steps comes from da (da.shape[2]); the notebook's own test
    passes a da with fewer steps than x, so only caches[0 .. da.shape[2]-1] are used.

    Inputs:
    - da: upstream gradients of the hidden states, shape (n_a, m, T_x).
    - caches: from lstm_forward.
    - carry_state: pass da_prev and dc_prev from step t to step t-1 (true BPTT, the 2021+
      notebook). False reproduces the 2017-2020 expected outputs, whose reference loop never
      carried them (each step saw only da[:, :, t] and a zero dc_next).

    Returns:
    - gradients: dx (n_x, m, T_x), da0 (n_a, m), dWf, dWi, dWc, dWo (n_a, n_a + n_x),
      dbf, dbi, dbc, dbo (n_a, 1).
    """
    cell_caches, x = caches
    n_a, m, T_x = da.shape
    p = cell_caches[0][9]
    dtype = np.result_type(x, da)
    dx = np.zeros((x.shape[0], m, T_x), dtype=dtype)
    keys = ("Wf", "Wi", "Wc", "Wo", "bf", "bi", "bc", "bo")
    acc = {"d" + k: np.zeros_like(p[k], dtype=dtype) for k in keys}
    da_prev = np.zeros((n_a, m), dtype=dtype)
    dc_prev = np.zeros((n_a, m), dtype=dtype)
    g = None
    for t in reversed(range(T_x)):
        g = lstm_cell_backward(da[:, :, t] + da_prev, dc_prev, cell_caches[t])
        dx[:, :, t] = g["dxt"]
        if carry_state:
            da_prev, dc_prev = g["da_prev"], g["dc_prev"]
        for k in acc:
            acc[k] += g[k]
    da0 = g["da_prev"] if g is not None else da_prev
    return {"dx": dx, "da0": da0, **acc}
