"""Convolution, pooling, the conv sandwich layers and ThreeLayerConvNet: correct code never
fails, every mutant is caught, and the course's known answers hold on both sides."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bugzoo import run_mutant
from bugzoo_conv import MUTANTS, Mutant, max_pool_backward_every_max
from gradverify.core.adapters import ForwardBackward
from gradverify.core.engine import check_case
from gradverify.core.sampling import RANDOM
from gradverify.core.spec import OpSpec
from gradverify.impl.cs231n import cnn, conv_layer_utils, conv_layers, fast_layers
from gradverify.reference.cs231n import cnn as ref_cnn
from gradverify.reference.cs231n import conv_layer_utils as ref_clu
from gradverify.reference.cs231n import conv_layers as ref_conv
from gradverify.specs import conv_kinks
from gradverify.specs.cs231n import cnn as cnn_specs
from gradverify.specs.cs231n import conv_layer_utils as clu_specs
from gradverify.specs.cs231n import conv_layers as conv_specs

# check_case does not pin torch's threads (the runner does); on tiny tensors a second
# thread makes conv2d about a thousand times slower
torch.set_num_threads(1)

SPECS: dict[str, OpSpec] = {s.name: s for s in (*conv_specs.SPECS, *clu_specs.SPECS, *cnn_specs.SPECS)}
CASES = [(name, kind) for name, spec in SPECS.items() for kind in (RANDOM, *spec.edge_cases)]
NAIVE_FAST = [
    (conv_layers.conv_forward_naive, conv_layers.conv_backward_naive),
    (fast_layers.conv_forward_fast, fast_layers.conv_backward_fast),
]
POOLS = [
    (conv_layers.max_pool_forward_naive, conv_layers.max_pool_backward_naive),
    (fast_layers.max_pool_forward_fast, fast_layers.max_pool_backward_fast),
]
POOL_2X2 = {"pool_height": 2, "pool_width": 2, "stride": 2}


def t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a))


# --- correct implementations ----------------------------------------------------------------


@pytest.mark.parametrize("op, kind", CASES, ids=[f"{op}-{kind}" for op, kind in CASES])
@settings(max_examples=5, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_correct_variants_never_fail(op: str, kind: str, seed: int) -> None:
    spec = SPECS[op]
    for dtype in ("float64", "float32"):
        records = check_case(spec, dtype, kind, seed)
        bad = [(r.variant, r.quantity, r.message) for r in records if r.status in ("fail", "error")]
        assert not bad, f"{op} {dtype} {kind}:{seed}: {bad}"
        expected = set(spec.outputs) | {f"d{w}" for w in spec.wrt}
        for v in spec.variants:
            assert {r.quantity for r in records if r.variant == v.name} >= expected


@pytest.mark.parametrize("op", SPECS)
def test_finite_differences_agree_on_random_cases(op: str) -> None:
    spec = SPECS[op]
    for seed in range(3):
        for r in check_case(spec, "float64", RANDOM, seed, thorough=True):
            if r.quantity[1:] in spec.wrt:
                assert r.fd_verdict in ("agree", "kink"), r


def test_samples_tile_exactly_and_cover_the_edge_cases() -> None:
    rng = np.random.default_rng(0)
    strides, pads, windows = set(), set(), set()
    for _ in range(200):
        s = conv_specs.conv_sample(rng, RANDOM)
        strides.add(s["conv_param"]["stride"])
        pads.add(s["conv_param"]["pad"])
        conv_layers.conv_forward_naive(s["x"], s["w"], s["b"], s["conv_param"])  # raises if it does not tile
        p = conv_specs.max_pool_sample(rng, RANDOM)["pool_param"]
        windows.add((p["pool_height"], p["pool_width"], p["stride"]))
    assert strides == {1, 2, 3} and pads == {0, 1, 2}
    assert any(h != w for h, w, _ in windows) and any(s < h for h, _, s in windows) and (2, 2, 2) in windows
    s = conv_specs.conv_sample(rng, conv_specs.STRIDE2)
    assert s["conv_param"] == {"stride": 2, "pad": 1} and s["x"].shape[2] % 2 == 1
    assert conv_specs.conv_sample(rng, conv_specs.ONE_BY_ONE)["w"].shape[2:] == (1, 1)
    assert conv_specs.conv_sample(rng, conv_specs.C1)["x"].shape[1] == 1
    assert conv_specs.conv_sample(rng, conv_specs.F1)["w"].shape[0] == 1
    ties = conv_specs.max_pool_sample(rng, "ties")
    assert np.array_equal(ties["x"], np.round(ties["x"]))


# --- mutants --------------------------------------------------------------------------------


def test_flipped_filter_is_blamed_on_the_forward_pass() -> None:
    (mutant,) = [m for m in MUTANTS if m.name == "flipped_filter"]
    failing = [r for r in run_mutant(mutant) if r.status == "fail" and r.quantity == "dw"]
    assert failing and all(r.fd_verdict == "agree" for r in failing)


def test_gradient_sent_to_every_tied_max_is_caught() -> None:
    # a tie may split the window's gradient, never count it once per maximum
    adapter = ForwardBackward(
        conv_layers.max_pool_forward_naive, max_pool_backward_every_max, ("x", "pool_param"), ("x",)
    )
    records = run_mutant(Mutant("max_pool", "grad_to_every_max", adapter, ("dx",)))
    failing = [r for r in records if r.quantity == "dx" and r.status == "fail"]
    assert failing and {r.diagnosis for r in failing} == {"tie_sum"}
    assert all("tied maxima" in r.message and "in total" in r.message for r in failing)


# --- known answers --------------------------------------------------------------------------


def test_course_conv_forward() -> None:
    # the course notebook's check of conv_forward_naive (stride 2, pad 1)
    x = np.linspace(-0.1, 0.5, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    w = np.linspace(-0.2, 0.3, num=3 * 3 * 4 * 4).reshape(3, 3, 4, 4)
    b = np.linspace(-0.1, 0.2, num=3)
    conv_param = {"stride": 2, "pad": 1}
    expected = np.array(
        [
            [
                [[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]],
                [[0.21027089, 0.21661097], [0.22847626, 0.23004637]],
                [[0.50813986, 0.54309974], [0.64082444, 0.67101435]],
            ],
            [
                [[-0.98053589, -1.03143541], [-1.19128892, -1.24695841]],
                [[0.69108355, 0.66880383], [0.59480972, 0.56776003]],
                [[2.36270298, 2.36904306], [2.38090835, 2.38247847]],
            ],
        ]
    )
    for forward, _ in NAIVE_FAST:
        np.testing.assert_allclose(forward(x, w, b, conv_param)[0], expected, atol=1e-8)
    np.testing.assert_allclose(ref_conv.conv(t(x), t(w), t(b), conv_param).numpy(), expected, atol=1e-8)


@pytest.mark.parametrize("forward, backward", NAIVE_FAST)
def test_delta_filter_is_identity_and_shift(forward, backward) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 5, 7))
    b = np.zeros(3)
    identity = np.zeros((3, 3, 3, 3))
    identity[range(3), range(3), 1, 1] = 1.0
    out, cache = forward(x, identity, b, {"stride": 1, "pad": 1})
    np.testing.assert_array_equal(out, x)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = backward(dout, cache)
    np.testing.assert_allclose(dx, dout, atol=1e-15)
    np.testing.assert_allclose(db, dout.sum(axis=(0, 2, 3)))
    # dw[f, c, 1, 1] pairs each output with the input under it
    np.testing.assert_allclose(dw[:, :, 1, 1], np.einsum("nfhw,nchw->fc", dout, x))
    # the tap one row up: out[i] = x[i - 1], with zeros entering at the top
    shift = np.zeros((3, 3, 3, 3))
    shift[range(3), range(3), 0, 1] = 1.0
    out, _ = forward(x, shift, b, {"stride": 1, "pad": 1})
    np.testing.assert_array_equal(out[:, :, 1:], x[:, :, :-1])
    np.testing.assert_array_equal(out[:, :, 0], 0.0)
    # stride 2 with a 1x1 delta filter subsamples
    out, _ = forward(x, identity[:, :, 1:2, 1:2], b, {"stride": 2, "pad": 0})
    np.testing.assert_array_equal(out, x[:, :, ::2, ::2])


def test_course_max_pool_forward() -> None:
    x = np.linspace(-0.3, 0.4, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    # the values increase along every window, so each maximum is its bottom-right input
    expected = x[:, :, 1::2, 1::2]
    for forward, _ in POOLS:
        np.testing.assert_array_equal(forward(x, POOL_2X2)[0], expected)
    np.testing.assert_array_equal(ref_conv.max_pool(t(x), POOL_2X2).numpy(), expected)
    assert expected[0, 0, 0, 0] == pytest.approx(-0.26315789) and expected[1, 2, 1, 1] == pytest.approx(0.4)


def test_max_pool_of_a_known_4x4_routes_ties_to_the_first_max() -> None:
    x = np.array([[1, 2, 0, 0], [3, 4, 0, 5], [7, 7, 1, 1], [7, 6, 1, 1]], dtype=np.float64)[None, None]
    out_expected = np.array([[4.0, 5.0], [7.0, 1.0]])
    dx_expected = np.zeros((4, 4))
    dx_expected[1, 1], dx_expected[1, 3], dx_expected[2, 0], dx_expected[2, 2] = 1.0, 2.0, 3.0, 4.0
    dout = np.array([[1.0, 2.0], [3.0, 4.0]])[None, None]
    for forward, backward in POOLS:
        out, cache = forward(x, POOL_2X2)
        np.testing.assert_array_equal(out[0, 0], out_expected)
        np.testing.assert_array_equal(backward(dout, cache)[0, 0], dx_expected)
    xt = t(x).requires_grad_()
    (dx,) = torch.autograd.grad(ref_conv.max_pool(xt, POOL_2X2), xt, t(dout))
    np.testing.assert_array_equal(dx.numpy()[0, 0], dx_expected)


def test_max_pool_kinks_mark_only_tied_maxima() -> None:
    x = np.array([[1, 2, 0, 0], [3, 4, 0, 5], [7, 7, 1, 1], [7, 6, 1, 1]], dtype=np.float64)[None, None]
    expected = np.zeros((4, 4), dtype=bool)
    expected[2, 0] = expected[2, 1] = expected[3, 0] = True  # the 7s; the 6 gets nothing either way
    expected[2:, 2:] = True  # four equal 1s
    np.testing.assert_array_equal(conv_kinks.max_pool_kinks(x, POOL_2X2, 1e-10)[0, 0], expected)


def test_overlapping_pool_windows_accumulate() -> None:
    # 3x3 input, 2x2 windows, stride 1: the centre is the maximum of all four windows
    x = np.array([[0, 1, 0], [2, 9, 3], [0, 4, 0]], dtype=np.float64)[None, None]
    pool = {"pool_height": 2, "pool_width": 2, "stride": 1}
    for forward, backward in POOLS:
        out, cache = forward(x, pool)
        np.testing.assert_array_equal(out, 9.0)
        dx = backward(np.array([[1.0, 2.0], [3.0, 4.0]])[None, None], cache)
        assert dx[0, 0, 1, 1] == 10.0 and dx.sum() == 10.0


def test_sizes_that_do_not_tile_are_rejected() -> None:
    x, w, b = np.zeros((1, 1, 6, 6)), np.zeros((1, 1, 3, 3)), np.zeros(1)
    for forward, _ in NAIVE_FAST:
        with pytest.raises(ValueError, match="not divisible by stride 2"):
            forward(x, w, b, {"stride": 2, "pad": 0})
    for forward, _ in POOLS:
        with pytest.raises(ValueError, match="height"):
            forward(np.zeros((1, 1, 5, 4)), POOL_2X2)
    with pytest.raises(ValueError):
        cnn.ThreeLayerConvNet(input_dim=(3, 7, 8), filter_size=3)


def test_fast_matches_naive_on_a_course_sized_case() -> None:
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((3, 3, 15, 15)), rng.standard_normal((8, 3, 3, 3)), rng.standard_normal(8)
    for conv_param in ({"stride": 1, "pad": 1}, {"stride": 2, "pad": 1}):
        outs = [forward(x, w, b, conv_param) for forward, _ in NAIVE_FAST]
        np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-12, atol=1e-12)
        dout = rng.standard_normal(outs[0][0].shape)
        grads = [backward(dout, cache) for (_, backward), (_, cache) in zip(NAIVE_FAST, outs, strict=True)]
        for naive_grad, fast_grad in zip(*grads, strict=True):
            np.testing.assert_allclose(naive_grad, fast_grad, rtol=1e-12, atol=1e-12)


def test_float32_stays_float32() -> None:
    rng = np.random.default_rng(2)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((2, 2, 6, 6), (3, 2, 3, 3), (3,)))
    conv_param = {"stride": 1, "pad": 1}
    for forward, backward in NAIVE_FAST:
        out, cache = forward(x, w, b, conv_param)
        assert out.dtype == np.float32 and all(g.dtype == np.float32 for g in backward(out, cache))
    for forward, backward in POOLS:
        out, cache = forward(x, POOL_2X2)
        assert out.dtype == np.float32 and backward(out, cache).dtype == np.float32
    out, cache = conv_layer_utils.conv_relu_pool_forward(x, w, b, conv_param, POOL_2X2)
    grads = conv_layer_utils.conv_relu_pool_backward(out, cache)
    assert out.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
    model = cnn.ThreeLayerConvNet(input_dim=(2, 6, 6), num_filters=3, filter_size=3, hidden_dim=4, reg=0.1)
    loss, grads = model.loss(x, np.array([0, 1]))
    assert all(g.dtype == np.float32 for g in grads.values())


def test_sandwich_layers_compose_the_reference() -> None:
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    conv_param = {"stride": 1, "pad": 1}
    out, _ = conv_layer_utils.conv_relu_forward(x, w, b, conv_param)
    np.testing.assert_allclose(out, ref_clu.conv_relu(t(x), t(w), t(b), conv_param).numpy(), atol=1e-12)
    out, _ = conv_layer_utils.conv_relu_pool_forward(x, w, b, conv_param, POOL_2X2)
    expected = ref_clu.conv_relu_pool(t(x), t(w), t(b), conv_param, POOL_2X2).numpy()
    np.testing.assert_allclose(out, expected, atol=1e-12)


def test_three_layer_conv_net_initial_loss_and_shapes() -> None:
    # the course's sanity check: small weights give uniform scores, loss log(C)
    np.random.seed(0)
    N, C, H, W, classes = 4, 3, 8, 8, 10
    X = np.random.randn(N, C, H, W)
    y = np.random.randint(classes, size=N)
    model = cnn.ThreeLayerConvNet(input_dim=(C, H, W), num_filters=5, filter_size=3, hidden_dim=7, dtype=np.float64)
    assert model.params["W1"].shape == (5, 3, 3, 3) and model.params["W2"].shape == (5 * 4 * 4, 7)
    assert model.loss(X).shape == (N, classes)
    loss, grads = model.loss(X, y)
    assert loss == pytest.approx(np.log(classes), abs=1e-3)
    assert {k: v.shape for k, v in grads.items()} == {k: v.shape for k, v in model.params.items()}
    model.reg = 0.5
    reg_loss = 0.25 * sum(np.sum(model.params[k] ** 2) for k in ("W1", "W2", "W3"))
    assert model.loss(X, y)[0] == pytest.approx(loss + reg_loss, rel=1e-12)
    params = {k: t(v) for k, v in model.params.items()}
    expected = ref_cnn.three_layer_conv_net_loss(params, t(X), t(y), 0.5).item()
    assert model.loss(X, y)[0] == pytest.approx(expected, rel=1e-12)
