"""Recurrent layers and update rules: correct code never fails, every mutant is caught, and
the course notebooks' known answers hold on both the NumPy and the torch side."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bugzoo import Mutant, run_mutant
from bugzoo_rnn import MUTANTS, _rule, sgd_in_place
from gradverify.core.engine import check_case
from gradverify.core.sampling import RANDOM
from gradverify.core.spec import OpSpec, Variant
from gradverify.impl.cs231n import optim, rnn_layers
from gradverify.reference.cs231n import optim as ref_optim
from gradverify.reference.cs231n import rnn_layers as ref_rnn
from gradverify.run.sweep import sweep
from gradverify.specs.cs231n import optim as optim_specs
from gradverify.specs.cs231n import rnn_layers as rnn_specs
from gradverify.specs.registry import select

SPECS: tuple[OpSpec, ...] = (*rnn_specs.SPECS, *optim_specs.SPECS)
BY_NAME = {s.name: s for s in SPECS}
DTYPES = ("float64", "float32")


def _problems(spec: OpSpec, dtype: str, case: str, seed: int) -> list[tuple[str, str, str]]:
    records = check_case(spec, dtype, case, seed)
    assert {r.quantity for r in records} >= set(spec.outputs) | {f"d{w}" for w in spec.wrt}
    return [(r.quantity, r.status, r.message) for r in records if r.status in ("fail", "error")]


# --- correct implementations ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "case"),
    [(s, c) for s in SPECS for c in (RANDOM, *s.edge_cases)],
    ids=lambda v: v.name if isinstance(v, OpSpec) else v,
)
def test_every_case_passes_in_both_dtypes(spec: OpSpec, case: str) -> None:
    for seed in range(3):
        for dtype in DTYPES:
            bad = _problems(spec, dtype, case, seed)
            assert not bad, f"{spec.name} {dtype} {case}:{seed}: {bad}"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@settings(max_examples=12, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), dtype=st.sampled_from(DTYPES), pick=st.integers(0, 100))
def test_correct_implementations_never_fail(spec: OpSpec, seed: int, dtype: str, pick: int) -> None:
    kinds = (RANDOM, *spec.edge_cases)
    case = kinds[pick % len(kinds)]
    bad = _problems(spec, dtype, case, seed)
    assert not bad, f"{spec.name} {dtype} {case}:{seed}: {bad}"


@pytest.mark.parametrize("spec", rnn_specs.SPECS, ids=lambda s: s.name)
def test_finite_differences_agree(spec: OpSpec) -> None:
    for seed in range(3):
        for r in check_case(spec, "float64", RANDOM, seed, thorough=True):
            if r.quantity.startswith("d") and r.quantity[1:] in spec.wrt:
                assert r.fd_verdict == "agree", r


def test_samples_hold_their_edge_cases() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rnn_specs.embedding_sample(rng, RANDOM)["x"]
        assert x.size == 1 or len(np.unique(x)) < x.size, "a repeated word in every multi-word sample"
        assert len(np.unique(rnn_specs.embedding_sample(rng, rnn_specs.REPEATED)["x"])) == 1
        mask = rnn_specs.temporal_softmax_sample(rng, rnn_specs.MASKED_ROWS)["mask"]
        assert (~mask.any(axis=1)).any()
        for case in (RANDOM, rnn_specs.T1):
            sample = rnn_specs._recurrent_sample(rng, case, gates=4, sequence=True, cell=False)
            assert sample["Wx"].shape[1] == 4 * sample["h0"].shape[1]
            assert case != rnn_specs.T1 or sample["x"].shape[1] == 1
    assert optim_specs._sampler("adam")(rng, optim_specs.DEFAULTS).static["config"] is None
    assert optim_specs._sampler("sgd")(rng, optim_specs.ONE_STEP)["dws"].shape[0] == 1


# --- mutants ----------------------------------------------------------------------------------


def _mutant(op: str, name: str) -> Mutant:
    return next(m for m in MUTANTS if (m.op, m.name) == (op, name))


def test_backward_slips_are_blamed_on_the_backward_pass() -> None:
    for op in ("lstm_step", "rnn_step"):
        name = "forget_gate_slip" if op == "lstm_step" else "tanh_derivative_not_squared"
        failing = [r for r in run_mutant(_mutant(op, name), cases=2) if r.status == "fail"]
        assert failing and all("the backward pass is wrong" in r.message for r in failing)


def test_swapped_gates_are_blamed_on_the_forward_pass() -> None:
    records = run_mutant(_mutant("lstm_step", "gate_order_if"), cases=2)
    grads = [r for r in records if r.quantity == "dWx" and r.status == "fail"]
    assert grads and all("the forward pass computes a different function" in r.message for r in grads)


def test_velocity_sign_follows_the_right_trajectory() -> None:
    # only the course's state exposes it: why the state entries are compared at all
    records = run_mutant(_mutant("sgd_momentum", "velocity_sign"))
    assert all(r.status == "pass" for r in records if r.quantity == "trajectory")


def test_the_courses_in_place_sgd_passes_every_step() -> None:
    # the course's own sgd does w -= lr * dw and returns w: each step is copied before the next
    spec = next(s for s in select(["sgd"]))
    spec = spec.with_variants(Variant("in_place", _rule("sgd", sgd_in_place)))
    records = [r for batch in sweep([spec], ["float64", "float32"], 0, 2) for r in batch]
    assert records and all(r.status == "pass" for r in records)


def test_epsilon_under_the_root_shows_on_tiny_gradients() -> None:
    records = run_mutant(_mutant("rmsprop", "epsilon_under_root"), cases=1)
    tiny = {r.status for r in records if r.case == optim_specs.TINY and r.quantity == "trajectory"}
    assert tiny == {"fail"}


# --- known answers (the course notebooks) ------------------------------------------------------


def _lin(lo: float, hi: float, *shape: int) -> np.ndarray:
    return np.linspace(lo, hi, num=int(np.prod(shape))).reshape(shape)


def _torch(*arrays: np.ndarray) -> list[torch.Tensor]:
    return [torch.from_numpy(a) for a in arrays]


def test_rnn_step_forward_known_answer() -> None:
    N, D, H = 3, 10, 4
    args = (_lin(-0.4, 0.7, N, D), _lin(-0.2, 0.5, N, H), _lin(-0.1, 0.9, D, H), _lin(-0.3, 0.7, H, H))
    args += (_lin(-0.2, 0.4, H),)
    expected = [
        [-0.58172089, -0.50182032, -0.41232771, -0.31410098],
        [0.66854692, 0.79562378, 0.87755553, 0.92795967],
        [0.97934501, 0.99144213, 0.99646691, 0.99854353],
    ]
    np.testing.assert_allclose(rnn_layers.rnn_step_forward(*args)[0], expected, atol=1e-8)
    np.testing.assert_allclose(ref_rnn.rnn_step(*_torch(*args)).numpy(), expected, atol=1e-8)


def test_rnn_forward_known_answer() -> None:
    N, T, D, H = 2, 3, 4, 5
    args = (_lin(-0.1, 0.3, N, T, D), _lin(-0.3, 0.1, N, H), _lin(-0.2, 0.4, D, H), _lin(-0.4, 0.1, H, H))
    args += (_lin(-0.7, 0.1, H),)
    expected = [
        [
            [-0.42070749, -0.27279261, -0.11074945, 0.05740409, 0.22236251],
            [-0.39525808, -0.22554661, -0.0409454, 0.14649412, 0.32397316],
            [-0.42305111, -0.24223728, -0.04287027, 0.15997045, 0.35014525],
        ],
        [
            [-0.55857474, -0.39065825, -0.19198182, 0.02378408, 0.23735671],
            [-0.27150199, -0.07088804, 0.13562939, 0.33099728, 0.50158768],
            [-0.51014825, -0.30524429, -0.06755202, 0.17806392, 0.40333043],
        ],
    ]
    np.testing.assert_allclose(rnn_layers.rnn_forward(*args)[0], expected, atol=1e-8)
    np.testing.assert_allclose(ref_rnn.rnn(*_torch(*args)).numpy(), expected, atol=1e-8)


def test_word_embedding_forward_known_answer() -> None:
    x, W = np.asarray([[0, 3, 1, 2], [2, 1, 0, 3]]), _lin(0, 1, 5, 3)
    rows = [[0.0, 0.07142857, 0.14285714], [0.21428571, 0.28571429, 0.35714286]]
    rows += [[0.42857143, 0.5, 0.57142857], [0.64285714, 0.71428571, 0.78571429]]
    expected = np.asarray(rows)[x]
    np.testing.assert_allclose(rnn_layers.word_embedding_forward(x, W)[0], expected, atol=1e-8)
    np.testing.assert_allclose(ref_rnn.word_embedding(*_torch(x, W)).numpy(), expected, atol=1e-8)
    # a word used twice collects both gradients
    dW = rnn_layers.word_embedding_backward(np.ones((2, 4, 3)), (x, W))
    np.testing.assert_array_equal(dW[:4], np.full((4, 3), 2.0))
    np.testing.assert_array_equal(dW[4], np.zeros(3))


def test_lstm_step_forward_known_answer() -> None:
    N, D, H = 3, 4, 5
    args = (_lin(-0.4, 1.2, N, D), _lin(-0.3, 0.7, N, H), _lin(-0.4, 0.9, N, H))
    args += (_lin(-2.1, 1.3, D, 4 * H), _lin(-0.7, 2.2, H, 4 * H), _lin(0.3, 0.7, 4 * H))
    expected_h = [
        [0.24635157, 0.28610883, 0.32240467, 0.35525807, 0.38474904],
        [0.49223563, 0.55611431, 0.61507696, 0.66844003, 0.7159181],
        [0.56735664, 0.66310127, 0.74419266, 0.80889665, 0.858299],
    ]
    expected_c = [
        [0.32986176, 0.39145139, 0.451556, 0.51014116, 0.56717407],
        [0.66382255, 0.76674007, 0.87195994, 0.97902709, 1.08751345],
        [0.74192008, 0.90592151, 1.07717006, 1.25120233, 1.42395676],
    ]
    for next_h, next_c in (rnn_layers.lstm_step_forward(*args)[:2], ref_rnn.lstm_step(*_torch(*args))):
        np.testing.assert_allclose(np.asarray(next_h), expected_h, atol=1e-8)
        np.testing.assert_allclose(np.asarray(next_c), expected_c, atol=1e-8)


def test_lstm_forward_known_answer() -> None:
    N, D, H, T = 2, 5, 4, 3
    args = (_lin(-0.4, 0.6, N, T, D), _lin(-0.4, 0.8, N, H), _lin(-0.2, 0.9, D, 4 * H))
    args += (_lin(-0.3, 0.6, H, 4 * H), _lin(0.2, 0.7, 4 * H))
    expected = [
        [
            [0.01764008, 0.01823233, 0.01882671, 0.0194232],
            [0.11287491, 0.12146228, 0.13018446, 0.13902939],
            [0.31358768, 0.33338627, 0.35304453, 0.37250975],
        ],
        [
            [0.45767879, 0.4761092, 0.4936887, 0.51041945],
            [0.6704845, 0.69350089, 0.71486014, 0.7346449],
            [0.81733511, 0.83677871, 0.85403753, 0.86935314],
        ],
    ]
    np.testing.assert_allclose(rnn_layers.lstm_forward(*args)[0], expected, atol=1e-8)
    np.testing.assert_allclose(ref_rnn.lstm(*_torch(*args)).numpy(), expected, atol=1e-8)


@pytest.mark.parametrize(("N", "T", "V", "p"), [(100, 1, 10, 1.0), (100, 10, 10, 1.0), (50, 10, 10, 0.1)])
def test_temporal_softmax_loss_of_uniform_scores(N: int, T: int, V: int, p: float) -> None:
    """The notebook's sanity check (about 2.3, 23 and 2.3), exact for all-zero scores:
    sum(mask) * log(V) / N, divided by N whatever the mask."""
    rng = np.random.default_rng(0)
    x, y, mask = np.zeros((N, T, V)), rng.integers(0, V, size=(N, T)), rng.random((N, T)) <= p
    expected = mask.sum() * np.log(V) / N
    assert rnn_layers.temporal_softmax_loss(x, y, mask)[0] == pytest.approx(expected, rel=1e-12)
    assert ref_rnn.temporal_softmax_loss(*_torch(x, y, mask)).item() == pytest.approx(expected, rel=1e-12)


# w, dw and one state array as in the notebooks' checks of one update from a given state
W, DW, S1, S2 = _lin(-0.4, 0.6, 4, 5), _lin(-0.6, 0.4, 4, 5), _lin(0.6, 0.9, 4, 5), _lin(0.7, 0.5, 4, 5)
OPTIM_ANSWERS = {
    "sgd_momentum": (
        {"learning_rate": 1e-3, "velocity": S1},
        [0.1406, 0.20738947, 0.27417895, 0.34096842, 0.40775789],
        {"velocity": [0.5406, 0.55475789, 0.56891579, 0.58307368, 0.59723158]},
    ),
    "rmsprop": (
        {"learning_rate": 1e-2, "cache": S1},
        [-0.39223849, -0.34037513, -0.28849239, -0.23659121, -0.18467247],
        {"cache": [0.5976, 0.6126277, 0.6277108, 0.64284931, 0.65804321]},
    ),
    "adam": (
        {"learning_rate": 1e-2, "m": S1, "v": S2, "t": 5},
        [-0.40094747, -0.34836187, -0.29577703, -0.24319299, -0.19060977],
        {
            "v": [0.69966, 0.68908382, 0.67851319, 0.66794809, 0.65738853],
            "m": [0.48, 0.49947368, 0.51894737, 0.53842105, 0.55789474],
            "t": 6,
        },
    ),
}
"""rule -> (config, first row of next_w, first row (or value) of each state entry)."""


@pytest.mark.parametrize("rule", OPTIM_ANSWERS)
def test_update_rule_known_answer(rule: str) -> None:
    config, next_w_row, state_rows = OPTIM_ANSWERS[rule]
    next_w, new_config = getattr(optim, rule)(W, DW, dict(config))
    torch_result = getattr(ref_optim, rule)(*_torch(W, DW[None]), config)
    np.testing.assert_allclose(next_w[0], next_w_row, atol=1e-8)
    np.testing.assert_allclose(torch_result["trajectory"][0, 0].numpy(), next_w_row, atol=1e-8)
    for key, row in state_rows.items():
        for got in (np.asarray(new_config[key]), torch_result[key].numpy()):
            np.testing.assert_allclose(got[0] if got.ndim else got, row, atol=1e-8)


@pytest.mark.parametrize("rule", ["sgd", "sgd_momentum", "rmsprop", "adam"])
def test_config_defaults_are_filled_in_place(rule: str) -> None:
    config: dict = {}
    _, returned = getattr(optim, rule)(W.copy(), DW, config)
    assert returned is config
    assert {k: config[k] for k in ref_optim.DEFAULTS[rule]} == ref_optim.DEFAULTS[rule]


# --- dtypes and numerics -------------------------------------------------------------------------


def test_float32_stays_float32() -> None:
    rng = np.random.default_rng(1)
    for spec in SPECS:
        sample = spec.sample(rng, RANDOM).cast("float32")
        outcome = spec.variants[0].adapter.run(sample, _upstreams(spec, sample))
        for name, value in {**outcome.outputs, **outcome.grads}.items():
            if isinstance(value, np.ndarray) and name != "trajectory":
                assert value.dtype == np.float32, (spec.name, name)


def _upstreams(spec: OpSpec, sample) -> dict[str, np.ndarray]:
    outputs = spec.variants[0].adapter.forward(sample)
    return {k: np.ones_like(np.asarray(outputs[k])) for k, how in spec.outputs.items() if how is not None}


def test_sigmoid_is_stable_far_from_zero() -> None:
    x = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = rnn_layers.sigmoid(x)
        s32 = rnn_layers.sigmoid(x.astype(np.float32))
    np.testing.assert_allclose(s, torch.sigmoid(torch.from_numpy(x)).numpy(), rtol=1e-15, atol=0)
    assert s32.dtype == np.float32
