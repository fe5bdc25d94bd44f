"""Deliberately wrong deeplearning.ai implementations, each with what the engine must report.

Each wraps the answer key and applies one classic mistake of the course: a forgotten 1/m,
the cross-entropy derivative with the wrong sign, tanh' written as 1 - a, dropout's
1/keep_prob left out of the backward pass, momentum in PyTorch's form."""

from __future__ import annotations

import dataclasses

import numpy as np

import gradverify.impl.dls.cnn as cnn
import gradverify.impl.dls.deep_nn as nn
import gradverify.impl.dls.optimization as opt
import gradverify.impl.dls.regularization as reg
import gradverify.impl.dls.rnn as rnn
from bugzoo import Mutant
from gradverify.specs.registry import select


def _adapter(op: str, **changes):
    (spec,) = [s for s in select(None) if s.name == op]
    return dataclasses.replace(spec.variants[0].adapter, **changes)


def sigmoid_backward_no_one_minus(dA, cache):
    s, _ = nn.sigmoid(cache)
    return dA * s


def relu_backward_no_mask(dA, cache):
    return dA.copy()


def linear_backward_no_average(dZ, cache):
    dA_prev, dW, db = nn.linear_backward(dZ, cache)
    m = cache[0].shape[1]
    return dA_prev, dW * m, db * m


def linear_activation_backward_no_activation(dA, cache, activation):
    linear_cache, _ = cache
    return nn.linear_backward(dA, linear_cache)


def linear_activation_backward_dW_sign(dA, cache, activation):
    dA_prev, dW, db = nn.linear_activation_backward(dA, cache, activation)
    return dA_prev, -dW, db


def L_model_backward_dAL_sign(AL, Y, caches):
    return {k: -v for k, v in nn.L_model_backward(AL, Y, caches).items()}


def backward_propagation_tanh_prime(parameters, cache, X, Y):
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dZ1 = (parameters["W2"].T @ dZ2) * (1 - A1)  # tanh' is 1 - a^2, not 1 - a
    return {
        "dW1": dZ1 @ X.T / m,
        "db1": dZ1.sum(axis=1, keepdims=True) / m,
        "dW2": dZ2 @ A1.T / m,
        "db2": dZ2.sum(axis=1, keepdims=True) / m,
    }


def update_parameters_ascent(parameters, grads, learning_rate):
    return nn.update_parameters(parameters, grads, -learning_rate)


def backward_propagation_with_regularization_no_term(X, Y, cache, lambd):
    return reg.backward_propagation(X, Y, cache)


def backward_propagation_with_dropout_no_rescale(X, Y, cache, keep_prob):
    return reg.backward_propagation_with_dropout(X, Y, cache, 1.0)


def update_parameters_with_gd_double_step(parameters, grads, learning_rate):
    return opt.update_parameters_with_gd(parameters, grads, 2 * learning_rate)


def update_parameters_with_momentum_torch_style(parameters, grads, v, beta, learning_rate):
    v_new = {k: beta * v[k] + grads[k] for k in v}  # torch.optim.SGD's momentum, not the course's average
    return {k: parameters[k] - learning_rate * v_new["d" + k] for k in parameters}, v_new


def update_parameters_with_adam_no_correction(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9,
                                              beta2=0.999, epsilon=1e-8):  # fmt: skip
    # t so large that 1 - beta**t is 1: the bias correction never happens
    return opt.update_parameters_with_adam(parameters, grads, v, s, 10**9, learning_rate, beta1,
                                           beta2, epsilon)  # fmt: skip


GRADIENT = ("grad_mismatch", "grad_localized", "grad_scale", "precision")

MUTANTS = (
    Mutant(
        "dls.sigmoid",
        "no_one_minus",
        _adapter("dls.sigmoid", backward_fn=sigmoid_backward_no_one_minus),
        ("dZ",),
        diagnosis=GRADIENT,
    ),  # fmt: skip
    Mutant(
        "dls.relu",
        "no_mask",
        _adapter("dls.relu", backward_fn=relu_backward_no_mask),
        ("dZ",),
        diagnosis=("grad_localized", "grad_mismatch", "grad_scale"),
    ),  # fmt: skip
    Mutant(
        "dls.linear",
        "no_average",
        _adapter("dls.linear", backward_fn=linear_backward_no_average),
        ("dW", "db"),
        diagnosis=("grad_scale",),
    ),  # fmt: skip
    Mutant(
        "dls.linear_relu",
        "no_activation",
        _adapter("dls.linear_relu", backward_fn=linear_activation_backward_no_activation),
        ("dA_prev", "dW", "db"),
        diagnosis=("grad_localized", "grad_mismatch", "grad_scale"),
    ),  # fmt: skip
    Mutant(
        "dls.linear_sigmoid",
        "dW_sign",
        _adapter("dls.linear_sigmoid", backward_fn=linear_activation_backward_dW_sign),
        ("dW",),
        diagnosis=("grad_sign",),
    ),  # fmt: skip
    Mutant(
        "dls.L_model",
        "dAL_sign",
        _adapter("dls.L_model", backward_fn=L_model_backward_dAL_sign),
        ("dX", "dW1", "dW3", "db3"),
        diagnosis=("grad_sign",),
    ),  # fmt: skip
    Mutant(
        "dls.planar",
        "tanh_prime",
        _adapter("dls.planar", backward_fn=backward_propagation_tanh_prime),
        ("dW1", "db1"),
        diagnosis=GRADIENT,
    ),  # fmt: skip
    Mutant(
        "dls.update_parameters",
        "ascent",
        _adapter("dls.update_parameters", fn=update_parameters_ascent),
        ("parameters.W1",),
        diagnosis=("forward_mismatch",),
    ),  # fmt: skip
    Mutant(
        "dls.l2_regularization",
        "no_term",
        _adapter("dls.l2_regularization", backward_fn=backward_propagation_with_regularization_no_term),
        ("dW1", "dW3"),
        diagnosis=("reg_grad", "grad_mismatch"),
    ),  # fmt: skip
    Mutant(
        "dls.dropout",
        "no_rescale",
        _adapter("dls.dropout", backward_fn=backward_propagation_with_dropout_no_rescale),
        ("dW1",),
        diagnosis=GRADIENT,
    ),  # fmt: skip
    Mutant(
        "dls.gd",
        "double_step",
        _adapter("dls.gd", fn=update_parameters_with_gd_double_step),
        ("parameters.W1",),
        diagnosis=("forward_mismatch",),
    ),  # fmt: skip
    Mutant(
        "dls.momentum",
        "torch_style",
        _adapter("dls.momentum", fn=update_parameters_with_momentum_torch_style),
        ("v.dW1", "parameters.W1"),
        diagnosis=("forward_mismatch",),
    ),  # fmt: skip
    Mutant(
        "dls.adam",
        "no_bias_correction",
        _adapter("dls.adam", fn=update_parameters_with_adam_no_correction),
        ("parameters.W1",),
        diagnosis=("forward_mismatch",),
    ),  # fmt: skip
)


