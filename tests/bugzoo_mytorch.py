"""Deliberately wrong MyTorch layer objects, each with what the engine must report.

Each subclasses the answer key's layer and repeats one classic mistake of HW1P1: dLdW
transposed, a derivative applied from the wrong side, the loss's 2 or 1/N dropped, batchnorm's
statistics treated as constants."""

from __future__ import annotations

import dataclasses

import numpy as np

import gradverify.impl.mytorch.activation as act
import gradverify.impl.mytorch.batchnorm as bn
import gradverify.impl.mytorch.linear as lin
import gradverify.impl.mytorch.loss as loss
from bugzoo import Mutant
from gradverify.specs.registry import select


def _adapter(op: str, cls: type):
    (spec,) = [s for s in select(None) if s.name == op]
    return dataclasses.replace(spec.variants[0].adapter, cls=cls)


class LinearTransposedW(lin.Linear):
    def backward(self, dLdZ):
        dLdA = super().backward(dLdZ)
        self.dLdW = self.dLdW.T  # A^T dLdZ instead of dLdZ^T A
        return dLdA


class LinearBiasMean(lin.Linear):
    def backward(self, dLdZ):
        dLdA = super().backward(dLdZ)
        self.dLdb = self.dLdb / dLdZ.reshape(-1, self.out_features).shape[0]
        return dLdA


class IdentityDoubled(act.Identity):
    def backward(self, dLdA=None, state=None):
        return 2 * super().backward(dLdA, state)


class SigmoidNoOneMinus(act.Sigmoid):
    def backward(self, dLdA=None, state=None):
        return dLdA * self.A


class TanhOneMinusA(act.Tanh):
    def backward(self, dLdA=None, state=None):
        return dLdA * (1 - self.A)


class ReLUNoMask(act.ReLU):
    def backward(self, dLdA=None, state=None):
        return dLdA.copy()


class GELUOnlyCdf(act.GELU):
    def backward(self, dLdA=None, state=None):
        return dLdA * self.A / np.where(self.Z == 0, 1, self.Z)  # Phi(Z) alone, the Z phi(Z) term lost


class SoftmaxDiagonal(act.Softmax):
    def backward(self, dLdA):
        return dLdA * self.A * (1 - self.A)  # the Jacobian's diagonal only


class SoftmaxLastAxis(act.Softmax):
    def __init__(self, dim=-1):
        super().__init__(-1)


class MSELossNoTwo(loss.MSELoss):
    def backward(self):
        return super().backward() / 2


class CrossEntropyNoMean(loss.CrossEntropyLoss):
    def backward(self):
        return super().backward() * self.N


class BatchNormConstantStatistics(bn.BatchNorm1d):
    def backward(self, dLdBZ):
        super().backward(dLdBZ)
        return dLdBZ * self.BW / np.sqrt(self.V + self.eps)


class BatchNormEvalUsesBatch(bn.BatchNorm1d):
    def forward(self, Z, eval=False):
        return super().forward(Z, eval=False)


GRADIENT = ("grad_mismatch", "grad_localized", "grad_scale", "precision")

MUTANTS = (
    Mutant(
        "mytorch.linear",
        "transposed_dLdW",
        _adapter("mytorch.linear", LinearTransposedW),
        ("dW",),
        diagnosis=("grad_transposed", "bad_shape"),
    ),  # fmt: skip
    Mutant(
        "mytorch.linear_flat_bias",
        "bias_mean",
        _adapter("mytorch.linear_flat_bias", LinearBiasMean),
        ("db",),
        diagnosis=("grad_scale", "grad_mismatch"),
    ),  # fmt: skip
    Mutant(
        "mytorch.identity", "doubled", _adapter("mytorch.identity", IdentityDoubled), ("dZ",), diagnosis=("grad_scale",)
    ),  # fmt: skip
    Mutant(
        "mytorch.sigmoid", "no_one_minus", _adapter("mytorch.sigmoid", SigmoidNoOneMinus), ("dZ",), diagnosis=GRADIENT
    ),  # fmt: skip
    Mutant("mytorch.tanh", "one_minus_a", _adapter("mytorch.tanh", TanhOneMinusA), ("dZ",), diagnosis=GRADIENT),
    Mutant(
        "mytorch.relu",
        "no_mask",
        _adapter("mytorch.relu", ReLUNoMask),
        ("dZ",),
        diagnosis=("grad_localized", "grad_mismatch", "grad_scale"),
    ),  # fmt: skip
    Mutant("mytorch.gelu", "only_cdf", _adapter("mytorch.gelu", GELUOnlyCdf), ("dZ",), diagnosis=GRADIENT),
    Mutant(
        "mytorch.softmax",
        "diagonal_jacobian",
        _adapter("mytorch.softmax", SoftmaxDiagonal),
        ("dZ",),
        diagnosis=GRADIENT,
    ),  # fmt: skip
    Mutant(
        "mytorch.softmax_dim",
        "last_axis",
        _adapter("mytorch.softmax_dim", SoftmaxLastAxis),
        ("A",),
        diagnosis=("forward_mismatch",),
    ),  # fmt: skip
    Mutant(
        "mytorch.mse_loss", "no_two", _adapter("mytorch.mse_loss", MSELossNoTwo), ("dA",), diagnosis=("grad_scale",)
    ),  # fmt: skip
    Mutant(
        "mytorch.cross_entropy_loss",
        "no_mean",
        _adapter("mytorch.cross_entropy_loss", CrossEntropyNoMean),
        ("dA",),
        diagnosis=("grad_scale",),
    ),  # fmt: skip
    Mutant(
        "mytorch.batchnorm1d",
        "constant_statistics",
        _adapter("mytorch.batchnorm1d", BatchNormConstantStatistics),
        ("dZ",),
        diagnosis=GRADIENT,
    ),  # fmt: skip
    Mutant(
        "mytorch.batchnorm1d_eval",
        "uses_batch",
        _adapter("mytorch.batchnorm1d_eval", BatchNormEvalUsesBatch),
        ("BZ",),
        diagnosis=("forward_mismatch",),
    ),  # fmt: skip
)
