"""Deliberately wrong normalization and dropout code, each with what the engine must report.

The classic mistakes are written out where they are short (an unbiased variance, a backward
pass without the mean's path, a reshape without the transpose); the others wrap the correct
layer and apply the mistake's effect.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import gradverify.impl.cs231n.dropout as dropout
import gradverify.impl.cs231n.fc_net as fc
import gradverify.impl.cs231n.layers as layers
import gradverify.impl.cs231n.norm_layer_utils as nlu
import gradverify.impl.cs231n.normalization as nm
from bugzoo import Mutant
from gradverify.core.adapters import ForwardBackward
from gradverify.specs.cs231n.fc_net import net_adapter
from gradverify.specs.cs231n.normalization import STATE

XGB = ("x", "gamma", "beta")
SANDWICH = ("x", "w", "b", "gamma", "beta")
FORWARD, LOCAL, MISMATCH, SCALE, REG = "forward_mismatch", "grad_localized", "grad_mismatch", "grad_scale", "reg_grad"
ANY_GRAD = (MISMATCH, LOCAL, SCALE)
PRECISION = "precision"
NO_CODE = "statistic"
"""The engine gives statistics records (keep_rate, scale) no diagnosis code."""


# --- batchnorm ------------------------------------------------------------------------------


def batchnorm_forward_unbiased(x, gamma, beta, bn_param):
    """Normalizes with (and averages) the unbiased variance, np.var's ddof=1 / torch's default."""
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    D = x.shape[1]
    mu = x.mean(axis=0)
    xmu = x - mu
    var = x.var(axis=0, ddof=1)
    std = np.sqrt(var + eps)
    xhat = xmu / std
    bn_param["running_mean"] = momentum * bn_param.get("running_mean", np.zeros(D)) + (1 - momentum) * mu
    bn_param["running_var"] = momentum * bn_param.get("running_var", np.zeros(D)) + (1 - momentum) * var
    return gamma * xhat + beta, (xhat, gamma, (xmu, 1 / std[None], std[None], (0,)))


def layernorm_forward_one_pass_variance(x, gamma, beta, ln_param):
    """var = E[x^2] - E[x]^2: right on paper, but in float32 it cancels every digit of the
    variance when the mean is large next to the spread."""
    eps = ln_param.get("eps", 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    var = (x * x).mean(axis=1, keepdims=True) - mu * mu
    std = np.sqrt(var + eps)
    xmu = x - mu
    xhat = xmu / std
    return gamma * xhat + beta, (xhat, gamma, (xmu, 1 / std, std, (1,)))


def batchnorm_backward_no_mean_path(dout, cache):
    """The staged backward pass without stage 1: mu's own dependence on x is forgotten."""
    xhat, gamma, (xmu, ivar, std, _) = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    divar = np.sum(dxhat * xmu, axis=0, keepdims=True)
    dvar = -0.5 * divar / std**3
    dx = dxhat * ivar + 2 * xmu * dvar / N
    return dx, dgamma, dbeta


def batchnorm_forward_torch_momentum(x, gamma, beta, bn_param):
    """torch.nn.BatchNorm1d's convention: running = (1 - momentum) * running + momentum * batch."""
    D = x.shape[1]
    old = {k: bn_param.get(k, np.zeros(D)) for k in ("running_mean", "running_var")}
    out, cache = nm.batchnorm_forward(x, gamma, beta, bn_param)
    m = bn_param.get("momentum", 0.9)
    batch = {"running_mean": x.mean(axis=0), "running_var": x.var(axis=0)}
    for k, running in old.items():
        bn_param[k] = (1 - m) * running + m * batch[k]
    return out, cache


def batchnorm_forward_batch_stats_in_test(x, gamma, beta, bn_param):
    """Ignores the mode: test time normalizes with the test batch's own statistics."""
    return nm.batchnorm_forward(x, gamma, beta, {**bn_param, "mode": "train"})


