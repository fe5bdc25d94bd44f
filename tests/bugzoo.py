"""Deliberately wrong implementations, each with what the engine must report for it.

Each mutant reproduces one classic mistake of hand-derived backprop. Most wrap the correct
implementation and apply the mistake's effect (a forgotten average, a dropped term, a sign),
which keeps every mutant one readable line of intent; the seeds' buggy TwolayerNet is
written out in full.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

import gradverify.impl.cs231n.fc_net as fc
import gradverify.impl.cs231n.layer_utils as lu
import gradverify.impl.cs231n.layers as layers
import gradverify.impl.cs231n.linear_svm as svm
import gradverify.impl.cs231n.matrix_example as mx
import gradverify.impl.cs231n.neural_net as nn
import gradverify.impl.cs231n.softmax as sm
from gradverify.core.adapters import Adapter, ForwardBackward, LossGrad, ModelLoss
from gradverify.core.spec import Variant
from gradverify.run.sweep import sweep
from gradverify.specs.cs231n.fc_net import SPECS as FC_SPECS
from gradverify.specs.registry import select


@dataclass(frozen=True)
class Mutant:
    """A wrong implementation of ``op`` and the quantities that must get ``status``."""

    op: str
    name: str
    adapter: Adapter
    catches: tuple[str, ...]
    status: str = "fail"
    diagnosis: tuple[str, ...] = ()
    """Codes the caught records may carry; the first must appear."""


def run_mutant(mutant: Mutant, cases: int = 4) -> list[dict]:
    """Every record of a sweep (edge cases and ``cases`` random ones, both dtypes) of the
    mutant in place of its op's implementations."""
    (spec,) = [s for s in select(None) if s.name == mutant.op]
    spec = spec.with_variants(Variant(mutant.name, mutant.adapter))
    return [r for batch in sweep([spec], ["float64", "float32"], 0, cases) for r in batch]


def _reg_grad(W, reg):
    return 2 * reg * W


# --- linear_svm -------------------------------------------------------------------------


def svm_forgot_average(W, X, y, reg):
    loss, dW = svm.svm_loss_vectorized(W, X, y, reg)
    return loss, (dW - _reg_grad(W, reg)) * X.shape[0] + _reg_grad(W, reg)


def svm_missing_reg_grad(W, X, y, reg):
    loss, dW = svm.svm_loss_naive(W, X, y, reg)
    return loss, dW - _reg_grad(W, reg)


def svm_reg_grad_not_doubled(W, X, y, reg):
    loss, dW = svm.svm_loss_vectorized(W, X, y, reg)
    return loss, dW - reg * W


def svm_sign_flip(W, X, y, reg):
    loss, dW = svm.svm_loss_vectorized(W, X, y, reg)
    return loss, -dW


def svm_loss_includes_correct_class(W, X, y, reg):
    loss, dW = svm.svm_loss_vectorized(W, X, y, reg)
    return loss + 1.0, dW


def svm_delta_ignored(W, X, y, reg, delta=1.0):
    return svm.svm_loss_vectorized(W, X, y, reg)


def svm_all_classes_counts_correct_class(W, X, y, reg, delta=1.0):
    loss, dW = svm.svm_loss_all_classes(W, X, y, reg, delta)
    # the always-active j = y_i term counted as a margin of its own: one extra -x_i per example
    extra = np.zeros_like(dW)
    np.add.at(extra.T, y, -X / X.shape[0])
    return loss, dW + extra


def svm_class_mean_grad_not_averaged(W, X, y, reg, delta=1.0):
    loss, dW = svm.svm_loss_class_mean(W, X, y, reg, delta)
    return loss, (dW - _reg_grad(W, reg)) * (W.shape[1] - 1) + _reg_grad(W, reg)


def squared_hinge_missing_two(W, X, y, reg, delta=1.0):
    loss, dW = svm.squared_hinge_loss(W, X, y, reg, delta)
    return loss, (dW - _reg_grad(W, reg)) / 2 + _reg_grad(W, reg)


# --- softmax ------------------------------------------------------------------------------


def softmax_forgot_correct_class(W, X, y, reg):
    loss, dW = sm.softmax_loss_vectorized(W, X, y, reg)
    onehot = np.eye(W.shape[1])[y]
    return loss, dW + X.T @ onehot / X.shape[0]


def softmax_unstable(W, X, y, reg):
    scores = X @ W
    exp = np.exp(scores)  # no max subtraction: overflows for large scores
    p = exp / exp.sum(axis=1, keepdims=True)
    n = X.shape[0]
    loss = -np.log(p[np.arange(n), y]).mean() + reg * np.sum(W * W)
    dscores = p.copy()
    dscores[np.arange(n), y] -= 1
    return loss, X.T @ dscores / n + 2 * reg * W


