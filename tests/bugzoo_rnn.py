"""Deliberately wrong recurrent layers and update rules, each with what the engine must
report for it (see ``bugzoo.Mutant``).

The backward-pass slips are written out where they are a line or two of the real code; the
others wrap the correct implementation and apply the mistake's effect. Every mutant keeps
the adapter of its op's spec and swaps in the wrong function.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

import gradverify.impl.cs231n.optim as optim
import gradverify.impl.cs231n.rnn_layers as rnn
from bugzoo import Mutant
from gradverify.core.adapters import Adapter
from gradverify.specs.cs231n.optim import SPECS as OPTIM_SPECS
from gradverify.specs.cs231n.rnn_layers import SPECS as RNN_SPECS


def _adapter(op: str) -> Adapter:
    return next(s for s in (*RNN_SPECS, *OPTIM_SPECS) if s.name == op).variants[0].adapter


# --- recurrent layers -----------------------------------------------------------------------


def rnn_step_backward_tanh_slip(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h)  # should be 1 - next_h**2
    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def rnn_backward_no_carry(dh, cache):
    N, T, H = dh.shape
    dx = np.empty((N, T, cache[0][0].shape[1]), dtype=dh.dtype)
    dWx, dWh, db = 0, 0, 0
    for t in reversed(range(T)):
        # dprev_h of step t + 1 is dropped: each step sees only its own dh[:, t]
        dx[:, t], dh0, dWx_t, dWh_t, db_t = rnn.rnn_step_backward(dh[:, t], cache[t])
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return dx, dh0, dWx, dWh, db


def word_embedding_backward_no_accumulation(dout, cache):
    x, W = cache
    dW = np.zeros_like(W)
    dW[x] += dout  # buffered fancy indexing: a repeated word keeps only its last gradient
    return dW


def lstm_step_backward_forget_slip(dnext_h, dnext_c, cache):
    dx, dprev_h, _, dWx, dWh, db = rnn.lstm_step_backward(dnext_h, dnext_c, cache)
    o, tanh_c = cache[7], cache[9]
    dc = dnext_c + dnext_h * o * (1 - tanh_c**2)
    return dx, dprev_h, dc, dWx, dWh, db  # dprev_c should be dc * f


def lstm_backward_forget_slip(dh, cache):
    N, T, H = dh.shape
    dx = np.empty((N, T, cache[0][0].shape[1]), dtype=dh.dtype)
    dprev_h, dprev_c, dWx, dWh, db = np.zeros((N, H)), np.zeros((N, H)), 0, 0, 0
    for t in reversed(range(T)):
        grads = lstm_step_backward_forget_slip(dh[:, t] + dprev_h, dprev_c, cache[t])
        dx[:, t], dprev_h, dprev_c, dWx_t, dWh_t, db_t = grads
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return dx, dprev_h, dWx, dWh, db


def _swap_if(a):
    """Exchange the i and f blocks of the last axis (4H)."""
    H = a.shape[-1] // 4
    return np.concatenate([a[..., H : 2 * H], a[..., :H], a[..., 2 * H :]], axis=-1)


def lstm_step_forward_gates_if(x, prev_h, prev_c, Wx, Wh, b):
    # f = sigmoid(a[:, :H]), i = sigmoid(a[:, H:2H]): the forward reads the gates as f, i, o, g
    return rnn.lstm_step_forward(x, prev_h, prev_c, _swap_if(Wx), _swap_if(Wh), _swap_if(b))


def lstm_step_backward_gates_if(dnext_h, dnext_c, cache):
    # consistent with its own forward: the gradient of the other function
    dx, dprev_h, dprev_c, dWx, dWh, db = rnn.lstm_step_backward(dnext_h, dnext_c, cache)
    return dx, dprev_h, dprev_c, _swap_if(dWx), _swap_if(dWh), _swap_if(db)


def temporal_affine_backward_db_batch_only(dout, cache):
    dx, dw, _ = rnn.temporal_affine_backward(dout, cache)
    return dx, dw, dout.sum(axis=0)  # sums over N only: shape (T, M), the timesteps stay


def temporal_softmax_loss_ignores_mask(x, y, mask, verbose=False):
    return rnn.temporal_softmax_loss(x, y, np.ones_like(mask))


def temporal_softmax_loss_mean_over_unmasked(x, y, mask, verbose=False):
    loss, dx = rnn.temporal_softmax_loss(x, y, mask)
    # divides by the unmasked timesteps instead of by N (0 / 0 when everything is masked)
    scale = x.shape[0] / mask.sum()
    return loss * scale, dx * scale


# --- update rules ---------------------------------------------------------------------------


def sgd_ascent(w, dw, config=None):
    config = config if config is not None else {}
    config.setdefault("learning_rate", 1e-2)
    return w + config["learning_rate"] * dw, config


def sgd_in_place(w, dw, config=None):
    # the course's own sgd: updates the caller's array, so every returned step is one array
    config = config if config is not None else {}
    config.setdefault("learning_rate", 1e-2)
    w -= config["learning_rate"] * dw
    return w, config


def sgd_returns_none(w, dw, config=None):
    # the template's stub: next_w = None; (TODO: pass); return next_w, config
    config = config if config is not None else {}
    config.setdefault("learning_rate", 1e-2)
    next_w = None
    return next_w, config


def sgd_momentum_velocity_sign(w, dw, config=None):
    config = config if config is not None else {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    # the same trajectory, but the velocity stored is the negative of the course's
    v = config["momentum"] * v + config["learning_rate"] * dw
    config["velocity"] = v
    return w - v, config


def rmsprop_epsilon_under_root(w, dw, config=None):
    config = config if config is not None else {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    decay = config["decay_rate"]
    cache = decay * config.get("cache", np.zeros_like(w)) + (1 - decay) * dw**2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / np.sqrt(cache + config["epsilon"]), config


def adam_t_after_correction(w, dw, config=None):
    config = config if config is not None else {}
    for k, v in (("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8)):
        config.setdefault(k, v)
    b1, b2, t = config["beta1"], config["beta2"], config.get("t", 0)
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw**2
    # corrected with the previous t: 1 - beta^0 = 0 on the first step
    mt, vt = m / (1 - b1**t), v / (1 - b2**t)
    config["m"], config["v"], config["t"] = m, v, t + 1
    return w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"]), config


def adam_no_bias_correction(w, dw, config=None):
    _, config = optim.adam(w, dw, config)
    # the moments are right; the step uses them uncorrected
    return w - config["learning_rate"] * config["m"] / (np.sqrt(config["v"]) + config["epsilon"]), config


def rmsprop_hard_coded_epsilon(w, dw, config=None):
    _, config = optim.rmsprop(w, dw, config)
    # epsilon added to the root as the course does, but 1e-7 whatever the config says
    return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + 1e-7), config


def adam_epsilon_under_root(w, dw, config=None):
    _, config = optim.adam(w, dw, config)
    b1, b2, t = config["beta1"], config["beta2"], config["t"]
    # the corrected moments, with epsilon under the root
    mt, vt = config["m"] / (1 - b1**t), config["v"] / (1 - b2**t)
    return w - config["learning_rate"] * mt / np.sqrt(vt + config["epsilon"]), config


def _fb(op: str, **functions) -> Adapter:
    return replace(_adapter(op), **functions)


def _rule(op: str, fn) -> Adapter:
    return replace(_adapter(op), fn=fn)


SEQUENCE_GRADS = ("dx", "dh0", "dWx", "dWh", "db")
MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "rnn_step",
        "tanh_derivative_not_squared",
        _fb("rnn_step", backward_fn=rnn_step_backward_tanh_slip),
        ("dx", "dprev_h", "dWx", "dWh", "db"),
        diagnosis=("grad_mismatch", "grad_scale"),
    ),
    Mutant(
        "rnn",
        "dh_not_carried",
        _fb("rnn", backward_fn=rnn_backward_no_carry),
        ("dx", "dh0", "dWh"),
        diagnosis=("grad_mismatch", "grad_localized"),
    ),
    Mutant(
        "word_embedding",
        "no_accumulation",
        _fb("word_embedding", backward_fn=word_embedding_backward_no_accumulation),
        ("dW",),
        diagnosis=("grad_mismatch", "grad_localized"),
    ),
    Mutant(
        "lstm_step",
        "forget_gate_slip",
        _fb("lstm_step", backward_fn=lstm_step_backward_forget_slip),
        ("dprev_c",),
        diagnosis=("grad_mismatch",),
    ),
    Mutant(
        "lstm_step",
        "gate_order_if",
        _fb("lstm_step", forward_fn=lstm_step_forward_gates_if, backward_fn=lstm_step_backward_gates_if),
        ("next_h", "next_c", "dWx", "db"),
        diagnosis=("forward_mismatch", "grad_mismatch"),
    ),
    Mutant(
        "lstm",
        "forget_gate_slip",
        _fb("lstm", backward_fn=lstm_backward_forget_slip),
        SEQUENCE_GRADS,
        diagnosis=("grad_mismatch", "grad_localized"),
    ),
    Mutant(
        "temporal_affine",
        "db_over_batch_only",
        _fb("temporal_affine", backward_fn=temporal_affine_backward_db_batch_only),
        ("db",),
        status="error",
        diagnosis=("bad_shape",),
    ),
    Mutant(
        "temporal_softmax_loss",
        "ignores_mask",
        replace(_adapter("temporal_softmax_loss"), fn=temporal_softmax_loss_ignores_mask),
        ("loss", "dx"),
        diagnosis=("forward_mismatch", "grad_localized", "grad_mismatch"),
    ),
    Mutant(
        "temporal_softmax_loss",
        "mean_over_unmasked",
        replace(_adapter("temporal_softmax_loss"), fn=temporal_softmax_loss_mean_over_unmasked),
        ("loss", "dx"),
        diagnosis=("forward_mismatch", "grad_scale"),
    ),
    Mutant("sgd", "ascent", _rule("sgd", sgd_ascent), ("trajectory",), diagnosis=("forward_mismatch",)),
    Mutant(
        "sgd",
        "returns_none",
        _rule("sgd", sgd_returns_none),
        ("(call)",),
        status="not_implemented",
        diagnosis=("not_implemented",),
    ),
    Mutant(
        "sgd_momentum",
        "velocity_sign",
        _rule("sgd_momentum", sgd_momentum_velocity_sign),
        ("velocity",),
        diagnosis=("forward_mismatch",),
    ),
    Mutant(
        "rmsprop",
        "epsilon_under_root",
        _rule("rmsprop", rmsprop_epsilon_under_root),
        ("trajectory",),
        diagnosis=("eps_under_root",),
    ),
    Mutant(  # close to the epsilon-under-root lookalike in some cases, but not it: unnamed
        "rmsprop",
        "hard_coded_epsilon",
        _rule("rmsprop", rmsprop_hard_coded_epsilon),
        ("trajectory",),
        diagnosis=("forward_mismatch",),
    ),
    Mutant(
        "adam",
        "epsilon_under_root",
        _rule("adam", adam_epsilon_under_root),
        ("trajectory",),
        diagnosis=("eps_under_root",),
    ),
    Mutant(
        "adam",
        "t_after_correction",
        _rule("adam", adam_t_after_correction),
        ("trajectory",),
        status="error",
        diagnosis=("nonfinite",),
    ),
    Mutant(
        "adam",
        "no_bias_correction",
        _rule("adam", adam_no_bias_correction),
        ("trajectory",),
        diagnosis=("no_bias_correction",),
    ),
)
