"""Deliberately wrong MyTorch layer objects, each with what the engine must report.

Each subclasses the answer key's layer and repeats one classic mistake of HW1P1: dLdW
transposed, a derivative applied from the wrong side, the loss's 2 or 1/N dropped, batchnorm's
statistics treated as constants."""

from __future__ import annotations

import dataclasses

import numpy as np

import gradverify.impl.mytorch.activation as act
import gradverify.impl.mytorch.attention as attn
import gradverify.impl.mytorch.batchnorm as bn
import gradverify.impl.mytorch.conv as conv
import gradverify.impl.mytorch.linear as lin
import gradverify.impl.mytorch.loss as loss
import gradverify.impl.mytorch.pool as pool
import gradverify.impl.mytorch.resampling as rs
import gradverify.impl.mytorch.rnn as rnn
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


class BatchNormNoVariancePath(bn.BatchNorm1d):
    def backward(self, dLdBZ):
        super().backward(dLdBZ)
        g = dLdBZ * self.BW  # the mean's path only: V treated as a constant
        return (g - g.mean(axis=0, keepdims=True)) / np.sqrt(self.V + self.eps)


class BatchNormUnbiasedVariance(bn.BatchNorm1d):
    def forward(self, Z, eval=False):
        out = super().forward(Z, eval)
        if not eval:  # torch.var's default divides by N - 1
            self.V = Z.var(axis=0, keepdims=True, ddof=1)
            self.NZ = (Z - self.M) / np.sqrt(self.V + self.eps)
            self.BZ = self.BW * self.NZ + self.Bb
            out = self.BZ
        return out


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
        "mytorch.batchnorm1d",
        "no_variance_path",
        _adapter("mytorch.batchnorm1d", BatchNormNoVariancePath),
        ("dZ",),
        diagnosis=GRADIENT,
    ),  # fmt: skip
    Mutant(
        "mytorch.batchnorm1d",
        "unbiased_variance",
        _adapter("mytorch.batchnorm1d", BatchNormUnbiasedVariance),
        ("BZ",),
        diagnosis=("forward_mismatch",),
    ),  # fmt: skip
    Mutant(
        "mytorch.batchnorm1d_eval",
        "uses_batch",
        _adapter("mytorch.batchnorm1d_eval", BatchNormEvalUsesBatch),
        ("BZ",),
        diagnosis=("forward_mismatch",),
    ),  # fmt: skip
)


# --- HW2P1: resampling, convolutions, pooling -----------------------------------------------


