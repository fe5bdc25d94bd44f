"""CMU 11-785 MyTorch's course profile: layer objects whose gradients are attributes, losses
with ``backward()``, the S23 and S24 editions, and a student's ``mytorch/`` package checked
in the sandbox as the course lays it out."""

from __future__ import annotations

import dataclasses
import inspect
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gradverify.impl.mytorch.activation as act
import gradverify.impl.mytorch.linear as lin
import gradverify.impl.mytorch.loss as loss
from gradverify.cli import main as cli
from gradverify.core.engine import check_case
from gradverify.core.sampling import RANDOM
from gradverify.core.spec import OpSpec, Variant
from gradverify.core.status import Status
from gradverify.specs import registry

MYTORCH = {s.name: s for s in registry.COURSES["mytorch"]}


def records_of(spec: OpSpec, seeds: range, dtypes=("float64", "float32")) -> list:
    return [
        r
        for seed in seeds
        for dtype in dtypes
        for case in (RANDOM, *spec.edge_cases)
        for r in check_case(spec, dtype, case, seed)
    ]


def with_class(op: str, variant: str, cls: type) -> OpSpec:
    spec = MYTORCH[op]
    return spec.with_variants(Variant(variant, dataclasses.replace(spec.variant(variant).adapter, cls=cls)))


def failing(records: list) -> set[str]:
    return {r.quantity for r in records if r.status.failing}


@pytest.mark.parametrize("op", MYTORCH)
def test_answer_key_passes_over_many_seeds_in_both_dtypes(op: str) -> None:
    records = records_of(MYTORCH[op], range(8))
    bad = [(r.variant, r.dtype, r.case, r.seed, r.quantity, r.message) for r in records if r.status.failing]
    assert not bad, bad[:3]


class LinearS23(lin.Linear):
    """A 2023 student's Linear: no edition argument, dLdW and dLdb divided by N."""

    def __init__(self, in_features, out_features, debug=False):
        super().__init__(in_features, out_features, debug)

    def backward(self, dLdZ):
        dLdA = super().backward(dLdZ)
        self.dLdW, self.dLdb = self.dLdW / self.N, self.dLdb / self.N
        return dLdA


def test_s23_linear_passes_its_edition_and_is_off_by_n_in_s24() -> None:
    assert not failing(records_of(with_class("mytorch.linear", "S23", LinearS23), range(4)))
    records = records_of(with_class("mytorch.linear", "S24", LinearS23), range(4), ("float64",))
    assert failing(records) == {"dW", "db"}  # dLdA carries no 1/N in either edition
    caught = [r for r in records if r.status == Status.FAIL and r.quantity == "dW"]
    assert all(r.diagnosis == "grad_scale" and "1/N" in r.message for r in caught)


class SigmoidS23(act.Sigmoid):
    """The S23 handout's activation: backward() takes nothing and returns dA/dZ."""

    def backward(self):
        return self.A * (1 - self.A)


def test_s23_activation_returning_the_derivative_passes_its_edition() -> None:
    assert not failing(records_of(with_class("mytorch.sigmoid", "S23", SigmoidS23), range(4)))
    records = records_of(with_class("mytorch.sigmoid", "S24", SigmoidS23), range(1), ("float64",))
    assert {r.diagnosis for r in records if r.status.failing} == {"exception"}  # backward(dLdA): too many args


class MSELossS23(loss.MSELoss):
    def __init__(self):
        super().__init__()

    def forward(self, A, Y):
        return super().forward(A, Y) / 2

    def backward(self):
        return super().backward() / 2


def test_s23_half_mse_passes_its_edition_and_fails_s24_on_value_and_gradient() -> None:
    assert not failing(records_of(with_class("mytorch.mse_loss", "S23", MSELossS23), range(4)))
    records = records_of(with_class("mytorch.mse_loss", "S24", MSELossS23), range(3), ("float64",))
    assert failing(records) == {"loss", "dA"}
    assert {r.diagnosis for r in records if r.quantity == "dA" and r.status.failing} == {"grad_scale"}


def test_a_gradient_attribute_never_set_is_named() -> None:
    class LinearForgetsBias(lin.Linear):
        def backward(self, dLdZ):
            dLdA = super().backward(dLdZ)
            del self.dLdb
            return dLdA

    records = records_of(with_class("mytorch.linear", "S24", LinearForgetsBias), range(1), ("float64",))
    assert {r.diagnosis for r in records} == {"bad_return"}
    assert all(r.message.endswith("LinearForgetsBias.backward stored no dLdb") for r in records)


def test_rnn_cell_parameter_gradients_are_averaged_and_its_inputs_are_not() -> None:
    import gradverify.impl.mytorch.rnn as rnn

    class RNNCellSummed(rnn.RNNCell):
        def backward(self, delta, h_t, h_prev_l, h_prev_t):
            out = super().backward(delta, h_t, h_prev_l, h_prev_t)
            for k in ("dW_ih", "dW_hh", "db_ih", "db_hh"):
                setattr(self, k, getattr(self, k) * delta.shape[0])
            return out

    records = records_of(with_class("mytorch.rnn_cell", "S24", RNNCellSummed), range(3), ("float64",))
    assert failing(records) <= {"dW_ih", "dW_hh", "db_ih", "db_hh"} and "dW_ih" in failing(records)


def test_batchnorm_running_statistics_follow_alpha() -> None:
    import gradverify.impl.mytorch.batchnorm as bn

    class BatchNormTorchMomentum(bn.BatchNorm1d):
        def forward(self, Z, eval=False):
            old_M, old_V = self.running_M, self.running_V
            out = super().forward(Z, eval)
            # torch's convention: alpha weighs the new statistic
            self.running_M = (1 - self.alpha) * old_M + self.alpha * self.M
            self.running_V = (1 - self.alpha) * old_V + self.alpha * self.V
            return out

    records = records_of(with_class("mytorch.batchnorm1d", "S24", BatchNormTorchMomentum), range(3), ("float64",))
    assert failing(records) == {"next_running_M", "next_running_V"}


@pytest.fixture(scope="module")
def mytorch_package(tmp_path_factory) -> Path:
    """A student's mytorch/ package, laid out as the handout's (one module per layer kind)."""
    root = tmp_path_factory.mktemp("hw") / "mytorch"
    shutil.copytree(Path(inspect.getfile(lin)).parent, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_a_mytorch_package_is_checked_as_the_course_without_flags(mytorch_package: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    ops = "mytorch.linear,mytorch.relu,mytorch.cross_entropy_loss,mytorch.batchnorm1d,mytorch.conv1d,mytorch.rnn_cell"
    code = cli.main(["check", str(mytorch_package), "--ops", ops, "--cases", "1", "-q", "--out", str(out)])
    frame = pd.read_csv(out / "results.csv")
    assert code == 0, frame[frame["status"] != "pass"]
    assert set(frame["op"]) == set(ops.split(","))
    assert {"dW", "dBW", "dW_ih"} <= set(frame["quantity"])  # attributes read through the sandbox


def test_the_latest_edition_is_checked_first_and_others_named(mytorch_package: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "r"
    code = cli.main(["check", str(mytorch_package), "--course", "mytorch", "--cases", "1", "--dtypes", "float64",
                     "--out", str(out)])  # fmt: skip
    frame = pd.read_csv(out / "results.csv")
    assert code == 0
    assert set(frame[frame["op"] == "mytorch.linear"]["variant"]) == {"S24"}
    printed = capsys.readouterr()
    assert "mytorch.linear: checked as edition S24, else as S23" in printed.out + printed.err
    assert np.isin(list(MYTORCH), frame["op"]).all()
