"""Known answers from the lecture, checked on both the NumPy and torch sides."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gradverify.impl.cs231n import fc_net, layers, linear_svm, matrix_example, softmax
from gradverify.reference.cs231n import fc_net as ref_fc_net
from gradverify.reference.cs231n import layers as ref_layers
from gradverify.reference.cs231n import linear_svm as ref_linear_svm
from gradverify.reference.cs231n import matrix_example as ref_matrix_example
from gradverify.reference.cs231n import softmax as ref_softmax

# Rows: the cat, car and frog images; columns: cat, car and frog class scores.
SCORES = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
LABELS = np.array([0, 1, 2])

# variant -> (numpy implementations, torch reference)
SVM_VARIANTS = {
    "svm": (
        [linear_svm.svm_loss_naive, linear_svm.svm_loss_vectorized],
        ref_linear_svm.svm_loss,
    ),
    "all_classes": (
        [linear_svm.svm_loss_all_classes],
        ref_linear_svm.svm_loss_all_classes,
    ),
    "class_mean": (
        [linear_svm.svm_loss_class_mean],
        ref_linear_svm.svm_loss_class_mean,
    ),
    "squared_hinge": (
        [linear_svm.squared_hinge_loss],
        ref_linear_svm.squared_hinge_loss,
    ),
}
SOFTMAX_IMPLS = (
    [softmax.softmax_loss_naive, softmax.softmax_loss_vectorized],
    ref_softmax.softmax_loss,
)


def linear_losses(impls, W, X, y, reg=0.0, **kwargs) -> list[float]:
    """Loss of every numpy implementation, then of the torch reference."""
    np_fns, torch_fn = impls
    values = [fn(W, X, y, reg, **kwargs)[0] for fn in np_fns]
    tensors = (torch.from_numpy(W), torch.from_numpy(X), torch.from_numpy(y))
    values.append(torch_fn(*tensors, reg, **kwargs).item())
    return values


def scores_level_losses(np_fn, torch_fn, x, y) -> list[float]:
    return [np_fn(x, y)[0], torch_fn(torch.from_numpy(x), torch.from_numpy(y)).item()]


@pytest.mark.parametrize(
    "variant, delta, expected",
    [
        # cat:  max(0, 5.1 - 3.2 + 1) + max(0, -1.7 - 3.2 + 1) = 2.9 + 0
        # car:  max(0, 1.3 - 4.9 + 1) + max(0, 2.0 - 4.9 + 1) = 0 + 0
        # frog: max(0, 2.2 + 3.1 + 1) + max(0, 2.5 + 3.1 + 1) = 6.3 + 6.6
        ("svm", 1.0, [2.9, 0.0, 12.9]),
        # cat: 3.9 + max(0, -2.9); car: max(0, -1.6) + max(0, -0.9); frog: 7.3 + 7.6
        ("svm", 2.0, [3.9, 0.0, 14.9]),
        # the j = y_i term adds max(0, delta) = delta to every example
        ("all_classes", 1.0, [3.9, 1.0, 13.9]),
        ("all_classes", 2.0, [5.9, 2.0, 16.9]),
        # divided by C - 1 = 2 incorrect classes
        ("class_mean", 1.0, [1.45, 0.0, 6.45]),
        # cat: 2.9^2 = 8.41; car: 0; frog: 6.3^2 + 6.6^2 = 39.69 + 43.56 = 83.25
        ("squared_hinge", 1.0, [8.41, 0.0, 83.25]),
        # cat: 3.9^2 = 15.21; car: 0; frog: 7.3^2 + 7.6^2 = 53.29 + 57.76 = 111.05
        ("squared_hinge", 2.0, [15.21, 0.0, 111.05]),
    ],
)
def test_lecture_example(variant: str, delta: float, expected: list[float]) -> None:
    # X = scores and W = I make s = X W reproduce the lecture scores exactly.
    W = np.eye(3)
    impls = SVM_VARIANTS[variant]
    for i in range(3):
        got = linear_losses(impls, W, SCORES[i : i + 1], LABELS[i : i + 1], delta=delta)
        np.testing.assert_allclose(got, expected[i], rtol=1e-12, atol=1e-12)
    got = linear_losses(impls, W, SCORES, LABELS, delta=delta)
    np.testing.assert_allclose(got, np.mean(expected), rtol=1e-12)


def test_lecture_example_scores_level() -> None:
    got = scores_level_losses(layers.svm_loss, ref_layers.svm_loss, SCORES, LABELS)
    np.testing.assert_allclose(got, (2.9 + 0.0 + 12.9) / 3, rtol=1e-12)
    assert got[0] == pytest.approx(5.27, abs=5e-3)


@pytest.mark.parametrize("C", [2, 3, 10])
def test_zero_scores(C: int) -> None:
    rng = np.random.default_rng(C)
    N, D = 5, 4
    W, X, y = np.zeros((D, C)), rng.standard_normal((N, D)), rng.integers(0, C, N)
    # Every incorrect margin is 0 - 0 + 1 = 1.
    expected = {"svm": C - 1, "all_classes": C, "class_mean": 1, "squared_hinge": C - 1}
    for variant, value in expected.items():
        got = linear_losses(SVM_VARIANTS[variant], W, X, y)
        np.testing.assert_allclose(got, value, rtol=1e-12)
    # Uniform softmax: every class has probability 1 / C.
    np.testing.assert_allclose(linear_losses(SOFTMAX_IMPLS, W, X, y), math.log(C), rtol=1e-12)

    zeros = np.zeros((N, C))
    svm = scores_level_losses(layers.svm_loss, ref_layers.svm_loss, zeros, y)
    np.testing.assert_allclose(svm, C - 1, rtol=1e-12)
    soft = scores_level_losses(layers.softmax_loss, ref_layers.softmax_loss, zeros, y)
    np.testing.assert_allclose(soft, math.log(C), rtol=1e-12)


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.0])
def test_all_classes_minimum_is_delta(delta: float) -> None:
    # Correct scores of 10 against 0 satisfy every margin for delta < 10.
    X, W, y = 10.0 * np.eye(3), np.eye(3), LABELS
    got = linear_losses(SVM_VARIANTS["all_classes"], W, X, y, delta=delta)
    np.testing.assert_allclose(got, delta, rtol=1e-12)
    np.testing.assert_allclose(linear_losses(SVM_VARIANTS["svm"], W, X, y, delta=delta), 0.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_large_scores(dtype: type) -> None:
    rng = np.random.default_rng(0)
    N, C = 6, 5
    scores = rng.uniform(-1e3, 1e3, (N, C)).astype(dtype)
    y = rng.integers(0, C, N)
    W = np.eye(C, dtype=dtype)
    # Ground truth: torch in float64 on exactly the same (dtype-rounded) values.
    expected = ref_layers.softmax_loss(torch.from_numpy(scores.astype(np.float64)), torch.from_numpy(y)).item()
    assert expected > 100  # the scores really are far apart
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    got = linear_losses(SOFTMAX_IMPLS, W, scores, y)
    got += scores_level_losses(layers.softmax_loss, ref_layers.softmax_loss, scores, y)
    assert all(math.isfinite(v) for v in got)
    np.testing.assert_allclose(got, expected, rtol=rtol)


def test_matrix_example_tiny() -> None:
    X = np.array([[1.0, 2.0]])
    W1 = np.array([[1.0, -1.0], [1.0, -1.0]])
    W2 = np.array([[1.0, 2.0], [4.0, 5.0]])
    # z1 = (3, -3), h1 = (3, 0), y_hat = (3, 6), loss = 9 + 36 = 45
    # dy_hat = 2 y_hat = (6, 12); dh1 = dy_hat W2^T = (30, 84); dz1 = (30, 0)
    expected_grads = [
        np.array([[30.0, 30.0]]),  # dX = dz1 W1^T
        np.array([[30.0, 0.0], [60.0, 0.0]]),  # dW1 = X^T dz1
        np.array([[18.0, 36.0], [0.0, 0.0]]),  # dW2 = h1^T dy_hat
    ]
    loss, cache = matrix_example.matrix_example_forward(X, W1, W2)
    assert loss == 45.0
    for got, want in zip(matrix_example.matrix_example_backward(1.0, cache), expected_grads, strict=False):
        np.testing.assert_array_equal(got, want)

    tensors = [torch.tensor(a, requires_grad=True) for a in (X, W1, W2)]
    ref_loss = ref_matrix_example.matrix_example(*tensors)
    ref_loss.backward()
    assert ref_loss.item() == 45.0
    for t, want in zip(tensors, expected_grads, strict=False):
        np.testing.assert_array_equal(t.grad.numpy(), want)


@pytest.mark.parametrize(
    "impls",
    [*SVM_VARIANTS.values(), SOFTMAX_IMPLS],
    ids=[*SVM_VARIANTS, "softmax"],
)
def test_linear_regularization(impls) -> None:
    rng = np.random.default_rng(1)
    W, X, y = (
        rng.standard_normal((4, 3)),
        rng.standard_normal((5, 4)),
        rng.integers(0, 3, 5),
    )
    reg = 0.37
    diff = np.subtract(linear_losses(impls, W, X, y, reg), linear_losses(impls, W, X, y, 0.0))
    np.testing.assert_allclose(diff, reg * np.sum(W * W), rtol=1e-10)


NET_FACTORIES = {
    "TwoLayerNet": lambda: fc_net.TwoLayerNet(input_dim=4, hidden_dim=6, num_classes=3),
    "FullyConnectedNet": lambda: fc_net.FullyConnectedNet([6, 5], input_dim=4, num_classes=3, dtype=np.float64, seed=0),
}


@pytest.mark.parametrize("make_net", NET_FACTORIES.values(), ids=NET_FACTORIES.keys())
def test_net_regularization(make_net) -> None:
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((5, 2, 2)), rng.integers(0, 3, 5)
    reg = 0.37
    net = make_net()
    for k in net.params:
        net.params[k] = rng.standard_normal(net.params[k].shape)
    weights = [k for k in net.params if k.startswith("W")]
    penalty = 0.5 * reg * sum(np.sum(net.params[k] ** 2) for k in weights)

    net.reg = 0.0
    loss0, grads0 = net.loss(X, y)
    net.reg = reg
    loss1, grads1 = net.loss(X, y)
    assert loss1 - loss0 == pytest.approx(penalty, rel=1e-10)
    for k, p in net.params.items():
        expected = reg * p if k in weights else np.zeros_like(p)
        np.testing.assert_allclose(grads1[k] - grads0[k], expected, atol=1e-12)

    params = {k: torch.from_numpy(v) for k, v in net.params.items()}
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    ref_diff = ref_fc_net.fc_net_loss(params, Xt, yt, reg) - ref_fc_net.fc_net_loss(params, Xt, yt, 0.0)
    assert ref_diff.item() == pytest.approx(penalty, rel=1e-10)
