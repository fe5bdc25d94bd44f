"""``gradverify.verify`` and ``assert_verified`` on custom layers that are in no course: every
correct one passes over many seeds, every wrong one is caught with an apt diagnosis."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import gradverify
import own_layers as L
from gradverify.ownops.inputs import sampler
from own_catalogue import OPS, WRONG

FAILING = ("fail", "error")


def failing(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["status"].isin(FAILING)]


@settings(max_examples=40)
@given(name=st.sampled_from(sorted(OPS)), seed=st.integers(0, 2**32 - 1))
def test_every_correct_layer_passes_on_any_seed(name: str, seed: int) -> None:
    frame = OPS[name].verify(cases=2, seed=seed)
    assert failing(frame).empty, failing(frame)[["function", "quantity", "dtype", "case", "message"]].to_string()
    assert set(frame["dtype"]) == {"float64", "float32"}
    assert set(frame["status"]) <= {"pass", "kink"}


WRONG_IDS = [next(f.__name__ for f in reversed(w[1]) if f) for w in WRONG]


@pytest.mark.parametrize("name, implementation, code, blame", WRONG, ids=WRONG_IDS)
def test_every_wrong_layer_is_caught_with_its_diagnosis(name, implementation, code, blame) -> None:
    frame = OPS[name].verify(*implementation, cases=5, seed=3)
    bad = failing(frame)
    assert not bad.empty, f"{implementation} was not caught"
    assert (bad["status"] == "fail").all()
    assert code in set(bad["diagnosis"]), bad[["quantity", "diagnosis", "message"]].to_string()
    if blame is not None:  # blamed by finite differences of the implementation's own forward pass
        assert set(bad["blame"]) == {blame}
        grads = bad[bad["quantity"].str.startswith("d")]
        assert grads.empty or grads["fd_verdict"].isin(["agree", "disagree"]).all()


def test_a_wrong_forward_is_named_on_its_output_and_blamed_for_the_gradient() -> None:
    frame = OPS["glu"].verify(L.glu_tanh_forward, L.glu_tanh_backward, dtypes="float64")
    bad = failing(frame)
    assert set(bad.loc[bad["quantity"] == "out", "diagnosis"]) == {"forward_mismatch"}
    dx = bad[bad["quantity"] == "dx"]
    assert (dx["fd_verdict"] == "agree").all() and (dx["blame"] == "forward").all()


def test_dimension_names_are_drawn_per_case_and_shared_across_inputs() -> None:
    frame = OPS["huber"].verify(cases=8, dtypes="float64")
    shapes = frame.drop_duplicates("seed")["shape"]
    pairs = [re.fullmatch(r"x=\((.*)\) y=\((.*)\)", s).groups() for s in shapes]
    assert all(x == y for x, y in pairs)
    assert len(set(pairs)) > 3  # shapes vary from case to case
    edge = frame[frame["case"] == "N=1"]["shape"].iloc[0]
    assert edge.startswith("x=(1, ") and set(frame["case"]) == {"random", "N=1", "D=1"}


def test_labels_cover_every_class_and_classes_start_at_two() -> None:
    draw = sampler({"x": ("N", "C"), "y": gradverify.labels("N", classes="C")})
    assert draw.edge_cases == ("N=1", "C=2")
    for seed in range(30):
        s = draw(np.random.default_rng(seed), "random")
        n, c = s["x"].shape
        assert s["y"].dtype == np.int64 and s["y"].shape == (n,) and c >= 2
        assert set(s["y"]) == set(range(c)) if n >= c else set(s["y"]) <= set(range(c))
    assert draw(np.random.default_rng(0), "C=2")["x"].shape[1] == 2


def test_masks_positive_values_custom_samplers_and_fixed_values() -> None:
    fixed = np.arange(6.0).reshape(2, 3)
    draw = sampler(
        {
            "m": gradverify.mask("N", "D", p=0.5),
            "v": gradverify.positive("D", low=0.5, high=1.0),
            "r": lambda rng: rng.uniform(3, 4, size=(2,)),
            "k": lambda rng, dims: np.zeros((dims["N"], 2 * dims["H"])),  # H: a size no shape names
            "a": fixed,
            "p": {"stride": 2},
        },
        sizes={"N": (3, 3), "H": (2, 2)},
    )
    s = draw(np.random.default_rng(1), "random")
    n, d = s["m"].shape
    assert s["m"].dtype == bool and n == 3 and s["v"].shape == (d,)
    assert (s["v"] >= 0.5).all() and (s["v"] < 1).all() and (s["r"] >= 3).all() and s["k"].shape == (3, 4)
    assert np.array_equal(s["a"], fixed) and s["p"] == {"stride": 2} and "p" in s.static


def test_wrt_defaults_to_every_floating_array_input() -> None:
    assert set(OPS["layerscale"].verify(cases=1)["quantity"]) == {"out", "dx", "dgamma"}
    assert set(OPS["smoothed_ce"].verify(cases=1)["quantity"]) == {"loss", "dx"}  # labels and eps are not
    assert set(OPS["rmsnorm"].verify(cases=1)["quantity"]) == {"out"}  # a forward alone


def test_a_record_replays_to_the_same_numbers() -> None:
    frame = OPS["swish"].verify(L.swish_forward, L.swish_backward_doubled, cases=3)
    record = failing(frame).iloc[-1]
    replay = re.search(r"replay='([^']+)'", record["reproduce"]).group(1)
    again = OPS["swish"].verify(L.swish_forward, L.swish_backward_doubled, dtypes=[record["dtype"]], replay=replay)
    same = again[again["quantity"] == record["quantity"]].iloc[0]
    assert (same["seed"], same["shape"], same["max_abs_err"]) == (
        record["seed"],
        record["shape"],
        record["max_abs_err"],
    )
    with pytest.raises(ValueError, match="no case of swish"):
        OPS["swish"].verify(replay="ties:1")


def test_declared_kinks_turn_a_subgradient_into_a_kink_not_a_failure() -> None:
    integers = {"x": lambda rng: rng.integers(-2, 3, size=(4, 5)).astype(float)}  # zeros in every case
    options = dict(reference=lambda x: torch.nn.functional.relu6(x), inputs=integers, dtypes="float64")
    plain = gradverify.verify(L.relu6_forward, L.relu6_backward, **options)
    assert set(failing(plain)["quantity"]) == {"dx"}
    kinked = gradverify.verify(L.relu6_forward, L.relu6_backward, kinks=OPS["relu6"].options["kinks"], **options)
    assert failing(kinked).empty and "kink" in set(kinked["status"])
    assert "ties" in set(OPS["relu6"].verify(cases=1)["case"])  # declared kinks add integer-valued cases


def test_tolerances_override_the_default_per_dtype() -> None:
    def off_by_1e5(dout, cache):
        return L.swish_backward(dout, cache) * (1 + 1e-5)

    strict = OPS["swish"].verify(L.swish_forward, off_by_1e5, cases=2)
    assert set(failing(strict)["dtype"]) == {"float64"}  # within float32's default, not float64's
    loose = OPS["swish"].verify(L.swish_forward, off_by_1e5, cases=2, tolerances={"float64": (1e-4, 1e-12)})
    assert failing(loose).empty and set(loose["rtol"]) == {1e-4, 1e-3}


def test_assert_verified_groups_failures_with_diagnoses_and_replays() -> None:
    op = OPS["smoothed_ce"]
    with pytest.raises(AssertionError) as raised:
        gradverify.assert_verified(L.smoothed_ce_loss_no_mean, name=op.name, cases=3, **op.options)
    text = str(raised.value)
    assert text.startswith("gradverify: ") and "of smoothed_ce fail or error" in text
    assert "smoothed_ce_loss_no_mean dx: fail [grad_scale] in " in text
    assert "the average over N is missing" in text  # the roles name the batch size
    assert re.search(r"replay: gradverify\.verify\(smoothed_ce_loss_no_mean, \.\.\., dtypes=\['float\d\d'\]", text)
    assert isinstance(raised.value, gradverify.VerificationFailed) and len(raised.value.frame) > 0
    frame = gradverify.assert_verified(L.smoothed_ce_loss, name=op.name, cases=1, **op.options)
    assert (frame["status"] == "pass").all()


def test_implementation_faults_become_error_records() -> None:
    mutated = gradverify.verify(
        L.scale_inplace_forward, L.scale_backward, reference=lambda x: 2 * x, inputs={"x": ("N",)}, cases=1
    )
    assert "input_mutated" in set(failing(mutated)["diagnosis"])
    wrong_arity = gradverify.verify(L.huber_loss, reference=lambda x, y: x.sum(), inputs={"x": (3,), "y": (3,)})
    assert set(failing(wrong_arity)["diagnosis"]) == {"bad_return"}  # one gradient returned for x and y
    broken = gradverify.verify(L.huber_loss, reference=lambda x, y: 1 / 0, inputs={"x": (3,), "y": (3,)}, wrt="x")
    assert set(broken["diagnosis"]) == {"internal_error"} and "ZeroDivisionError" in broken["message"].iloc[0]


@pytest.mark.parametrize(
    "call, message",
    [
        (dict(inputs={"x": ("N", 2.5)}), "whole numbers >= 0 and dimension names"),
        (dict(inputs={"x": ("N",), "y": gradverify.labels("N", classes=3)}, wrt="y"), "wrt must name floating"),
        (dict(inputs={"y": gradverify.labels("N", classes=3)}), "no input is a floating-point array"),
        (dict(inputs={"x": ("N",)}, tolerances={"float16": 1e-2}), "unknown dtype float16"),
        (dict(inputs={"x": ("N",)}, sizes={"N": (0.5, 2)}), "sizes['N'] must be (low, high)"),
        (dict(inputs={"x": ("N",), "y": gradverify.labels("N", classes="C")}, sizes={"C": (1, 3)}), "2 <= low"),
        (dict(inputs={"x": ("N",)}, dtypes=["float16"]), "dtypes must be among float64, float32"),
        (dict(inputs={"x": ("N",)}, reference=3), "reference must be a torch function"),
        (dict(inputs={"x": ("N",)}, cases=-1), "cases must be a whole number"),
    ],
)
def test_bad_declarations_fail_with_a_clear_message(call: dict, message: str) -> None:
    options = {"reference": lambda x: x, **call}
    with pytest.raises(ValueError, match=re.escape(message)):
        gradverify.verify(L.swish_forward, L.swish_backward, **options)


def test_a_forward_alone_takes_no_wrt() -> None:
    with pytest.raises(ValueError, match="wrt needs a backward"):
        gradverify.verify(L.relu6_forward, None, reference=lambda x: x, inputs={"x": ("N",)}, wrt="x")
