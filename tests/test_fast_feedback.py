"""The third opinion on demand: a gradient that agrees with the reference gets no finite
difference unless ``thorough`` asks; everything a failure says is the same either way."""

from __future__ import annotations

import numpy as np
import pytest

from all_mutants import MUTANTS
from bugzoo import Mutant
from gradverify.core import finite_diff
from gradverify.core.adapters import ForwardBackward, LossGrad
from gradverify.core.engine import check_case
from gradverify.core.sampling import RANDOM, TIES
from gradverify.core.spec import Variant
from gradverify.impl.cs231n import layers, linear_svm
from gradverify.run.sweep import sweep
from gradverify.specs.registry import select

FD_COLUMNS = {"fd_verdict", "fd_err", "time_s"}


class Counting:
    """A forward/backward pair that counts its forward calls."""

    def __init__(self, forward, backward) -> None:
        self.forward_fn, self.backward_fn, self.calls = forward, backward, 0

    def forward(self, *args):
        self.calls += 1
        return self.forward_fn(*args)


def _affine(backward=layers.affine_backward) -> tuple[object, Counting]:
    counter = Counting(layers.affine_forward, backward)
    adapter = ForwardBackward(counter.forward, backward, ("x", "w", "b"), wrt=("x", "w", "b"))
    spec = select(["affine"])[0].with_variants(Variant("counted", adapter))
    return spec, counter


def _wrong_dw(dout, cache):
    dx, dw, db = layers.affine_backward(dout, cache)
    return dx, 2 * dw, db


def test_an_agreeing_case_spends_no_finite_difference() -> None:
    spec, counter = _affine()
    records = check_case(spec, "float64", RANDOM, 3)
    assert counter.calls == 1  # the forward of the one forward+backward call
    grads = [r for r in records if r.quantity in ("dx", "dw", "db")]
    assert {r.status for r in grads} == {"pass"} and {r.fd_verdict for r in grads} == {"skipped"}
    counter.calls = 0
    thorough = check_case(spec, "float64", RANDOM, 3, thorough=True)
    # thorough: one direction and (up to) two coordinates, five evaluations each, per gradient
    shapes = records[0].input_shapes
    probes = sum(1 + min(2, int(np.prod(shapes[k]))) for k in ("x", "w", "b"))
    assert counter.calls == 1 + probes * finite_diff.EVALUATIONS_PER_PROBE
    assert {r.fd_verdict for r in thorough if r.quantity in ("dx", "dw", "db")} == {"agree"}


def test_only_the_disagreeing_gradient_gets_a_third_opinion() -> None:
    spec, counter = _affine(_wrong_dw)
    records = {r.quantity: r for r in check_case(spec, "float64", RANDOM, 3)}
    assert records["dw"].status == "fail" and records["dw"].fd_verdict == "disagree"
    assert records["dw"].blame == "backward" and "backward pass is wrong" in records["dw"].message
    assert records["dx"].fd_verdict == records["db"].fd_verdict == "skipped"
    probes = 1 + len(records["dw"].worst_elements or ()) + 2
    assert counter.calls <= 1 + probes * finite_diff.EVALUATIONS_PER_PROBE


def test_a_kink_gets_a_third_opinion() -> None:
    for mutant in (m for m in MUTANTS if m.status == "kink"):
        (spec,) = [s for s in select(None) if s.name == mutant.op]
        spec = spec.with_variants(Variant(mutant.name, mutant.adapter))
        kinks = [r for b in sweep([spec], ["float64"], 0, 1) for r in b if r.status == "kink"]
        assert kinks, mutant.name
        assert all(r.fd_verdict in ("agree", "disagree", "kink") for r in kinks)


def _without_fd(records: list) -> list[dict]:
    return [{k: v for k, v in r.row().items() if k not in FD_COLUMNS} for r in records]


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: f"{m.op}-{m.name}")
def test_thorough_changes_nothing_but_the_fd_columns_of_agreeing_gradients(mutant: Mutant) -> None:
    (spec,) = [s for s in select(None) if s.name == mutant.op]
    spec = spec.with_variants(Variant(mutant.name, mutant.adapter))
    fast = [r for b in sweep([spec], ["float64", "float32"], 0, 2) for r in b]
    slow = [r for b in sweep([spec], ["float64", "float32"], 0, 2, thorough=True) for r in b]
    assert _without_fd(fast) == _without_fd(slow)
    for f, s in zip(fast, slow, strict=True):
        if f.fd_verdict == "skipped" and s.fd_verdict != "skipped":
            assert f.status == "pass"
        elif f.status != "pass":  # a failure or kink has the same third opinion either way
            assert (f.fd_verdict, f.blame) == (s.fd_verdict, s.blame)


def test_coordinate_probes_move_one_entry_of_a_read_only_copy() -> None:
    x = np.arange(12.0).reshape(3, 4)
    seen: list[np.ndarray] = []

    def objective(v: np.ndarray) -> float:
        seen.append(v)
        return float(np.sum(v**2))

    measurements = finite_diff.measure(objective, x, np.random.default_rng(0), [(1, 2), (0, 0)])
    coordinate_calls = seen[finite_diff.EVALUATIONS_PER_PROBE :]
    assert len(coordinate_calls) == 2 * finite_diff.EVALUATIONS_PER_PROBE
    assert len({id(v) for v in coordinate_calls}) == 1  # one working copy for every coordinate
    assert all(not v.flags.writeable for v in coordinate_calls)
    assert np.array_equal(x, np.arange(12.0).reshape(3, 4))  # the input itself is untouched
    assert [m.coordinate for m in measurements] == [False, True, True]
    assert finite_diff.verdict(measurements, 2 * x, 1e-6)[0] == "agree"
    assert finite_diff.verdict(measurements, 2 * x + (np.arange(12).reshape(3, 4) == 6), 1e-6)[0] == "disagree"


def test_a_forward_that_writes_into_its_input_only_loses_the_third_opinion() -> None:
    def svm_scaling_w_in_place(W, X, y, reg):
        loss, dW = linear_svm.svm_loss_vectorized(W, X, y, reg)
        W *= 1.0  # a write, even one that changes nothing, into a read-only input raises
        return loss, dW

    spec = select(["svm:vectorized"])[0]
    adapter = LossGrad(svm_scaling_w_in_place, ("W", "X", "y", "reg"), wrt=("W",))
    records = check_case(spec.with_variants(Variant("inplace", adapter)), "float64", RANDOM, 1, thorough=True)
    dW = next(r for r in records if r.quantity == "dW")
    assert dW.status == "pass" and dW.fd_verdict == "skipped"


def test_explain_always_asks_the_finite_difference() -> None:
    from gradverify.explanation.search import explain

    (mutant,) = [m for m in MUTANTS if (m.op, m.name) == ("svm", "sign_flip")]
    spec = select(["svm"])[0].with_variants(Variant(mutant.name, mutant.adapter))
    ex = explain(spec, ["float64"], budget=6)
    assert ex.failed and all(r.fd_verdict not in (None, "skipped") for r in ex.records if r.quantity == "dW")
    assert TIES in spec.edge_cases
