"""Self-test of the course answer keys, courses 4 and 5: conv and pooling forward against their
torch references and backward against autograd; RNN and LSTM cells and sequences, and the two
notebook editions of lstm_backward. float64, small random shapes, several seeds."""

from __future__ import annotations

import numpy as np
import pytest

from gradverify.impl.dls import cnn, rnn
from gradverify.reference.dls import cnn as ref_cnn
from gradverify.reference.dls import rnn as ref_rnn
from test_courses_dls_answer_key import SEEDS, T, autograd, check, tparams

# ---------------------------------------------------------------- DLS course 4 -----------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("f, stride, pad", [(3, 1, 1), (2, 2, 0), (3, 2, 2), (1, 1, 0)])
def test_dls_conv(seed, f, stride, pad):
    rng = np.random.default_rng(seed)
    A_prev, W = rng.standard_normal((2, 5, 6, 3)), rng.standard_normal((f, f, 3, 4))
    b = rng.standard_normal((1, 1, 1, 4))
    check(cnn.zero_pad(A_prev, pad), ref_cnn.zero_pad(T(A_prev, False), pad))
    z = cnn.conv_single_step(A_prev[0, :f, :f, :], W[..., 0], b[..., 0])
    assert np.shape(z) == ()
    check(z, ref_cnn.conv_single_step(T(A_prev[0, :f, :f, :]), T(W[..., 0]), T(b[..., 0])))
    Z, cache = cnn.conv_forward(A_prev, W, b, {"stride": stride, "pad": pad})
    assert cache[0] is A_prev and cache[3] == {"stride": stride, "pad": pad}
    At, Wt, bt = T(A_prev), T(W), T(b)
    Zt = ref_cnn.conv_forward(At, Wt, bt, stride, pad)
    check(Z, Zt)
    dZ = rng.standard_normal(Z.shape)
    for mine, auto in zip(cnn.conv_backward(dZ, cache), autograd(Zt, [At, Wt, bt], dZ), strict=True):
        check(mine, auto)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("f, stride", [(2, 1), (2, 2), (3, 2)])
def test_dls_pool(seed, mode, f, stride):
    rng = np.random.default_rng(seed)
    A_prev = rng.standard_normal((2, 5, 6, 3))
    hp = {"f": f, "stride": stride}
    A, cache = cnn.pool_forward(A_prev, hp, mode)
    At = T(A_prev)
    out = ref_cnn.pool_forward(At, f, stride, mode)
    check(A, out)
    dA = rng.standard_normal(A.shape)
    check(cnn.pool_backward(dA, cache, mode), *autograd(out, [At], dA))


def test_dls_pool_helpers():
    x = np.array([[1.0, 3.0], [3.0, -2.0]])
    assert cnn.create_mask_from_window(x).tolist() == [[False, True], [True, False]]  # ties: all maxima
    check(cnn.distribute_value(2.0, (2, 2)), np.full((2, 2), 0.5))
    with pytest.raises(ValueError):
        cnn.pool_forward(np.zeros((1, 2, 2, 1)), {"f": 2, "stride": 1}, "min")


# ---------------------------------------------------------------- DLS course 5 -----------------


def _rnn_params(rng, n_x, n_a, n_y, lstm: bool) -> dict[str, np.ndarray]:
    if lstm:
        P = {f"W{g}": rng.standard_normal((n_a, n_a + n_x)) for g in "fico"}
        P |= {f"b{g}": rng.standard_normal((n_a, 1)) for g in "fico"}
        return P | {"Wy": rng.standard_normal((n_y, n_a)), "by": rng.standard_normal((n_y, 1))}
    return {
        "Wax": rng.standard_normal((n_a, n_x)),
        "Waa": rng.standard_normal((n_a, n_a)),
        "Wya": rng.standard_normal((n_y, n_a)),
        "ba": rng.standard_normal((n_a, 1)),
        "by": rng.standard_normal((n_y, 1)),
    }