class Upsample1dNoStride(rs.Upsample1d):
    def backward(self, dLdZ):
        return dLdZ[:, :, : (dLdZ.shape[2] - 1) // self.upsampling_factor + 1]  # the first W_in, not every k-th


class Downsample1dShifted(rs.Downsample1d):
    def backward(self, dLdZ):
        dLdA = super().backward(dLdZ)
        return np.roll(dLdA, 1, axis=2)


class Upsample2dHalf(rs.Upsample2d):
    def backward(self, dLdZ):
        return 0.5 * super().backward(dLdZ)


class Downsample2dSigned(rs.Downsample2d):
    def backward(self, dLdZ):
        return -super().backward(dLdZ)


class Conv1dStride1Unflipped(conv.Conv1d_stride1):
    def backward(self, dLdZ):
        super().backward(dLdZ)
        K = self.kernel_size
        padded = np.pad(dLdZ, ((0, 0), (0, 0), (K - 1, K - 1)))
        windows = np.lib.stride_tricks.sliding_window_view(padded, K, axis=2)
        # the kernel must be flipped for dLdA; this one is not
        return np.tensordot(windows, self.W, axes=([1, 3], [0, 2])).transpose(0, 2, 1)


class Conv1dBiasMean(conv.Conv1d_stride1):
    def backward(self, dLdZ):
        dLdA = super().backward(dLdZ)
        self.dLdb = self.dLdb / dLdZ.shape[0]
        return dLdA


class Conv1dAveraged(conv.Conv1d):
    def backward(self, dLdZ):
        dLdA = super().backward(dLdZ)
        self.conv1d_stride1.dLdW = self.conv1d_stride1.dLdW / dLdZ.shape[0]
        return dLdA


class Conv2dStride1dWsign(conv.Conv2d_stride1):
    def backward(self, dLdZ):
        dLdA = super().backward(dLdZ)
        self.dLdW = -self.dLdW
        return dLdA


class Conv2dNoDownsampleBackward(conv.Conv2d):
    def backward(self, dLdZ):
        # dLdZ spread only over the first rows and columns, as if stride were 1
        full = np.zeros((*dLdZ.shape[:2], self.downsample2d.input_height, self.downsample2d.input_width))
        full[:, :, : dLdZ.shape[2], : dLdZ.shape[3]] = dLdZ
        return self.conv2d_stride1.backward(full)


class Conv1dPaddedUnpadsOneSide(conv.Conv1d):
    def backward(self, dLdZ):
        dLdA = self.conv1d_stride1.backward(self.downsample1d.backward(dLdZ))
        return dLdA[:, :, 2 * self.pad :]  # the right width, cut from one side only


class Conv2dPaddedOneCorner(conv.Conv2d):
    def forward(self, A):
        p = self.pad  # all 2p zeros before the first row and column, none after the last
        A = np.pad(A, ((0, 0), (0, 0), (2 * p, 0), (2 * p, 0)))
        return self.downsample2d.forward(self.conv2d_stride1.forward(A))

    def backward(self, dLdZ):
        dLdA = self.conv2d_stride1.backward(self.downsample2d.backward(dLdZ))
        return dLdA[:, :, 2 * self.pad :, 2 * self.pad :]


class ConvTranspose1dDoubled(conv.ConvTranspose1d):
    def backward(self, dLdZ):
        return 2 * super().backward(dLdZ)


class ConvTranspose2dBiasSign(conv.ConvTranspose2d):
    def backward(self, dLdZ):
        dLdA = super().backward(dLdZ)
        self.conv2d_stride1.dLdb = -self.conv2d_stride1.dLdb
        return dLdA


class FlattenSigned(conv.Flatten):
    def backward(self, dLdZ):
        return -super().backward(dLdZ)


class MaxPoolToFirst(pool.MaxPool2d_stride1):
    def backward(self, dLdZ):
        # each window's gradient to its top-left entry instead of its maximum
        out = np.zeros(self.A_shape)
        out[:, :, : dLdZ.shape[2], : dLdZ.shape[3]] += dLdZ
        return out


class MeanPoolNotDivided(pool.MeanPool2d_stride1):
    def backward(self, dLdZ):
        return super().backward(dLdZ) * self.kernel**2


class MaxPoolStridedSign(pool.MaxPool2d):
    def backward(self, dLdZ):
        return -super().backward(dLdZ)


class MeanPoolStridedHalf(pool.MeanPool2d):
    def backward(self, dLdZ):
        return 0.5 * super().backward(dLdZ)


# --- HW3P1 and HW4P1: recurrent cells and attention -----------------------------------------


class RNNCellNoTanhPrime(rnn.RNNCell):
    def backward(self, delta, h_t, h_prev_l, h_prev_t):
        return super().backward(delta / (1 - h_t**2), h_t, h_prev_l, h_prev_t)


class GRUCellSwappedGate(rnn.GRUCell):
    def backward(self, delta):
        dx, dh = super().backward(delta)
        return dx, dh - delta * self.z + delta * (1 - self.z)  # z and 1 - z exchanged on the direct path


class AttentionUnscaled(attn.ScaledDotProductAttention):
    def backward(self, d_output):
        dQ, dK, dV = super().backward(d_output)
        d = np.sqrt(self.Q.shape[-1])
        return dQ * d, dK * d, dV  # the 1 / sqrt(E) of the forward forgotten in the backward


class MultiHeadNoOutputBias(attn.MultiHeadAttention):
    def backward(self, d_output):
        grads = super().backward(d_output)
        self.out_proj.dLdb = np.zeros_like(self.out_proj.dLdb)
        return grads


MUTANTS += (
    Mutant("mytorch.upsample1d", "no_stride", _adapter("mytorch.upsample1d", Upsample1dNoStride), ("dA",),
           diagnosis=("grad_mismatch", "grad_localized")),
    Mutant("mytorch.downsample1d", "shifted", _adapter("mytorch.downsample1d", Downsample1dShifted), ("dA",),
           diagnosis=("grad_localized", "grad_mismatch")),
    Mutant("mytorch.upsample2d", "half", _adapter("mytorch.upsample2d", Upsample2dHalf), ("dA",),
           diagnosis=("grad_scale",)),
    Mutant("mytorch.downsample2d", "signed", _adapter("mytorch.downsample2d", Downsample2dSigned), ("dA",),
           diagnosis=("grad_sign",)),
    Mutant("mytorch.conv1d_stride1", "unflipped", _adapter("mytorch.conv1d_stride1", Conv1dStride1Unflipped),
           ("dA",), diagnosis=("grad_mismatch", "grad_localized", "grad_scale")),
    Mutant("mytorch.conv1d_stride1", "bias_mean", _adapter("mytorch.conv1d_stride1", Conv1dBiasMean), ("db",),
           diagnosis=("grad_scale",)),
    Mutant("mytorch.conv1d", "averaged", _adapter("mytorch.conv1d", Conv1dAveraged), ("dW",),
           diagnosis=("grad_scale",)),
    Mutant("mytorch.conv2d_stride1", "dW_sign", _adapter("mytorch.conv2d_stride1", Conv2dStride1dWsign), ("dW",),
           diagnosis=("grad_sign",)),
    Mutant("mytorch.conv2d", "no_downsample_backward", _adapter("mytorch.conv2d", Conv2dNoDownsampleBackward),
           ("dW",), diagnosis=("grad_mismatch", "grad_localized", "grad_scale")),
    Mutant("mytorch.conv1d_padded", "unpads_one_side",
           _adapter("mytorch.conv1d_padded", Conv1dPaddedUnpadsOneSide), ("dA",),
           diagnosis=("grad_mismatch", "grad_localized", "grad_scale")),
    Mutant("mytorch.conv2d_padded", "one_corner",
           _adapter("mytorch.conv2d_padded", Conv2dPaddedOneCorner), ("Z",),
           diagnosis=("forward_mismatch",)),
    Mutant("mytorch.conv_transpose1d", "doubled", _adapter("mytorch.conv_transpose1d", ConvTranspose1dDoubled),
           ("dA",), diagnosis=("grad_scale",)),
    Mutant("mytorch.conv_transpose2d", "bias_sign", _adapter("mytorch.conv_transpose2d", ConvTranspose2dBiasSign),
           ("db",), diagnosis=("grad_sign",)),
    Mutant("mytorch.flatten", "signed", _adapter("mytorch.flatten", FlattenSigned), ("dA",),
           diagnosis=("grad_sign",)),
    Mutant("mytorch.maxpool2d_stride1", "to_first", _adapter("mytorch.maxpool2d_stride1", MaxPoolToFirst), ("dA",),
           diagnosis=("grad_mismatch", "grad_localized", "grad_scale")),
    Mutant("mytorch.meanpool2d_stride1", "not_divided", _adapter("mytorch.meanpool2d_stride1", MeanPoolNotDivided),
           ("dA",), diagnosis=("grad_scale",)),
    Mutant("mytorch.maxpool2d", "signed", _adapter("mytorch.maxpool2d", MaxPoolStridedSign), ("dA",),
           diagnosis=("grad_sign",)),
    Mutant("mytorch.meanpool2d", "half", _adapter("mytorch.meanpool2d", MeanPoolStridedHalf), ("dA",),
           diagnosis=("grad_scale",)),
    Mutant("mytorch.rnn_cell", "no_tanh_prime", _adapter("mytorch.rnn_cell", RNNCellNoTanhPrime),
           ("dx", "dW_ih"), diagnosis=GRADIENT),
    Mutant("mytorch.gru_cell", "swapped_gate", _adapter("mytorch.gru_cell", GRUCellSwappedGate), ("dh_prev_t",),
           diagnosis=GRADIENT),
    Mutant("mytorch.scaled_dot_product_attention", "unscaled",
           _adapter("mytorch.scaled_dot_product_attention", AttentionUnscaled), ("dQ",),
           diagnosis=("grad_scale", "grad_mismatch")),
    Mutant("mytorch.multi_head_attention", "no_output_bias",
           _adapter("mytorch.multi_head_attention", MultiHeadNoOutputBias), ("dbo",),
           diagnosis=("grad_mismatch", "grad_localized")),
)  # fmt: skip
