"""deeplearning.ai's course profile: its correct code passes across seeds and dtypes, its
conventions (1/m on dW and db only, dA = m dJ/dA, dict gradients, editions) are accepted, and
code that breaks them is caught with a diagnosis a student can act on."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gradverify.impl.dls.deep_nn as nn
import gradverify.impl.dls.optimization as opt
from gradverify.cli import main as cli
from gradverify.core.engine import check_case
from gradverify.core.sampling import RANDOM
from gradverify.core.spec import OpSpec, Variant
from gradverify.core.status import Status
from gradverify.specs import registry

DLS = {s.name: s for s in registry.COURSES["dls"]}


def records_of(spec: OpSpec, seeds: range, dtypes=("float64", "float32")) -> list:
    return [
        r
        for seed in seeds
        for dtype in dtypes
        for case in (RANDOM, *spec.edge_cases)
        for r in check_case(spec, dtype, case, seed)
    ]


def with_backward(op: str, variant: str, backward) -> OpSpec:
    spec = DLS[op]
    adapter = dataclasses.replace(spec.variant(variant).adapter, backward_fn=backward)
    return spec.with_variants(Variant(variant, adapter))


@pytest.mark.parametrize("op", DLS)
def test_answer_key_passes_over_many_seeds_in_both_dtypes(op: str) -> None:
    records = records_of(DLS[op], range(12))
    bad = [(r.variant, r.dtype, r.case, r.seed, r.quantity, r.message) for r in records if r.status.failing]
    assert not bad, bad[:3]
    assert {r.dtype for r in records} == {"float32", "float64"}


def test_dW_and_db_carry_one_over_m_and_dA_prev_does_not() -> None:
    """The declared scaling: the course's dW = (1/m) dZ A^T is correct, and a 1/m on dA_prev
    as well (the gradient that keeps flowing) is a failure of dA_prev alone, named as a 1/m."""

    def linear_backward_dA_averaged(dZ, cache):
        dA_prev, dW, db = nn.linear_backward(dZ, cache)
        return dA_prev / cache[0].shape[1], dW, db

    records = records_of(with_backward("dls.linear", "vectorized", linear_backward_dA_averaged), range(3))
    failing = {r.quantity for r in records if r.status == Status.FAIL}
    assert failing == {"dA_prev"}
    multi = [r for r in records if r.quantity == "dA_prev" and r.status == Status.FAIL]
    assert all(r.diagnosis == "grad_scale" and "1/N" in r.message for r in multi)


def test_forgetting_the_average_on_dW_is_named_as_the_missing_one_over_m() -> None:
    def linear_backward_summed(dZ, cache):
        dA_prev, dW, db = nn.linear_backward(dZ, cache)
        m = cache[0].shape[1]
        return dA_prev, dW * m, db * m

    records = records_of(with_backward("dls.linear", "vectorized", linear_backward_summed), range(3), ("float64",))
    caught = [r for r in records if r.quantity == "dW" and r.status == Status.FAIL]
    assert caught and all("average over N is missing" in r.message for r in caught)
    assert all(r.status == Status.PASS for r in records if r.quantity == "dA_prev")


def test_2017_dA_keys_pass_their_edition_and_are_named_missing_in_the_other() -> None:
    def L_model_backward_2017(AL, Y, caches):  # the 2017 template, written without an option
        return nn.L_model_backward(AL, Y, caches, legacy_keys=True)

    for variant, ok in (("2017_dA_keys", True), ("2021", False)):
        records = records_of(with_backward("dls.L_model", variant, L_model_backward_2017), range(2), ("float64",))
        if ok:
            assert all(r.status == Status.PASS for r in records)
        else:
            assert {r.diagnosis for r in records} == {"bad_return"}
            assert "returned no dA0" in records[0].message


def test_adam_3_tuple_is_the_2017_edition_and_a_bad_return_in_2021s() -> None:
    def update_parameters_with_adam_2017(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999,
                                         epsilon=1e-8):  # fmt: skip
        return opt.update_parameters_with_adam(
            parameters, grads, v, s, t, learning_rate, beta1, beta2, epsilon, return_corrected=False
        )

    spec = DLS["dls.adam"]
    for variant, ok in (("2017", True), ("2021", False)):
        adapter = dataclasses.replace(spec.variant(variant).adapter, fn=update_parameters_with_adam_2017)
        records = records_of(spec.with_variants(Variant(variant, adapter)), range(3))
        if ok:
            assert records and all(r.status == Status.PASS for r in records)
        else:  # how the edition a function follows is told apart
            assert records and {r.diagnosis for r in records} == {"bad_return"}
            assert "a tuple of 5" in records[0].message


def test_an_update_rule_that_changes_its_dicts_in_place_is_no_fault() -> None:
    def update_parameters_in_place(parameters, grads, learning_rate):
        for k in parameters:
            parameters[k] -= learning_rate * grads["d" + k]  # the arrays themselves change
        return parameters

    spec = DLS["dls.update_parameters"]
    adapter = dataclasses.replace(spec.variants[0].adapter, fn=update_parameters_in_place)
    records = records_of(spec.with_variants(Variant("vectorized", adapter)), range(3))
    assert records and all(r.status == Status.PASS for r in records)


def test_a_dropout_backward_must_reuse_the_forward_masks() -> None:
    """The masks are read from the cache: a backward that draws new ones is caught."""
    import gradverify.impl.dls.regularization as reg

    def backward_with_new_masks(X, Y, cache, keep_prob):
        cache = list(cache)
        cache[1] = (np.random.rand(*cache[1].shape) < keep_prob).astype(int)
        return reg.backward_propagation_with_dropout(X, Y, tuple(cache), keep_prob)

    records = records_of(with_backward("dls.dropout", "vectorized", backward_with_new_masks), range(4), ("float64",))
    assert any(r.status == Status.FAIL and r.quantity == "dW1" for r in records)


def test_run_course_dls_runs_only_its_ops(tmp_path: Path) -> None:
    code = cli.main(["run", "--course", "dls", "--cases", "1", "--dtypes", "float64", "-q", "--out", str(tmp_path)])
    frame = pd.read_csv(tmp_path / "results.csv")
    assert code == 0
    assert set(frame["op"]) == set(DLS)


def test_an_unknown_course_is_a_usage_error(capsys) -> None:
    assert cli.main(["run", "--course", "fastai"]) == 2
    assert "invalid choice: 'fastai'" in capsys.readouterr().err


def test_a_notebook_export_is_checked_as_dls_without_flags(tmp_path: Path, capsys) -> None:
    """A week-4 notebook exported with nbconvert: its functions (course names) select the
    course, and everything passes."""
    source = Path(inspect.getfile(nn)).read_text()
    path = tmp_path / "Building_your_Deep_Neural_Network_Step_by_Step.py"
    path.write_text(source.replace("from __future__ import annotations\n", "# In[1]:\n"))
    out = tmp_path / "r"
    code = cli.main(["check", str(path), "--cases", "1", "--dtypes", "float64", "--out", str(out)])
    frame = pd.read_csv(out / "results.csv")
    assert code == 0, frame[frame["status"] != "pass"]
    assert set(frame["op"]) <= set(DLS) and "dls.L_model" in set(frame["op"])
    printed = capsys.readouterr()
    assert "course detected from the names it defines: dls" in printed.out + printed.err


def test_the_course_is_detected_only_from_enough_of_its_names() -> None:
    from gradverify.usercode.course_match import course_specs

    courses = registry.COURSES
    stray = course_specs(courses, None, ["linear_forward", "linear_backward", "swish_forward"], {})
    assert stray == (courses["cs231n"], None)  # two DLS names in someone's own layers: no course
    specs, note = course_specs(courses, None, ["linear_forward", "linear_backward", "L_model_forward"], {})
    assert specs == courses["dls"] and "dls" in note
    assert (
        course_specs(courses, None, ["L_model_forward", "relu", "sigmoid"], {}, claimed={"relu", "sigmoid"})[0]
        == (courses["cs231n"])
    )  # names the user's own declared ops use say nothing
    assert course_specs(courses, "mytorch", [], {}) == (courses["mytorch"], None)