# --- layers -------------------------------------------------------------------------------


def affine_backward_dw_transposed(dout, cache):
    dx, dw, db = layers.affine_backward(dout, cache)
    return dx, dw.T, db


def affine_backward_db_mean(dout, cache):
    dx, dw, db = layers.affine_backward(dout, cache)
    return dx, dw, dout.mean(axis=0)


def affine_forward_no_bias(x, w, b):
    out, cache = layers.affine_forward(x, w, b)
    return out - b, cache


def relu_backward_ge(dout, cache):
    return dout * (cache >= 0)


def relu_backward_mask_on_dout(dout, cache):
    return dout * (dout > 0)


def svm_scores_forgot_average(x, y):
    loss, dx = layers.svm_loss(x, y)
    return loss, dx * x.shape[0]


def softmax_scores_forgot_correct_class(x, y):
    loss, dx = layers.softmax_loss(x, y)
    return loss, dx + np.eye(x.shape[1])[y] / x.shape[0]


def affine_relu_backward_skips_relu(dout, cache):
    fc_cache, _ = cache
    return layers.affine_backward(dout, fc_cache)


def matrix_example_missing_two(dloss, cache):
    return tuple(g / 2 for g in mx.matrix_example_backward(dloss, cache))


# --- fc_net ---------------------------------------------------------------------------------


class SeedTwoLayerNet(fc.TwoLayerNet):
    """The seeds' bug: the forward pass feeds the pre-activation H1 to the second layer,
    while the backward pass uses the ReLU output."""

    def loss(self, X, y=None):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        H1 = X @ W1 + b1
        scores = H1 @ W2 + b2  # should be relu(H1) @ W2
        if y is None:
            return scores
        data_loss, dscores = layers.softmax_loss(scores, y)
        loss = data_loss + 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        relu = np.maximum(H1, 0)
        dW2 = relu.T @ dscores + self.reg * W2
        db2 = dscores.sum(axis=0)
        dH1 = (dscores @ W2.T) * (H1 > 0)
        return loss, {"W1": X.T @ dH1 + self.reg * W1, "b1": dH1.sum(axis=0), "W2": dW2, "b2": db2}


class TwoLayerNetDoubleReg(fc.TwoLayerNet):
    """Loss uses 0.5 * reg * sum(W^2) but the gradient adds 2 * reg * W."""

    def loss(self, X, y=None):
        result = super().loss(X, y)
        if y is None:
            return result
        loss, grads = result
        for k in ("W1", "W2"):
            grads[k] = grads[k] + self.reg * self.params[k]
        return loss, grads


class FullyConnectedNetLastRegMissing(fc.FullyConnectedNet):
    """Forgets the regularization gradient of the last layer."""

    def loss(self, X, y=None):
        result = super().loss(X, y)
        if y is None:
            return result
        loss, grads = result
        last = f"W{self.num_layers}"
        grads[last] = grads[last] - self.reg * self.params[last]
        return loss, grads


def _model(op: str, cls) -> ModelLoss:
    adapter = next(s for s in FC_SPECS if s.name == op).variants[0].adapter
    return ModelLoss(cls, adapter.init, adapter.params, adapter.data)


SVM_ARGS = ("W", "X", "y", "reg")
AFFINE = ("x", "w", "b")
SCALE, SIGN, TRANSPOSED, REG = "grad_scale", "grad_sign", "grad_transposed", "reg_grad"
LOCAL, MISMATCH, FORWARD = "grad_localized", "grad_mismatch", "forward_mismatch"
ANY_GRAD = (LOCAL, MISMATCH)


def _loss(fn, wrt=("W",), args=SVM_ARGS, kwargs=()):
    return LossGrad(fn, args, wrt, kwargs)


def _layer(forward, backward, args=AFFINE, **kw):
    return ForwardBackward(forward, backward, args, args, **kw)


class NeuralNetHalfRegGrad(nn.TwoLayerNet):
    """reg * sum(W^2) in the loss, but the gradient of 0.5 * reg * sum(W^2): mixed conventions."""

    def loss(self, X, y=None, reg=0.0):
        out = super().loss(X, y, reg)
        if y is None:
            return out
        loss, grads = out
        return loss, {k: v - reg * self.params[k] if k.startswith("W") else v for k, v in grads.items()}


def _neural_net(cls) -> Adapter:
    (spec,) = select(["neural_net"])
    return replace(spec.variants[0].adapter, cls=cls)