# --- courses 4 and 5 ------------------------------------------------------------------------


def conv_backward_dW_unsummed_over_batch(dZ, cache):
    dA_prev, dW, db = cnn.conv_backward(dZ, cache)
    return dA_prev, dW / dZ.shape[0], db  # averaged over m: the course's conv has no 1/m


def pool_backward_max_to_first(dA, cache, mode="max"):
    # routes each window's gradient to its top-left entry instead of its maximum
    A_prev, hparameters = cache
    stride = hparameters["stride"]
    out = np.zeros_like(A_prev)
    for h in range(dA.shape[1]):
        for w in range(dA.shape[2]):
            out[:, h * stride, w * stride, :] += dA[:, h, w, :]
    return out


def pool_backward_average_not_divided(dA, cache, mode="average"):
    f = cache[1]["f"]
    return cnn.pool_backward(dA, cache, mode) * (f * f)


def rnn_cell_backward_no_tanh_prime(da_next, cache):
    a_next, a_prev, xt, p = cache
    return {"dxt": p["Wax"].T @ da_next, "da_prev": p["Waa"].T @ da_next, "dWax": da_next @ xt.T,
            "dWaa": da_next @ a_prev.T, "dba": da_next.sum(axis=1, keepdims=True)}  # fmt: skip


def rnn_backward_no_carry(da, caches):
    # each step sees only its own da: the gradient flowing back through a_prev is dropped
    cell_caches, x = caches
    grads = {"dx": np.zeros_like(x), "da0": None, "dWax": 0, "dWaa": 0, "dba": 0}
    for t in reversed(range(da.shape[2])):
        g = rnn.rnn_cell_backward(da[:, :, t], cell_caches[t])
        grads["dx"][:, :, t] = g["dxt"]
        grads["da0"] = g["da_prev"]
        for k in ("dWax", "dWaa", "dba"):
            grads[k] = grads[k] + g[k]
    return grads


def lstm_cell_backward_dc_prev_missing_forget(da_next, dc_next, cache):
    grads = rnn.lstm_cell_backward(da_next, dc_next, cache)
    ft = cache[4]
    return {**grads, "dc_prev": grads["dc_prev"] / ft}


def lstm_backward_2017_no_carry(da, caches):
    return rnn.lstm_backward(da, caches, carry_state=False)


MUTANTS += (
    Mutant(
        "dls.conv",
        "dW_averaged",
        _adapter("dls.conv", backward_fn=conv_backward_dW_unsummed_over_batch),
        ("dW",),
        diagnosis=("grad_scale",),
    ),  # fmt: skip
    Mutant(
        "dls.pool_max",
        "to_first",
        _adapter("dls.pool_max", backward_fn=pool_backward_max_to_first),
        ("dA_prev",),
        diagnosis=GRADIENT,
    ),  # fmt: skip
    Mutant(
        "dls.pool_average",
        "not_divided",
        _adapter("dls.pool_average", backward_fn=pool_backward_average_not_divided),
        ("dA_prev",),
        diagnosis=("grad_scale",),
    ),  # fmt: skip
    Mutant(
        "dls.rnn_cell",
        "no_tanh_prime",
        _adapter("dls.rnn_cell", backward_fn=rnn_cell_backward_no_tanh_prime),
        ("dxt", "dWax"),
        diagnosis=GRADIENT,
    ),  # fmt: skip
    Mutant(
        "dls.rnn", "no_carry", _adapter("dls.rnn", backward_fn=rnn_backward_no_carry), ("dWaa",), diagnosis=GRADIENT
    ),  # fmt: skip
    Mutant(
        "dls.lstm_cell",
        "dc_prev_without_forget",
        _adapter("dls.lstm_cell", backward_fn=lstm_cell_backward_dc_prev_missing_forget),
        ("dc_prev",),
        diagnosis=GRADIENT,
    ),  # fmt: skip
    # the 2017-2020 notebooks' expected values: not the gradient, so a named failure
    Mutant(
        "dls.lstm",
        "2017_no_carry",
        _adapter("dls.lstm", backward_fn=lstm_backward_2017_no_carry),
        ("dWf",),
        diagnosis=GRADIENT,
    ),  # fmt: skip
)
