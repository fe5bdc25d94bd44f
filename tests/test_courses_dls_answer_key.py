"""
Self-test of the course answer keys: every NumPy forward against its torch reference, every
hand backward against torch.autograd with a random upstream gradient, and the update rules
step by step. float64, small random shapes, several seeds.

The MyTorch half lives in test_courses_mytorch.py (same helpers, kept apart for file size).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gradverify.impl.dls import deep_nn, optimization, regularization
from gradverify.reference.dls import deep_nn as ref_nn
from gradverify.reference.dls import optimization as ref_opt
from gradverify.reference.dls import regularization as ref_reg

SEEDS = [0, 1, 2, 3]
TOL = 1e-10


def T(a, grad: bool = True) -> torch.Tensor:
    """NumPy array -> float64 leaf tensor (requires grad by default)."""
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def check(actual, expected, tol: float = TOL) -> None:
    """Elementwise closeness and equal shapes; either side may be a tensor."""
    actual, expected = (x.detach().numpy() if isinstance(x, torch.Tensor) else x for x in (actual, expected))
    assert np.shape(actual) == np.shape(expected), (np.shape(actual), np.shape(expected))
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol)


def autograd(out: torch.Tensor, inputs, upstream=None) -> list[np.ndarray]:
    """d sum(upstream * out) / d inputs, as NumPy arrays."""
    g = None if upstream is None else torch.as_tensor(np.asarray(upstream, dtype=np.float64))
    return [x.numpy() for x in torch.autograd.grad(out, list(inputs), grad_outputs=g, retain_graph=True)]


def tparams(params: dict) -> dict[str, torch.Tensor]:
    return {k: T(v) for k, v in params.items()}


def dense_params(rng, dims, scale: float = 0.5) -> dict[str, np.ndarray]:
    """Small weights keep the sigmoid output away from 0 and 1, where log(1 - AL) is ill-conditioned."""
    return {
        k: scale * v
        for i in range(1, len(dims))
        for k, v in (
            (f"W{i}", rng.standard_normal((dims[i], dims[i - 1]))),
            (f"b{i}", rng.standard_normal((dims[i], 1))),
        )
    }


def labels(rng, m: int) -> np.ndarray:
    return (rng.random((1, m)) < 0.5).astype(float)


# ---------------------------------------------------------------- DLS course 1 -----------------


@pytest.mark.parametrize("seed", SEEDS)
def test_dls_activations(seed):
    rng = np.random.default_rng(seed)
    Z, dA = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    for fn, back, ref in (
        (deep_nn.sigmoid, deep_nn.sigmoid_backward, ref_nn.sigmoid),
        (deep_nn.relu, deep_nn.relu_backward, ref_nn.relu),
    ):
        A, cache = fn(Z)
        Zt = T(Z)
        out = ref(Zt)
        check(A, out)
        assert cache is Z
        check(back(dA, cache), *autograd(out, [Zt], dA))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_dls_linear_and_activation_layers(seed, activation):
    rng = np.random.default_rng(seed)
    m, n_prev, n = 6, 4, 3
    A, W, b, G = (
        rng.standard_normal((n_prev, m)),
        rng.standard_normal((n, n_prev)),
        rng.standard_normal((n, 1)),
        rng.standard_normal((n, m)),
    )
    At, Wt, bt = T(A), T(W), T(b)
    Z, lin_cache = deep_nn.linear_forward(A, W, b)
    Zt = ref_nn.linear_forward(At, Wt, bt)
    check(Z, Zt)
    dA_prev, dW, db = deep_nn.linear_backward(G, lin_cache)
    gA, gW, gb = autograd(Zt, [At, Wt, bt], G)
    check(dA_prev, gA)  # no 1/m on dA_prev ...
    check(dW, gW / m)  # ... but on dW and db
    check(db, gb / m)

    out, cache = deep_nn.linear_activation_forward(A, W, b, activation)
    outt = ref_nn.linear_activation_forward(At, Wt, bt, activation)
    check(out, outt)
    assert cache[0][0] is A and cache[1].shape == (n, m)
    dA_prev, dW, db = deep_nn.linear_activation_backward(G, cache, activation)
    gA, gW, gb = autograd(outt, [At, Wt, bt], G)
    check(dA_prev, gA)
    check(dW, gW / m)
    check(db, gb / m)
    with pytest.raises(ValueError):
        deep_nn.linear_activation_forward(A, W, b, "tanh")


@pytest.mark.parametrize("seed", SEEDS)
def test_dls_L_layer_model(seed):
    rng = np.random.default_rng(seed)
    dims = [5, 4, 3, 1] if seed % 2 else [3, 6, 1]
    m = 7
    P, X, Y = dense_params(rng, dims), rng.standard_normal((dims[0], m)), labels(rng, m)
    AL, caches = deep_nn.L_model_forward(X, P)
    assert len(caches) == len(dims) - 1
    cost = deep_nn.compute_cost(AL, Y)
    assert np.shape(cost) == () and isinstance(cost, float)

    # torch forward kept layer by layer so every A[l] has a gradient
    Pt, Xt = tparams(P), T(X)
    As, A = [Xt], Xt
    L = len(dims) - 1
    for i in range(1, L + 1):
        A = ref_nn.linear_activation_forward(A, Pt[f"W{i}"], Pt[f"b{i}"], "sigmoid" if i == L else "relu")
        As.append(A)
    check(AL, ref_nn.L_model_forward(Xt, Pt))
    costt = ref_nn.compute_cost(As[-1], T(Y, False))
    check(cost, costt)

    grads = deep_nn.L_model_backward(AL, Y, caches)
    names = [f"W{i}" for i in range(1, L + 1)] + [f"b{i}" for i in range(1, L + 1)]
    auto = autograd(costt, [Pt[k] for k in names] + As[:-1])
    for k, g in zip(names, auto[: len(names)], strict=True):
        check(grads["d" + k], g)
    for i, g in enumerate(auto[len(names) :]):
        check(grads[f"dA{i}"], m * g)  # dA values carry no 1/m
    legacy = deep_nn.L_model_backward(AL, Y, caches, legacy_keys=True)
    assert sorted(legacy) == sorted([f"dA{i}" for i in range(1, L + 1)] + ["d" + k for k in names])
    check(legacy[f"dA{L}"], grads[f"dA{L - 1}"])


@pytest.mark.parametrize("seed", SEEDS)
def test_dls_update_parameters(seed):
    rng = np.random.default_rng(seed)
    P = dense_params(rng, [3, 4, 2])
    G = {"d" + k: rng.standard_normal(v.shape) for k, v in P.items()}
    before = {k: v.copy() for k, v in P.items()}
    new = deep_nn.update_parameters(P, G, 0.3)
    expected = ref_nn.update_parameters(tparams(P), tparams(G), 0.3)
    for k in P:
        check(new[k], expected[k])
        check(P[k], before[k])  # the input is not mutated


@pytest.mark.parametrize("seed", SEEDS)
def test_dls_shallow_network(seed):
    rng = np.random.default_rng(seed)
    n_x, n_h, m = 2, 4, 9
    P, X, Y = dense_params(rng, [n_x, n_h, 1]), rng.standard_normal((n_x, m)), labels(rng, m)
    A2, cache = deep_nn.forward_propagation(X, P)
    assert sorted(cache) == ["A1", "A2", "Z1", "Z2"] and cache["A1"].shape == (n_h, m)
    Pt = tparams(P)
    A2t = ref_nn.forward_propagation(T(X, False), Pt)
    check(A2, A2t)
    costt = ref_nn.compute_cost(A2t, T(Y, False))
    check(deep_nn.compute_cost(A2, Y), costt)
    check(deep_nn.compute_cost(A2, Y, P), costt)  # pre-2021 signature
    grads = deep_nn.backward_propagation(P, cache, X, Y)
    for k, g in zip(["W1", "b1", "W2", "b2"], autograd(costt, [Pt[k] for k in ["W1", "b1", "W2", "b2"]]), strict=True):
        check(grads["d" + k], g)


# ---------------------------------------------------------------- DLS course 2 -----------------


def _torch_3layer(X, Pt, masks=None, keep_prob=1.0):
    """The regularization network with every intermediate exposed (for the dZ/dA checks)."""
    v = {}
    A = X
    for i in (1, 2):
        v[f"Z{i}"] = Pt[f"W{i}"] @ A + Pt[f"b{i}"]
        v[f"R{i}"] = torch.relu(v[f"Z{i}"])  # before dropout
        A = v[f"R{i}"] if masks is None else v[f"R{i}"] * masks[i - 1] / keep_prob
    v["Z3"] = Pt["W3"] @ A + Pt["b3"]
    return torch.sigmoid(v["Z3"]), v


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("lambd", [0.0, 0.7])
def test_dls_l2_regularization(seed, lambd):
    rng = np.random.default_rng(seed)
    m = 8
    P, X, Y = dense_params(rng, [3, 5, 4, 1]), rng.standard_normal((3, m)), labels(rng, m)
    A3, cache = regularization.forward_propagation(X, P)
    assert len(cache) == 12 and cache[2] is P["W1"]
    Pt, Xt, Yt = tparams(P), T(X, False), T(Y, False)
    A3t, v = _torch_3layer(Xt, Pt)
    check(A3, ref_reg.forward_propagation(Xt, Pt))
    check(regularization.compute_cost(A3, Y), ref_reg.compute_cost(A3t, Yt))
    costt = ref_reg.compute_cost_with_regularization(A3t, Yt, Pt, lambd)
    check(regularization.compute_cost_with_regularization(A3, Y, P, lambd), costt)
    grads = (
        regularization.backward_propagation_with_regularization(X, Y, cache, lambd)
        if lambd
        else regularization.backward_propagation(X, Y, cache)
    )
    names = sorted(P)
    auto = autograd(costt, [Pt[k] for k in names] + [v[k] for k in ("Z1", "R1", "Z2", "R2", "Z3")])
    for k, g in zip(names, auto[: len(names)], strict=True):
        check(grads["d" + k], g)
    for k, g in zip(("dZ1", "dA1", "dZ2", "dA2", "dZ3"), auto[len(names) :], strict=True):
        check(grads[k], m * g)  # the L2 term does not reach Z or A


@pytest.mark.parametrize("seed", SEEDS)
def test_dls_dropout(seed):
    rng = np.random.default_rng(seed)
    m, keep = 10, 0.7
    P, X, Y = dense_params(rng, [3, 6, 5, 1]), rng.standard_normal((3, m)), labels(rng, m)
    A3, cache = regularization.forward_propagation_with_dropout(X, P, keep)
    A3_again, cache_again = regularization.forward_propagation_with_dropout(X, P, keep)
    check(A3_again, A3)  # the course's np.random.seed(1) makes the masks reproducible
    Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3c, W3, b3 = cache
    assert set(np.unique(D1)) <= {0, 1} and D1.shape == (6, m) and D2.shape == (5, m)
    check(A1, np.maximum(Z1, 0) * D1 / keep)
    Pt, Xt, Yt = tparams(P), T(X, False), T(Y, False)
    masks = (T(D1, False), T(D2, False))
    A3t, v = _torch_3layer(Xt, Pt, masks, keep)
    check(A3, ref_reg.forward_propagation_with_dropout(Xt, Pt, keep, *masks))
    costt = ref_reg.compute_cost(A3t, Yt)
    grads = regularization.backward_propagation_with_dropout(X, Y, cache, keep)
    names = sorted(P)
    auto = autograd(costt, [Pt[k] for k in names] + [v[k] for k in ("Z1", "R1", "Z2", "R2", "Z3")])
    for k, g in zip(names, auto[: len(names)], strict=True):
        check(grads["d" + k], g)
    for k, g in zip(("dZ1", "dA1", "dZ2", "dA2", "dZ3"), auto[len(names) :], strict=True):
        check(grads[k], m * g)


@pytest.mark.parametrize("seed", SEEDS)
def test_dls_optimizers_step_by_step(seed):
    rng = np.random.default_rng(seed)
    P = dense_params(rng, [4, 3, 2])
    v_m = optimization.initialize_velocity(P)
    v, s = optimization.initialize_adam(P)
    assert sorted(v_m) == sorted(v) == sorted(s) == sorted("d" + k for k in P)
    assert all(not v[k].any() and v[k].shape == P[k[1:]].shape for k in v)
    p_gd, p_mom, p_adam = dict(P), dict(P), dict(P)
    t_gd, t_mom, t_adam = tparams(P), tparams(P), tparams(P)
    tv_m, tv, ts = ({k: torch.zeros_like(t_gd[k[1:]]) for k in v} for _ in range(3))
    # torch.optim.Adam uses the same bias-corrected rule, epsilon outside the root
    leaves = {k: torch.tensor(x.copy(), requires_grad=True) for k, x in P.items()}
    torch_adam = torch.optim.Adam(leaves.values(), lr=0.01, betas=(0.9, 0.999), eps=1e-8)
    for t in range(1, 6):
        G = {"d" + k: rng.standard_normal(x.shape) for k, x in P.items()}
        Gt = tparams(G)
        p_gd = optimization.update_parameters_with_gd(p_gd, G, 0.1)
        t_gd = ref_opt.update_parameters_with_gd(t_gd, Gt, 0.1)
        p_mom, v_m = optimization.update_parameters_with_momentum(p_mom, G, v_m, 0.9, 0.1)
        t_mom, tv_m = ref_opt.update_parameters_with_momentum(t_mom, Gt, tv_m, 0.9, 0.1)
        out = optimization.update_parameters_with_adam(p_adam, G, v, s, t, 0.01, 0.9, 0.999, 1e-8)
        p_adam, v, s, v_hat, s_hat = out
        t_adam, tv, ts = ref_opt.update_parameters_with_adam(t_adam, Gt, tv, ts, t, 0.01, 0.9, 0.999, 1e-8)
        for k, leaf in leaves.items():
            leaf.grad = torch.tensor(G["d" + k])
        torch_adam.step()
        for k in P:
            check(p_gd[k], t_gd[k])
            check(p_mom[k], t_mom[k])
            check(v_m["d" + k], tv_m["d" + k])
            check(p_adam[k], t_adam[k])
            check(p_adam[k], leaves[k], 1e-9)
            check(v_hat["d" + k], tv["d" + k] / (1 - 0.9**t))
            check(s_hat["d" + k], ts["d" + k] / (1 - 0.999**t))
    assert len(optimization.update_parameters_with_adam(P, G, v, s, 1, return_corrected=False)) == 3
