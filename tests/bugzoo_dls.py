"""Deliberately wrong deeplearning.ai implementations, each with what the engine must report.

Each wraps the answer key and applies one classic mistake of the course: a forgotten 1/m,
the cross-entropy derivative with the wrong sign, tanh' written as 1 - a, dropout's
1/keep_prob left out of the backward pass, momentum in PyTorch's form."""

from __future__ import annotations

import dataclasses

import gradverify.impl.dls.deep_nn as nn
import gradverify.impl.dls.optimization as opt
import gradverify.impl.dls.regularization as reg
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