@pytest.mark.parametrize("seed", SEEDS)
def test_dls_rnn(seed):
    rng = np.random.default_rng(seed)
    n_x, n_a, n_y, m, T_x = 3, 5, 2, 4, 6
    P, x, a0 = _rnn_params(rng, n_x, n_a, n_y, False), rng.standard_normal((n_x, m, T_x)), rng.standard_normal((n_a, m))
    Pt, xt, a0t = tparams(P), T(x), T(a0)
    keys = ["Wax", "Waa", "ba"]
    # one cell
    a1, y1, cache = rnn.rnn_cell_forward(x[:, :, 0], a0, P)
    assert cache[1] is a0 and cache[3] is P
    xt0 = T(x[:, :, 0])
    a1t, y1t = ref_rnn.rnn_cell_forward(xt0, a0t, Pt)
    check(a1, a1t)
    check(y1, y1t)
    da = rng.standard_normal(a1.shape)
    g = rnn.rnn_cell_backward(da, cache)
    auto = autograd(a1t, [xt0, a0t] + [Pt[k] for k in keys], da)
    for name, want in zip(["dxt", "da_prev", "dWax", "dWaa", "dba"], auto, strict=True):
        check(g[name], want)
    # the sequence
    a, y, caches = rnn.rnn_forward(x, a0, P)
    at, yt = ref_rnn.rnn_forward(xt, a0t, Pt)
    check(a, at)
    check(y, yt)
    assert len(caches[0]) == T_x and caches[1] is x
    da = rng.standard_normal(a.shape)
    g = rnn.rnn_backward(da, caches)
    auto = autograd(at, [xt, a0t] + [Pt[k] for k in keys], da)
    for name, want in zip(["dx", "da0", "dWax", "dWaa", "dba"], auto, strict=True):
        check(g[name], want)


@pytest.mark.parametrize("seed", SEEDS)
def test_dls_lstm(seed):
    rng = np.random.default_rng(seed)
    n_x, n_a, n_y, m, T_x = 3, 4, 2, 5, 5
    P, x, a0 = _rnn_params(rng, n_x, n_a, n_y, True), rng.standard_normal((n_x, m, T_x)), rng.standard_normal((n_a, m))
    c0 = rng.standard_normal((n_a, m))
    Pt, xt, a0t, c0t = tparams(P), T(x), T(a0), T(c0)
    keys = [f"W{g}" for g in "fico"] + [f"b{g}" for g in "fico"]
    # one cell, with upstream gradients on both a_next and c_next
    a1, c1, y1, cache = rnn.lstm_cell_forward(x[:, :, 0], a0, c0, P)
    assert len(cache) == 10 and cache[9] is P
    xt0 = T(x[:, :, 0])
    a1t, c1t, y1t = ref_rnn.lstm_cell_forward(xt0, a0t, c0t, Pt)
    for mine, ref in ((a1, a1t), (c1, c1t), (y1, y1t)):
        check(mine, ref)
    da, dc = rng.standard_normal(a1.shape), rng.standard_normal(c1.shape)
    g = rnn.lstm_cell_backward(da, dc, cache)
    loss = (a1t * T(da, False)).sum() + (c1t * T(dc, False)).sum()
    auto = autograd(loss, [xt0, a0t, c0t] + [Pt[k] for k in keys])
    for name, want in zip(["dxt", "da_prev", "dc_prev"] + ["d" + k for k in keys], auto, strict=True):
        check(g[name], want)
    # the sequence (c0 = 0 inside lstm_forward)
    a, y, c, caches = rnn.lstm_forward(x, a0, P)
    at, yt, ct = ref_rnn.lstm_forward(xt, a0t, Pt)
    for mine, ref in ((a, at), (y, yt), (c, ct)):
        check(mine, ref)
    da = rng.standard_normal(a.shape)
    g = rnn.lstm_backward(da, caches)
    auto = autograd(at, [xt, a0t] + [Pt[k] for k in keys], da)
    for name, want in zip(["dx", "da0"] + ["d" + k for k in keys], auto, strict=True):
        check(g[name], want)


def test_dls_lstm_backward_reproduces_both_notebook_editions():
    """The notebook's own test case; expected values printed in the 2017 and 2021 notebooks."""
    np.random.seed(1)
    x, a0 = np.random.randn(3, 10, 7), np.random.randn(5, 10)
    P = {
        k: np.random.randn(*s)
        for k, s in (
            ("Wf", (5, 8)),
            ("bf", (5, 1)),
            ("Wi", (5, 8)),
            ("bi", (5, 1)),
            ("Wo", (5, 8)),
            ("bo", (5, 1)),
            ("Wc", (5, 8)),
            ("bc", (5, 1)),
        )
    }
    P |= {"Wy": np.zeros((2, 5)), "by": np.zeros((2, 1))}
    _, _, _, caches = rnn.lstm_forward(x, a0, P)
    da = np.random.randn(5, 10, 4)  # 4 steps against a 7-step forward, as in the notebook
    new, old = rnn.lstm_backward(da, caches), rnn.lstm_backward(da, caches, carry_state=False)
    check(new["dx"][1][2], [0.00218254, 0.28205375, -0.48292508, -0.43281115], 1e-8)
    check(new["da0"][2][3], 0.312770310257, 1e-11)
    check(new["dWf"][3][1], -0.0809802310938, 1e-11)
    check(old["dx"][1][2], [-0.00173313, 0.08287442, -0.30545663, -0.43281115], 1e-8)
    check(old["da0"][2][3], -0.0959115019540047, 1e-13)
    check(old["dWf"][3][1], -0.06981985612744011, 1e-13)