MUTANTS: tuple[Mutant, ...] = (
    Mutant("neural_net", "half_reg_grad", _neural_net(NeuralNetHalfRegGrad), ("dW1", "dW2"), diagnosis=("reg_grad",)),
    Mutant("svm", "forgot_average", _loss(svm_forgot_average), ("dW",), diagnosis=(SCALE,)),
    Mutant("svm", "missing_reg_grad", _loss(svm_missing_reg_grad), ("dW",), diagnosis=(REG,)),
    Mutant("svm", "reg_grad_not_doubled", _loss(svm_reg_grad_not_doubled), ("dW",), diagnosis=(REG,)),
    Mutant("svm", "sign_flip", _loss(svm_sign_flip), ("dW",), diagnosis=(SIGN,)),
    Mutant(
        "svm", "loss_includes_correct_class", _loss(svm_loss_includes_correct_class), ("loss",), diagnosis=(FORWARD,)
    ),
    Mutant(
        "svm_delta",
        "delta_ignored",
        _loss(svm_delta_ignored, kwargs=("delta",)),
        ("loss", "dW"),
        diagnosis=(FORWARD, *ANY_GRAD),
    ),
    Mutant(
        "svm_all_classes",
        "counts_correct_class",
        _loss(svm_all_classes_counts_correct_class, kwargs=("delta",)),
        ("dW",),
        # in the ties case every wrong entry can sit on a kinked column: then it is out of bounds
        diagnosis=(*ANY_GRAD, "kink_out_of_bounds"),
    ),
    Mutant(
        "svm_class_mean",
        "grad_not_averaged",
        _loss(svm_class_mean_grad_not_averaged, kwargs=("delta",)),
        ("dW",),
        diagnosis=(SCALE,),
    ),
    Mutant(
        "squared_hinge", "missing_two", _loss(squared_hinge_missing_two, kwargs=("delta",)), ("dW",), diagnosis=(SCALE,)
    ),
    Mutant("softmax", "forgot_correct_class", _loss(softmax_forgot_correct_class), ("dW",), diagnosis=ANY_GRAD),
    Mutant("softmax", "unstable", _loss(softmax_unstable), ("loss",), status="error", diagnosis=("nonfinite",)),
    Mutant(
        "affine",
        "dw_transposed",
        _layer(layers.affine_forward, affine_backward_dw_transposed),
        ("dw",),
        diagnosis=(TRANSPOSED,),
    ),
    Mutant("affine", "db_mean", _layer(layers.affine_forward, affine_backward_db_mean), ("db",), diagnosis=(SCALE,)),
    Mutant(
        "affine",
        "forward_no_bias",
        _layer(affine_forward_no_bias, layers.affine_backward),
        ("out",),
        diagnosis=(FORWARD,),
    ),
    Mutant(
        "relu",
        "mask_on_dout",
        _layer(layers.relu_forward, relu_backward_mask_on_dout, ("x",)),
        ("dx",),
        diagnosis=ANY_GRAD,
    ),
    Mutant(
        "relu",
        "subgradient_at_zero",
        _layer(layers.relu_forward, relu_backward_ge, ("x",)),
        ("dx",),
        status="kink",
        diagnosis=("kink",),
    ),
    Mutant(
        "svm_loss", "forgot_average", _loss(svm_scores_forgot_average, ("x",), ("x", "y")), ("dx",), diagnosis=(SCALE,)
    ),
    Mutant(
        "softmax_loss",
        "forgot_correct_class",
        _loss(softmax_scores_forgot_correct_class, ("x",), ("x", "y")),
        ("dx",),
        diagnosis=(LOCAL,),
    ),
    Mutant(
        "affine_relu",
        "skips_relu",
        _layer(lu.affine_relu_forward, affine_relu_backward_skips_relu),
        ("dx", "dw", "db"),
        diagnosis=ANY_GRAD,
    ),
    Mutant(
        "matrix_example",
        "missing_two",
        _layer(mx.matrix_example_forward, matrix_example_missing_two, ("X", "W1", "W2"), output="loss"),
        ("dX", "dW1", "dW2"),
        diagnosis=(SCALE,),
    ),
    Mutant(
        "two_layer_net",
        "seed_preactivation_bug",
        _model("two_layer_net", SeedTwoLayerNet),
        ("loss", "scores", "dW1", "dW2"),
        diagnosis=(FORWARD, *ANY_GRAD, SCALE, REG),
    ),
    Mutant(
        "two_layer_net", "double_reg", _model("two_layer_net", TwoLayerNetDoubleReg), ("dW1", "dW2"), diagnosis=(REG,)
    ),
    Mutant(
        "fully_connected_net",
        "last_reg_missing",
        _model("fully_connected_net", FullyConnectedNetLastRegMissing),
        ("dW3",),
        diagnosis=(REG,),
    ),
)
