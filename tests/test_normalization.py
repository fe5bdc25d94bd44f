"""Normalization, dropout and FullyConnectedNet's options: correct code never fails, every
mutant is caught, and the course's known answers hold on the NumPy and torch sides."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bugzoo import run_mutant
from bugzoo_normalization import MUTANTS
from gradverify.core.adapters import ForwardBackward
from gradverify.core.engine import check_case
from gradverify.core.sampling import RANDOM
from gradverify.core.spec import OpSpec, Variant
from gradverify.impl.cs231n import dropout, fc_net, normalization
from gradverify.reference.cs231n import dropout as ref_dropout
from gradverify.reference.cs231n import fc_net as ref_fc_net
from gradverify.reference.cs231n import normalization as ref_norm
from gradverify.specs.cs231n import dropout as dropout_specs
from gradverify.specs.cs231n import fc_net as fc_specs
from gradverify.specs.cs231n import normalization as norm_specs

NEW_FC = {"fully_connected_net", *(s.name for s in fc_specs.SPECS if s.name.startswith("fully_connected_net_"))}
SPECS: dict[str, OpSpec] = {
    s.name: s for s in (*norm_specs.SPECS, *dropout_specs.SPECS, *(s for s in fc_specs.SPECS if s.name in NEW_FC))
}
CASES = [(name, case) for name, s in SPECS.items() for case in (RANDOM, *s.edge_cases)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("op", "case"), CASES, ids=[f"{o}-{c}" for o, c in CASES])
@settings(max_examples=2, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_correct_implementations_never_fail(op: str, case: str, dtype: str, seed: int) -> None:
    spec = SPECS[op]
    records = check_case(spec, dtype, case, seed)
    bad = [(r.variant, r.quantity, r.status, r.message) for r in records if r.status in ("fail", "error")]
    assert not bad, f"{op} {dtype} {case}:{seed}: {bad}"
    assert {r.quantity for r in records} >= set(spec.outputs) | {f"d{w}" for w in spec.wrt}


def test_flipped_keep_probability_is_caught_by_the_keep_rate_alone() -> None:
    (mutant,) = [m for m in MUTANTS if m.name == "p_drops"]
    failing = {r.quantity for r in run_mutant(mutant) if r.status in ("fail", "error")}
    assert failing == {"keep_rate"}


# --- known answers: batchnorm -----------------------------------------------------------------


def _stats(x: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    return x.mean(axis=axes), x.std(axis=axes)


def test_batchnorm_train_output_has_mean_beta_and_std_gamma() -> None:
    rng = np.random.default_rng(0)
    x = 50 + 10 * rng.standard_normal((200, 3))
    gamma, beta = np.array([1.0, 2.0, 3.0]), np.array([11.0, 12.0, 13.0])
    out, _ = normalization.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    ref = ref_norm.batchnorm_train(*map(torch.from_numpy, (x, gamma, beta, np.zeros(3), np.zeros(3))))["out"]
    for result in (out, ref.numpy()):
        mean, std = _stats(result, (0,))
        np.testing.assert_allclose(mean, beta, atol=1e-10)
        np.testing.assert_allclose(std, gamma, rtol=1e-6)  # eps = 1e-5 next to a variance of ~100


def test_batchnorm_running_statistics_follow_the_course() -> None:
    x = np.array([[1.0, -2.0], [3.0, 0.0], [8.0, 2.0]])
    running_mean, running_var = np.array([1.0, 1.0]), np.array([2.0, 2.0])
    bn_param = {"mode": "train", "momentum": 0.8, "running_mean": running_mean, "running_var": running_var}
    normalization.batchnorm_forward(x, np.ones(2), np.zeros(2), bn_param)
    # batch mean (4, 0); biased variance (9 + 1 + 16) / 3 = 26/3 and (4 + 0 + 4) / 3 = 8/3
    np.testing.assert_allclose(bn_param["running_mean"], [0.8 * 1 + 0.2 * 4, 0.8])
    np.testing.assert_allclose(bn_param["running_var"], [0.8 * 2 + 0.2 * 26 / 3, 0.8 * 2 + 0.2 * 8 / 3])
    np.testing.assert_array_equal(running_mean, [1.0, 1.0])  # replaced, not updated in place
    ref = ref_norm.batchnorm_train(*map(torch.from_numpy, (x, np.ones(2), np.zeros(2), running_mean, running_var)), 0.8)
    np.testing.assert_allclose(ref["running_mean"].numpy(), bn_param["running_mean"])
    np.testing.assert_allclose(ref["running_var"].numpy(), bn_param["running_var"])


def test_reference_differs_from_batchnorm1d_as_documented() -> None:
    """BatchNorm1d's momentum 1 - m gives the course's running mean, but its running variance
    averages the unbiased batch variance."""
    rng = np.random.default_rng(1)
    x = torch.from_numpy(rng.standard_normal((5, 3)))
    m = 0.9
    course = ref_norm.batchnorm_train(
        x, torch.ones(3, dtype=x.dtype), torch.zeros(3, dtype=x.dtype), *[torch.zeros(3)] * 2, m
    )
    bn1d = torch.nn.BatchNorm1d(3, momentum=1 - m).double()
    bn1d.running_var.zero_()
    out = bn1d(x)
    torch.testing.assert_close(out, course["out"].detach())
    torch.testing.assert_close(bn1d.running_mean, course["running_mean"].detach())
    torch.testing.assert_close(bn1d.running_var * 4 / 5, course["running_var"].detach())


def test_batchnorm_test_mode_after_training_normalizes_like_the_data() -> None:
    rng = np.random.default_rng(2)
    mean, std = np.array([5.0, -3.0, 0.5]), np.array([2.0, 0.5, 4.0])
    bn_param = {"mode": "train"}
    gamma, beta = np.ones(3), np.zeros(3)
    for _ in range(100):
        normalization.batchnorm_forward(mean + std * rng.standard_normal((100, 3)), gamma, beta, bn_param)
    bn_param["mode"] = "test"
    out, _ = normalization.batchnorm_forward(mean + std * rng.standard_normal((2000, 3)), gamma, beta, bn_param)
    out_mean, out_std = _stats(out, (0,))
    np.testing.assert_allclose(out_mean, 0, atol=0.1)
    np.testing.assert_allclose(out_std, 1, atol=0.1)


def test_batchnorm_with_one_example_is_degenerate_but_finite() -> None:
    """Why train-mode batchnorm samples have N >= 2: the output is beta, dx is exactly 0."""
    rng = np.random.default_rng(3)
    x, gamma, beta = rng.standard_normal((1, 4)), rng.standard_normal(4), rng.standard_normal(4)
    out, cache = normalization.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    np.testing.assert_array_equal(out, beta[None])
    for backward in (normalization.batchnorm_backward, normalization.batchnorm_backward_alt):
        dx, dgamma, dbeta = backward(rng.standard_normal((1, 4)), cache)
        np.testing.assert_array_equal(dx, 0)
        assert np.isfinite(dgamma).all() and np.isfinite(dbeta).all()


# --- known answers: layernorm, spatial batchnorm, groupnorm -----------------------------------


def test_layernorm_rows_have_mean_beta_and_std_gamma() -> None:
    rng = np.random.default_rng(4)
    x = 50 + 10 * rng.standard_normal((4, 300))
    gamma, beta = np.full(300, 2.5), np.full(300, -1.0)
    out, _ = normalization.layernorm_forward(x, gamma, beta, {})
    ref = ref_norm.layernorm(*map(torch.from_numpy, (x, gamma, beta))).numpy()
    for result in (out, ref):
        mean, std = _stats(result, (1,))
        np.testing.assert_allclose(mean, -1.0, atol=1e-10)
        np.testing.assert_allclose(std, 2.5, rtol=1e-6)


def test_spatial_batchnorm_channels_have_mean_beta_and_std_gamma() -> None:
    rng = np.random.default_rng(5)
    x = 10 + 4 * rng.standard_normal((6, 3, 5, 5))
    gamma, beta = np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.0, 1.0])
    out, _ = normalization.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    mean, std = _stats(out, (0, 2, 3))
    np.testing.assert_allclose(mean, beta, atol=1e-10)
    np.testing.assert_allclose(std, gamma, rtol=1e-5)


def test_groupnorm_groups_are_standardized() -> None:
    rng = np.random.default_rng(6)
    N, G, C, H, W = 2, 3, 6, 4, 4
    x = 10 + 4 * rng.standard_normal((N, C, H, W))
    ones, zeros = np.ones((1, C, 1, 1)), np.zeros((1, C, 1, 1))
    out, _ = normalization.spatial_groupnorm_forward(x, ones, zeros, G, {"eps": 1e-5})
    ref = ref_norm.spatial_groupnorm(*map(torch.from_numpy, (x, ones, zeros)), G).numpy()
    for result in (out, ref):
        mean, std = _stats(result.reshape(N, G, -1), (2,))
        np.testing.assert_allclose(mean, 0, atol=1e-10)
        np.testing.assert_allclose(std, 1, rtol=1e-5)


NORM_LAYERS = {
    "batchnorm": (
        lambda x, g, b: normalization.batchnorm_forward(x, g, b, {"mode": "train"}),
        normalization.batchnorm_backward,
        (5, 4),
        (4,),
    ),
    "batchnorm_alt": (
        lambda x, g, b: normalization.batchnorm_forward(x, g, b, {"mode": "train"}),
        normalization.batchnorm_backward_alt,
        (5, 4),
        (4,),
    ),
    "layernorm": (
        lambda x, g, b: normalization.layernorm_forward(x, g, b, {}),
        normalization.layernorm_backward,
        (5, 4),
        (4,),
    ),
    "spatial_batchnorm": (
        lambda x, g, b: normalization.spatial_batchnorm_forward(x, g, b, {"mode": "train"}),
        normalization.spatial_batchnorm_backward,
        (2, 3, 4, 4),
        (3,),
    ),
    "spatial_groupnorm": (
        lambda x, g, b: normalization.spatial_groupnorm_forward(x, g, b, 2, {}),
        normalization.spatial_groupnorm_backward,
        (2, 4, 3, 3),
        (1, 4, 1, 1),
    ),
}


@pytest.mark.parametrize("layer", NORM_LAYERS)
def test_float32_stays_float32(layer: str) -> None:
    forward, backward, x_shape, p_shape = NORM_LAYERS[layer]
    rng = np.random.default_rng(7)
    x = rng.standard_normal(x_shape).astype(np.float32)
    gamma, beta = (rng.standard_normal(p_shape).astype(np.float32) for _ in range(2))
    out, cache = forward(x, gamma, beta)
    grads = backward(rng.standard_normal(out.shape).astype(np.float32), cache)
    assert {a.dtype for a in (out, *grads)} == {np.dtype(np.float32)}


# --- known answers: dropout -------------------------------------------------------------------


def test_dropout_test_mode_is_the_identity() -> None:
    x = np.random.default_rng(8).standard_normal((3, 4))
    out, cache = dropout.dropout_forward(x, {"mode": "test", "p": 0.3})
    np.testing.assert_array_equal(out, x)
    dout = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(dropout.dropout_backward(dout, cache), dout)
    np.testing.assert_array_equal(ref_dropout.dropout_test(torch.from_numpy(x)).numpy(), x)


@pytest.mark.parametrize("p", [0.25, 0.4, 0.7, 0.8])
def test_dropout_keeps_p_of_the_units_and_preserves_the_mean(p: float) -> None:
    x = np.random.default_rng(9).standard_normal((500, 500)) + 10
    out, _ = dropout.dropout_forward(x, {"mode": "train", "p": p, "seed": 123})
    kept = out != 0
    assert abs(kept.mean() - p) < 5 * np.sqrt(p * (1 - p) / x.size)
    np.testing.assert_allclose(out[kept], x[kept] / p)
    assert out.mean() == pytest.approx(x.mean(), rel=0.01)


def test_dropout_returning_the_wrong_shape_is_an_error_record() -> None:
    def transposed_dropout(x, dropout_param):
        out, cache = dropout.dropout_forward(x, dropout_param)
        return out.T, cache

    spec = SPECS["dropout"].with_variants(
        Variant("user", ForwardBackward(transposed_dropout, dropout.dropout_backward, ("x", "dropout_param"), ("x",)))
    )
    (record,) = check_case(spec, "float64", RANDOM, 5)
    assert (record.status, record.diagnosis) == ("error", "bad_return")
    assert "x's shape" in record.message


def test_spec_draws_the_masks_the_course_dropout_draws() -> None:
    x = np.ones((3, 7))
    out, _ = dropout.dropout_forward(x, {"mode": "train", "p": 0.6, "seed": 42})
    (mask,) = fc_specs.course_dropout_masks(42, 3, [7], 0.6)
    np.testing.assert_array_equal(out != 0, mask)


def test_seeded_net_with_dropout_is_deterministic_and_matches_the_reference() -> None:
    rng = np.random.default_rng(10)
    X, y = rng.standard_normal((4, 5)), np.array([0, 1, 2, 1])
    net = fc_net.FullyConnectedNet([6, 3], input_dim=5, num_classes=3, dropout_keep_ratio=0.5, dtype=np.float64, seed=7)
    for k in net.params:
        net.params[k] = rng.standard_normal(net.params[k].shape)
    (loss_a, _), (loss_b, _) = net.loss(X, y), net.loss(X, y)
    assert loss_a == loss_b
    masks = [torch.from_numpy(m) for m in fc_specs.course_dropout_masks(7, 4, [6, 3], 0.5)]
    params = {k: torch.from_numpy(v) for k, v in net.params.items()}
    ref = ref_fc_net.fc_net_loss(params, torch.from_numpy(X), torch.from_numpy(y), 0.0, masks=masks, p=0.5)
    assert ref.item() == pytest.approx(loss_a, rel=1e-12)


# --- known answers: FullyConnectedNet options ---------------------------------------------------


@pytest.mark.parametrize("normalization_kind", [None, "batchnorm", "layernorm"])
def test_net_has_the_course_layout_and_initial_loss_log_c(normalization_kind: str | None) -> None:
    net = fc_net.FullyConnectedNet(
        [20, 30], input_dim=15, num_classes=10, normalization=normalization_kind, weight_scale=5e-2, seed=0
    )
    norm_keys = {f"{p}{i}" for p in ("gamma", "beta") for i in (1, 2)} if normalization_kind else set()
    assert set(net.params) == {f"{p}{i}" for p in "Wb" for i in (1, 2, 3)} | norm_keys
    if normalization_kind:
        np.testing.assert_array_equal(net.params["gamma2"], np.ones(30, dtype=np.float32))
        np.testing.assert_array_equal(net.params["beta1"], np.zeros(20, dtype=np.float32))
    assert len(net.bn_params) == (2 if normalization_kind else 0)
    X = np.random.default_rng(11).standard_normal((50, 15))
    loss, _ = net.loss(X, np.arange(50) % 10)
    assert loss == pytest.approx(np.log(10), rel=0.05)


def test_net_switches_batchnorm_and_dropout_modes() -> None:
    net = fc_net.FullyConnectedNet(
        [4], input_dim=3, num_classes=2, dropout_keep_ratio=0.5, normalization="batchnorm", seed=3
    )
    assert net.dropout_param == {"mode": "train", "p": 0.5, "seed": 3}
    X = np.random.default_rng(12).standard_normal((5, 3))
    net.loss(X, np.array([0, 1, 0, 1, 1]))
    assert net.bn_params[0]["mode"] == net.dropout_param["mode"] == "train"
    assert net.bn_params[0]["running_mean"].shape == (4,)
    net.loss(X)
    assert net.bn_params[0]["mode"] == net.dropout_param["mode"] == "test"
    assert fc_net.FullyConnectedNet([4], input_dim=3, num_classes=2).dropout_param == {}