def _test_mode_with_root(root):
    def forward(x, gamma, beta, bn_param):
        if bn_param["mode"] != "test":
            return nm.batchnorm_forward(x, gamma, beta, bn_param)
        D, eps = x.shape[1], bn_param.get("eps", 1e-5)
        mean, var = bn_param.get("running_mean", np.zeros(D)), bn_param.get("running_var", np.zeros(D))
        return gamma * (x - mean) / root(var, eps) + beta, None

    return forward


batchnorm_test_eps_added_to_root = _test_mode_with_root(lambda var, eps: np.sqrt(var) + eps)
batchnorm_test_eps_left_out = _test_mode_with_root(lambda var, eps: np.sqrt(var))


# --- layernorm ------------------------------------------------------------------------------


def layernorm_forward_over_batch(x, gamma, beta, ln_param):
    """Normalizes each feature over the batch (axis 0), which is batchnorm, not layernorm."""
    return nm.batchnorm_forward(x, gamma, beta, {"mode": "train", "eps": ln_param.get("eps", 1e-5)})


def layernorm_backward_dgamma_per_row(dout, cache):
    """Sums dgamma and dbeta over the features (axis 1) instead of the batch."""
    dx, _, _ = nm.layernorm_backward(dout, cache)
    xhat = cache[0]
    return dx, np.sum(dout * xhat, axis=1), dout.sum(axis=1)


# --- spatial batchnorm and groupnorm --------------------------------------------------------


def spatial_batchnorm_forward_no_transpose(x, gamma, beta, bn_param):
    """Reshapes (N, C, H, W) straight to (N * H * W, C): rows mix channels and positions."""
    N, C, H, W = x.shape
    out, cache = nm.batchnorm_forward(x.reshape(-1, C), gamma, beta, bn_param)
    return out.reshape(N, C, H, W), cache


def spatial_batchnorm_backward_no_transpose(dout, cache):
    N, C, H, W = dout.shape
    dx, dgamma, dbeta = nm.batchnorm_backward(dout.reshape(-1, C), cache)
    return dx.reshape(N, C, H, W), dgamma, dbeta


def groupnorm_forward_per_channel(x, gamma, beta, G, gn_param):
    """Normalizes each channel over H and W alone (instance norm): G is ignored."""
    return nm.spatial_groupnorm_forward(x, gamma, beta, x.shape[1], gn_param)


def groupnorm_backward_flat_params(dout, cache):
    """Returns dgamma and dbeta of shape (C,), not gamma's (1, C, 1, 1)."""
    dx, dgamma, dbeta = nm.spatial_groupnorm_backward(dout, cache)
    return dx, dgamma.reshape(-1), dbeta.reshape(-1)


# --- sandwiches -----------------------------------------------------------------------------


def affine_bn_relu_backward_skips_relu(dout, cache):
    fc_cache, bn_cache, _ = cache
    da, dgamma, dbeta = nm.batchnorm_backward(dout, bn_cache)
    dx, dw, db = layers.affine_backward(da, fc_cache)
    return dx, dw, db, dgamma, dbeta


def affine_relu_ln_forward(x, w, b, gamma, beta, ln_param):
    """affine - relu - layernorm: the ReLU and the normalization in the wrong order."""
    a, fc_cache = layers.affine_forward(x, w, b)
    r, relu_cache = layers.relu_forward(a)
    out, ln_cache = nm.layernorm_forward(r, gamma, beta, ln_param)
    return out, (fc_cache, relu_cache, ln_cache)


def affine_relu_ln_backward(dout, cache):
    fc_cache, relu_cache, ln_cache = cache
    dr, dgamma, dbeta = nm.layernorm_backward(dout, ln_cache)
    da = layers.relu_backward(dr, relu_cache)
    dx, dw, db = layers.affine_backward(da, fc_cache)
    return dx, dw, db, dgamma, dbeta


# --- dropout --------------------------------------------------------------------------------


