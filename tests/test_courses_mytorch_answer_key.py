"""
Self-test of the CMU 11-785 MyTorch answer key (see test_courses.py for the conventions):
forward against the torch reference, backward against torch.autograd with a random upstream
gradient, parameter gradients as stored attributes. The references themselves are also
checked against torch's own modules where torch has an equivalent.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gradverify.impl.mytorch import activation, attention, batchnorm, conv, linear, loss, pool, resampling, rnn
from gradverify.reference.mytorch import activation as ref_act
from gradverify.reference.mytorch import attention as ref_attn
from gradverify.reference.mytorch import batchnorm as ref_bn
from gradverify.reference.mytorch import conv as ref_conv
from gradverify.reference.mytorch import linear as ref_linear
from gradverify.reference.mytorch import loss as ref_loss
from gradverify.reference.mytorch import pool as ref_pool
from gradverify.reference.mytorch import resampling as ref_rs
from gradverify.reference.mytorch import rnn as ref_rnn
from test_courses_dls_answer_key import SEEDS, T, autograd, check


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("flat_bias, shape", [(False, (5,)), (True, (5,)), (True, (2, 3)), (False, (2, 3))])
def test_linear(seed, flat_bias, shape):
    rng = np.random.default_rng(seed)
    layer = linear.Linear(4, 3, flat_bias=flat_bias)
    assert layer.W.shape == (3, 4) and layer.b.shape == ((3,) if flat_bias else (3, 1))
    A, W, b = rng.standard_normal(shape + (4,)), rng.standard_normal((3, 4)), rng.standard_normal(layer.b.shape)
    layer.init_weights(W, b)
    At, Wt, bt = T(A), T(W), T(b)
    Zt = ref_linear.linear(At, Wt, bt)
    check(layer.forward(A), Zt)
    dLdZ = rng.standard_normal(Zt.shape)
    dA, dW, db = autograd(Zt, [At, Wt, bt], dLdZ)
    check(layer.backward(dLdZ), dA)
    check(layer.dLdW, dW)
    check(layer.dLdb, db)


ACTIVATIONS = [
    (activation.Identity, ref_act.identity),
    (activation.Sigmoid, ref_act.sigmoid),
    (activation.Tanh, ref_act.tanh),
    (activation.ReLU, ref_act.relu),
    (activation.GELU, ref_act.gelu),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("cls, ref", ACTIVATIONS)
def test_activations(seed, cls, ref):
    rng = np.random.default_rng(seed)
    Z, dLdA = 2 * rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    act, Zt = cls(), T(Z)
    At = ref(Zt)
    check(act.forward(Z), At)
    check(act.backward(dLdA), *autograd(At, [Zt], dLdA))
    check(act.backward(), *autograd(At, [Zt], np.ones_like(Z)))  # S23: backward() -> dAdZ


def test_gelu_tails_and_hw3_state():
    Z = np.array([-30.0, -8.0, -3.5, -1e-3, 0.0, 2.9, 3.1, 9.0])
    check(activation.GELU().forward(Z), F.gelu(T(Z, False)), 1e-14)
    tanh, A_old = activation.Tanh(), np.tanh(np.linspace(-1, 1, 5))
    tanh.forward(np.zeros(5))
    check(tanh.backward(np.ones(5), state=A_old), 1 - A_old**2)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape, dim", [((4, 5), 1), ((4, 5), -1), ((2, 3, 4), 1), ((2, 3, 4, 5), 0)])
def test_softmax(seed, shape, dim):
    rng = np.random.default_rng(seed)
    Z, dLdA = rng.standard_normal(shape), rng.standard_normal(shape)
    sm, Zt = activation.Softmax(dim), T(Z)
    At = ref_act.softmax(Zt, dim)
    check(sm.forward(Z), At)
    check(sm.backward(dLdA), *autograd(At, [Zt], dLdA))
    assert attention.Softmax is activation.Softmax


@pytest.mark.parametrize("seed", SEEDS)
def test_losses(seed):
    rng = np.random.default_rng(seed)
    N, C = 5, 4
    A, Y_reg = rng.standard_normal((N, C)), rng.standard_normal((N, C))
    Y_cls = np.eye(C)[rng.integers(0, C, N)]
    cases = ((loss.MSELoss, ref_loss.mse_loss, Y_reg), (loss.CrossEntropyLoss, ref_loss.cross_entropy_loss, Y_cls))
    for cls, ref, Y in cases:
        crit, At = cls(), T(A)
        Lt = ref(At, T(Y, False))
        L = crit.forward(A, Y)
        assert np.shape(L) == ()
        check(L, Lt)
        check(crit.backward(), *autograd(Lt, [At]))
    check(
        ref_loss.cross_entropy_loss(T(A, False), T(Y_cls, False)),
        F.cross_entropy(T(A, False), torch.tensor(Y_cls.argmax(1))),
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_batchnorm(seed):
    rng = np.random.default_rng(seed)
    N, C, alpha = 6, 3, 0.9
    bn = batchnorm.BatchNorm1d(C, alpha)
    bn.BW, bn.Bb = rng.standard_normal((1, C)), rng.standard_normal((1, C))
    rM, rV = torch.zeros(1, C, dtype=torch.float64), torch.ones(1, C, dtype=torch.float64)
    for _ in range(3):  # running statistics, step by step
        Z, G = 3 * rng.standard_normal((N, C)) + 1, rng.standard_normal((N, C))
        Zt, BWt, Bbt = T(Z), T(bn.BW), T(bn.Bb)
        out = ref_bn.batchnorm1d_train(Zt, BWt, Bbt, bn.eps)
        check(bn.forward(Z), out)
        dZ, dBW, dBb = autograd(out, [Zt, BWt, Bbt], G)
        check(bn.backward(G), dZ)
        check(bn.dLdBW, dBW)
        check(bn.dLdBb, dBb)
        rM, rV = ref_bn.running_stats(Zt.detach(), rM, rV, alpha)
        check(bn.running_M, rM)
        check(bn.running_V, rV)
    Z = rng.standard_normal((N, C))
    Zt = T(Z)
    out = ref_bn.batchnorm1d_eval(Zt, T(bn.BW, False), T(bn.Bb, False), rM, rV, bn.eps)
    check(bn.forward(Z, eval=True), out)
    check(bn.running_M, rM)  # eval leaves the statistics alone
    check(bn.backward(G), *autograd(out, [Zt], G))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("k, width", [(2, 5), (3, 6), (1, 4)])
def test_resampling(seed, k, width):
    rng = np.random.default_rng(seed)
    for up, down, ref_up, ref_down, shape in (
        (resampling.Upsample1d, resampling.Downsample1d, ref_rs.upsample1d, ref_rs.downsample1d, (2, 3, width)),
        (
            resampling.Upsample2d,
            resampling.Downsample2d,
            ref_rs.upsample2d,
            ref_rs.downsample2d,
            (2, 3, width, width + 1),
        ),
    ):
        A = rng.standard_normal(shape)
        for layer, ref in ((up(k), ref_up), (down(k), ref_down)):
            At = T(A)
            out = ref(At, k)
            check(layer.forward(A), out)
            G = rng.standard_normal(out.shape)
            check(layer.backward(G), *autograd(out, [At], G))


def _conv_case(rng, layer, ref, A_shape, **ref_kwargs):
    A = rng.standard_normal(A_shape)
    At, Wt, bt = T(A), T(layer.W), T(layer.b)
    out = ref(At, Wt, bt, **ref_kwargs)
    check(layer.forward(A), out)
    G = rng.standard_normal(out.shape)
    dA, dW, db = autograd(out, [At, Wt, bt], G)
    check(layer.backward(G), dA)
    check(layer.dLdW, dW)
    check(layer.dLdb, db)


def _init_fns(rng):
    return (lambda *shape: rng.standard_normal(shape)), (lambda n: rng.standard_normal(n))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("K, stride, pad", [(3, 1, 0), (2, 2, 1), (3, 3, 2), (1, 2, 0)])
def test_conv1d_and_conv2d(seed, K, stride, pad):
    rng = np.random.default_rng(seed)
    w_init, b_init = _init_fns(rng)
    _conv_case(rng, conv.Conv1d_stride1(3, 4, K, w_init, b_init), ref_conv.conv1d, (2, 3, 9))
    _conv_case(
        rng,
        conv.Conv1d(3, 4, K, stride, pad, weight_init_fn=w_init, bias_init_fn=b_init),
        ref_conv.conv1d,
        (2, 3, 9),
        stride=stride,
        padding=pad,
    )
    _conv_case(rng, conv.Conv2d_stride1(2, 3, K, w_init, b_init), ref_conv.conv2d, (2, 2, 6, 7))
    _conv_case(
        rng,
        conv.Conv2d(2, 3, K, stride, pad, weight_init_fn=w_init, bias_init_fn=b_init),
        ref_conv.conv2d,
        (2, 2, 6, 7),
        stride=stride,
        padding=pad,
    )


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("K, k", [(3, 2), (2, 3), (1, 1)])
def test_conv_transpose_and_flatten(seed, K, k):
    rng = np.random.default_rng(seed)
    w_init, b_init = _init_fns(rng)
    _conv_case(
        rng, conv.ConvTranspose1d(3, 2, K, k, w_init, b_init), ref_conv.conv_transpose1d, (2, 3, 5), upsampling_factor=k
    )
    _conv_case(
        rng,
        conv.ConvTranspose2d(2, 3, K, k, w_init, b_init),
        ref_conv.conv_transpose2d,
        (2, 2, 4, 5),
        upsampling_factor=k,
    )
    A = rng.standard_normal((2, 3, 4))
    fl, At = conv.Flatten(), T(A)
    out = ref_conv.flatten(At)
    check(fl.forward(A), out)
    G = rng.standard_normal(out.shape)
    check(fl.backward(G), *autograd(out, [At], G))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kernel, stride", [(2, 1), (3, 1), (2, 2), (3, 2)])
def test_pooling(seed, kernel, stride):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((2, 3, 6, 7))
    if stride == 1:
        layers = [pool.MaxPool2d_stride1(kernel), pool.MeanPool2d_stride1(kernel)]
    else:
        layers = [pool.MaxPool2d(kernel, stride), pool.MeanPool2d(kernel, stride)]
    for layer, ref in zip(layers, (ref_pool.maxpool2d, ref_pool.meanpool2d), strict=True):
        At = T(A)
        out = ref(At, kernel, stride)
        check(layer.forward(A), out)
        G = rng.standard_normal(out.shape)
        check(layer.backward(G), *autograd(out, [At], G))


@pytest.mark.parametrize("seed", SEEDS)
def test_rnn_cell(seed):
    rng = np.random.default_rng(seed)
    N, d, h = 4, 3, 5
    cell = rnn.RNNCell(d, h)
    weights = [rng.standard_normal(s) for s in ((h, d), (h, h), (h,), (h,))]
    cell.init_weights(*weights)
    torch_cell = torch.nn.RNNCell(d, h, dtype=torch.float64)
    with torch.no_grad():
        torch_params = (torch_cell.weight_ih, torch_cell.weight_hh, torch_cell.bias_ih, torch_cell.bias_hh)
        for p, w in zip(torch_params, weights, strict=True):
            p.copy_(torch.tensor(w))
    wt = [T(w) for w in weights]
    accumulated = [np.zeros_like(w) for w in weights]
    for _ in range(2):  # two calls: parameter gradients accumulate
        x, h_prev, delta = rng.standard_normal((N, d)), rng.standard_normal((N, h)), rng.standard_normal((N, h))
        xt, ht = T(x), T(h_prev)
        out = ref_rnn.rnn_cell(xt, ht, *wt)
        check(out, torch_cell(xt, ht))
        h_t = cell.forward(x, h_prev)
        check(h_t, out)
        auto = autograd(out, [xt, ht] + wt, delta)
        dx, dh = cell.backward(delta, h_t, x, h_prev)
        check(dx, auto[0])  # dx and dh_prev_t are not averaged ...
        check(dh, auto[1])
        accumulated = [a + g / N for a, g in zip(accumulated, auto[2:], strict=True)]  # ... parameter gradients are
        for name, want in zip(("dW_ih", "dW_hh", "db_ih", "db_hh"), accumulated, strict=True):
            check(getattr(cell, name), want)
    cell.zero_grad()
    assert not cell.dW_ih.any()


@pytest.mark.parametrize("seed", SEEDS)
def test_gru_cell(seed):
    rng = np.random.default_rng(seed)
    d, h = 3, 4
    cell = rnn.GRUCell(d, h)
    shapes = [(h, d)] * 3 + [(h, h)] * 3 + [(h,)] * 6
    weights = [rng.standard_normal(s) for s in shapes]
    cell.init_weights(*weights)
    x, h_prev, delta = rng.standard_normal(d), rng.standard_normal(h), rng.standard_normal(h)
    xt, ht, wt = T(x), T(h_prev), [T(w) for w in weights]
    out = ref_rnn.gru_cell(xt, ht, *wt)
    torch_cell = torch.nn.GRUCell(d, h, dtype=torch.float64)  # gates stacked r, z, n
    with torch.no_grad():
        torch_cell.weight_ih.copy_(torch.tensor(np.concatenate(weights[0:3])))
        torch_cell.weight_hh.copy_(torch.tensor(np.concatenate(weights[3:6])))
        torch_cell.bias_ih.copy_(torch.tensor(np.concatenate(weights[6:9])))
        torch_cell.bias_hh.copy_(torch.tensor(np.concatenate(weights[9:12])))
    check(out, torch_cell(xt, ht))
    check(cell.forward(x, h_prev), out)
    auto = autograd(out, [xt, ht] + wt, delta)
    dx, dh = cell.backward(delta)
    check(dx, auto[0])
    check(dh, auto[1])
    for name, want in zip(rnn.GRUCell._NAMES, auto[2:], strict=True):
        check(getattr(cell, "d" + name), want)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("lead, masked", [((2, 3), False), ((2, 3), True), ((2, 2, 3), True)])
def test_scaled_dot_product_attention(seed, lead, masked):
    rng = np.random.default_rng(seed)
    L, S, E, Ev = 4, 5, 3, 2
    Q, K = rng.standard_normal(lead + (L, E)), rng.standard_normal(lead + (S, E))
    V = rng.standard_normal(lead + (S, Ev))
    mask = None
    if masked:
        mask = rng.random((L, S)) < 0.3
        mask[:, 0] = False  # keep one key per query
    Qt, Kt, Vt = T(Q), T(K), T(V)
    maskt = None if mask is None else torch.tensor(mask)
    out = ref_attn.scaled_dot_product_attention(Qt, Kt, Vt, maskt)
    check(out, F.scaled_dot_product_attention(Qt, Kt, Vt, attn_mask=None if mask is None else ~maskt))
    sdpa = attention.ScaledDotProductAttention()
    check(sdpa.forward(Q, K, V, mask), out)
    G = rng.standard_normal(out.shape)
    for mine, want in zip(sdpa.backward(G), autograd(out, [Qt, Kt, Vt], G), strict=True):
        check(mine, want)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("use_masks", [False, True])
def test_multi_head_attention(seed, use_masks):
    rng = np.random.default_rng(seed)
    N, L, S, E, heads = 2, 3, 4, 6, 2
    query, key, value = (rng.standard_normal((N, T_, E)) for T_ in (L, S, S))
    weights = [rng.standard_normal((E, E)) if i % 2 == 0 else rng.standard_normal(E) for i in range(8)]
    kpm = apm = None
    if use_masks:
        kpm = np.zeros((N, S), dtype=bool)
        kpm[1, -1] = True
        apm = np.triu(np.ones((L, S), dtype=bool), k=2)
    mha = attention.MultiHeadAttention(E, heads)
    mha.init_weights(*weights)
    qt, kt, vt, wt = T(query), T(key), T(value), [T(w) for w in weights]
    masks_t = [None if m is None else torch.tensor(m) for m in (kpm, apm)]
    out = ref_attn.multi_head_attention(qt, kt, vt, *wt, heads, *masks_t)
    torch_mha = torch.nn.MultiheadAttention(E, heads, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        torch_mha.in_proj_weight.copy_(torch.tensor(np.concatenate(weights[0:6:2])))
        torch_mha.in_proj_bias.copy_(torch.tensor(np.concatenate(weights[1:6:2])))
        torch_mha.out_proj.weight.copy_(torch.tensor(weights[6]))
        torch_mha.out_proj.bias.copy_(torch.tensor(weights[7]))
    expected, _ = torch_mha(qt, kt, vt, key_padding_mask=masks_t[0], attn_mask=masks_t[1], need_weights=False)
    check(out, expected)
    check(mha.forward(query, key, value, kpm, apm), out)
    G = rng.standard_normal(out.shape)
    auto = autograd(out, [qt, kt, vt] + wt, G)
    for mine, want in zip(mha.backward(G), auto[:3], strict=True):
        check(mine, want)
    layers = (mha.q_proj, mha.k_proj, mha.v_proj, mha.out_proj)
    for i, layer in enumerate(layers):
        check(layer.dLdW, auto[3 + 2 * i])
        check(layer.dLdb, auto[4 + 2 * i])