def dropout_forward_unscaled(x, dropout_param):
    """Vanilla dropout: kept units are not divided by p."""
    p = dropout_param["p"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if dropout_param["mode"] == "train":
        mask = np.random.rand(*x.shape) < p
        return x * mask, (dropout_param, mask)
    return x, (dropout_param, None)


def dropout_forward_p_drops(x, dropout_param):
    """Reads p as the probability of DROPPING a unit (keeps 1 - p), yet scales by 1 / p."""
    p = dropout_param["p"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if dropout_param["mode"] == "train":
        mask = (np.random.rand(*x.shape) >= p) / p
        return x * mask, (dropout_param, mask)
    return x, (dropout_param, None)


def dropout_forward_always_train(x, dropout_param):
    """Drops units in test mode too."""
    return dropout.dropout_forward(x, {**dropout_param, "mode": "train"})


# --- FullyConnectedNet ------------------------------------------------------------------------


class _StuckInTrain(dict):
    """A param dict that ignores being switched to test mode: the effect of a loss() that
    forgets to set bn_param["mode"] or dropout_param["mode"]."""

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, "train" if key == "mode" else value)


class FullyConnectedNetBatchStatsAtTest(fc.FullyConnectedNet):
    """Batchnorm stays in train mode at test time: scores use the test batch's statistics."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bn_params = [_StuckInTrain(p) for p in self.bn_params]


class FullyConnectedNetDropoutAtTest(fc.FullyConnectedNet):
    """Dropout stays on at test time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dropout_param = _StuckInTrain(self.dropout_param)


class FullyConnectedNetRegularizesGamma(fc.FullyConnectedNet):
    """Adds 0.5 * reg * gamma^2 to the loss (and reg * gamma to the gradient), as if every
    parameter but the biases were a weight."""

    def loss(self, X, y=None):
        result = super().loss(X, y)
        if y is None:
            return result
        loss, grads = result
        for i in range(1, self.num_layers):
            gamma = self.params[f"gamma{i}"]
            loss += 0.5 * self.reg * float(np.sum(gamma * gamma))
            grads[f"gamma{i}"] = grads[f"gamma{i}"] + self.reg * gamma
        return loss, grads


def _bn(forward, backward, args=(*XGB, "bn_param")) -> ForwardBackward:
    return ForwardBackward(forward, backward, args, XGB, state=STATE)


def _layer(forward, backward, args, wrt=XGB) -> ForwardBackward:
    return ForwardBackward(forward, backward, args, wrt)


DROPOUT_ARGS = ("x", "dropout_param")
MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "batchnorm",
        "unbiased_variance",
        _bn(batchnorm_forward_unbiased, nm.batchnorm_backward),
        ("out", "running_var"),
        diagnosis=(FORWARD,),
    ),
    Mutant(
        "batchnorm",
        "mean_path_missing",
        _bn(nm.batchnorm_forward, batchnorm_backward_no_mean_path),
        ("dx",),
        diagnosis=ANY_GRAD,
    ),
    Mutant(
        "batchnorm",
        "torch_momentum",
        _bn(batchnorm_forward_torch_momentum, nm.batchnorm_backward),
        ("running_mean", "running_var"),
        diagnosis=(FORWARD,),
    ),
    Mutant(
        "batchnorm_test_mode",
        "batch_stats_in_test",
        ForwardBackward(batchnorm_forward_batch_stats_in_test, None, (*XGB, "bn_param"), ()),
        ("out",),
        diagnosis=(FORWARD,),
    ),
    Mutant(
        "batchnorm_test_mode",
        "eps_added_to_root",
        ForwardBackward(batchnorm_test_eps_added_to_root, None, (*XGB, "bn_param"), ()),
        ("out",),
        diagnosis=("eps_added_to_root",),
    ),
    Mutant(
        "batchnorm_test_mode",
        "eps_left_out",
        ForwardBackward(batchnorm_test_eps_left_out, None, (*XGB, "bn_param"), ()),
        ("out",),
        diagnosis=("eps_left_out",),
    ),
    Mutant(
        "layernorm",
        "normalizes_over_batch",
        _layer(layernorm_forward_over_batch, nm.batchnorm_backward, (*XGB, "ln_param")),
        ("out",),
        diagnosis=(FORWARD,),
    ),
    # only float32 on the offset edge case shows it: the judge blames precision, not the formula
    Mutant(
        "layernorm",
        "one_pass_variance",
        _layer(layernorm_forward_one_pass_variance, nm.layernorm_backward, (*XGB, "ln_param")),
        ("out",),
        diagnosis=(PRECISION,),
    ),
    Mutant(
        "layernorm",
        "dgamma_per_row",
        _layer(nm.layernorm_forward, layernorm_backward_dgamma_per_row, (*XGB, "ln_param")),
        ("dgamma", "dbeta"),
        # (N,) where (D,) is due: wrong values when N == D, a broadcastable shape when N or D is 1
        diagnosis=("grad_mismatch", "shape_only", "bad_shape"),
    ),
    Mutant(
        "spatial_batchnorm",
        "reshape_without_transpose",
        _bn(spatial_batchnorm_forward_no_transpose, spatial_batchnorm_backward_no_transpose),
        ("out", "running_mean"),
        diagnosis=(FORWARD,),
    ),
    Mutant(
        "spatial_groupnorm",
        "per_channel",
        _layer(groupnorm_forward_per_channel, nm.spatial_groupnorm_backward, (*XGB, "G", "gn_param")),
        ("out",),
        diagnosis=(FORWARD,),
    ),
    Mutant(
        "spatial_groupnorm",
        "flat_dgamma",
        _layer(nm.spatial_groupnorm_forward, groupnorm_backward_flat_params, (*XGB, "G", "gn_param")),
        ("dgamma", "dbeta"),
        diagnosis=("shape_only",),  # right values, (C,) for (1, C, 1, 1): minor, still not a pass
    ),
    Mutant(
        "affine_bn_relu",
        "skips_relu",
        ForwardBackward(
            nlu.affine_bn_relu_forward,
            affine_bn_relu_backward_skips_relu,
            (*SANDWICH, "bn_param"),
            SANDWICH,
            state=STATE,
        ),
        ("dx", "dw", "dgamma", "dbeta"),
        diagnosis=ANY_GRAD,
    ),
    Mutant(
        "affine_ln_relu",
        "relu_before_layernorm",
        _layer(affine_relu_ln_forward, affine_relu_ln_backward, (*SANDWICH, "ln_param"), SANDWICH),
        ("out",),
        diagnosis=(FORWARD,),
    ),
    Mutant(
        "dropout",
        "unscaled",
        _layer(dropout_forward_unscaled, dropout.dropout_backward, DROPOUT_ARGS, ("x",)),
        ("out", "dx", "scale"),
        diagnosis=(FORWARD, SCALE, NO_CODE),
    ),
    # the mask it draws is applied consistently, so only the keep-rate statistic can see it
    Mutant(
        "dropout",
        "p_drops",
        _layer(dropout_forward_p_drops, dropout.dropout_backward, DROPOUT_ARGS, ("x",)),
        ("keep_rate",),
        diagnosis=(NO_CODE,),
    ),
    Mutant(
        "dropout_test_mode",
        "active_in_test",
        _layer(dropout_forward_always_train, dropout.dropout_backward, DROPOUT_ARGS, ("x",)),
        ("out", "dx"),
        diagnosis=(FORWARD, *ANY_GRAD),
    ),
    Mutant(
        "fully_connected_net_batchnorm",
        "batch_stats_at_test",
        net_adapter(FullyConnectedNetBatchStatsAtTest, "batchnorm", False),
        ("scores",),
        diagnosis=(FORWARD,),
    ),
    Mutant(
        "fully_connected_net_layernorm",
        "regularizes_gamma",
        net_adapter(FullyConnectedNetRegularizesGamma, "layernorm", False),
        ("loss", "dgamma1", "dgamma2"),
        diagnosis=(FORWARD, REG),
    ),
    Mutant(
        "fully_connected_net_dropout",
        "dropout_at_test",
        net_adapter(FullyConnectedNetDropoutAtTest, None, True),
        ("scores",),
        diagnosis=(FORWARD,),
    ),
)
