"""At a kink a value must lie between the one-sided derivatives, and a tie keeps its sum."""

from __future__ import annotations

import numpy as np
import pytest

from gradverify.core.comparison import UPSTREAM, Kinks, compare
from gradverify.core.engine import check_case
from gradverify.core.reference_eval import evaluate
from gradverify.core.sampling import TIES, Sample
from gradverify.core.spec import OpSpec, Variant
from gradverify.core.tolerances import COMPARE, KINK_BAND, Tolerance
from gradverify.specs.registry import select

TOL = COMPARE["float64"]
BOUNDED = (
    *("relu", "svm_loss", "svm", "svm_delta", "svm_all_classes", "svm_class_mean", "affine_relu", "max_pool"),
    *("matrix_example", "conv_relu", "conv_relu_pool", "two_layer_net", "fully_connected_net"),
)
SPECS = {s.name: s for s in select(None)}
NUDGE_TOL = Tolerance(rtol=1e-6, atol=1e-7, reason="a nudge of 1e-9 moves the smooth parts of a gradient by ~1e-8")


def test_values_inside_the_bounds_are_a_kink_outside_a_failure() -> None:
    ref = np.array([0.0, 1.0, 2.0])
    kinks = Kinks(np.array([True, False, False]), low=np.array([-0.5, 1.0, 2.0]), high=np.array([0.0, 1.0, 2.0]))
    assert compare(np.array([-0.3, 1.0, 2.0]), ref, TOL, kinks).status == "kink"
    c = compare(np.array([1e6, 1.0, 2.0]), ref, TOL, kinks)
    assert (c.status, c.worst_index, c.kink_finding[0]) == ("fail", (0,), "kink_out_of_bounds")
    assert "(0,)" in c.kink_finding[1] and "1e+06" in c.kink_finding[1] and "[-0.5, 0]" in c.kink_finding[1]
    # a difference outside the mask is an ordinary failure, whatever the bounds
    assert compare(np.array([-0.3, 1.5, 2.0]), ref, TOL, kinks).kink_finding is None


def test_relative_bounds_are_offsets_from_the_reference() -> None:
    ref = np.array([3.0, 1.0])
    kinks = Kinks(np.array([True, False]), low=np.array([-1.0, 0.0]), high=np.array([0.0, 0.0]), relative=True)
    assert compare(np.array([2.0, 1.0]), ref, TOL, kinks).status == "kink"
    assert compare(np.array([4.0, 1.0]), ref, TOL, kinks).status == "fail"


def test_a_tie_may_be_split_but_not_duplicated_or_dropped() -> None:
    ref = np.array([2.0, 0.0, 0.0, 5.0])
    groups = np.array([0, 0, 0, -1])
    kinks = Kinks(np.array([True, True, True, False]), groups=groups)
    assert compare(np.array([1.0, 0.5, 0.5, 5.0]), ref, TOL, kinks).status == "kink"
    for wrong in ([2.0, 2.0, 2.0, 5.0], [1.0, 0.0, 0.0, 5.0]):
        c = compare(np.array(wrong), ref, TOL, kinks)
        assert (c.status, c.kink_finding[0]) == ("fail", "tie_sum")
        assert "3 tied maxima" in c.kink_finding[1]


def test_a_plain_mask_still_excuses_any_value() -> None:
    # ops with no sound bound keep the mask-only rule
    ref = np.array([0.0, 1.0])
    assert compare(np.array([1e6, 1.0]), ref, TOL, np.array([True, False])).status == "kink"


def _kinks(spec: OpSpec, sample: Sample, upstream: dict) -> dict:
    return spec.kinks(Sample(sample.arrays, {**sample.static, UPSTREAM: upstream}), KINK_BAND["float64"])


@pytest.mark.parametrize("name", BOUNDED)
def test_bounds_hold_the_gradients_on_either_side_of_the_kink(name: str) -> None:
    """Soundness: the reference's gradient just beside a kinked sample (each kink resolved to a
    random side by a tiny nudge of the inputs) is within the bounds computed at the sample."""
    spec = SPECS[name]
    kinked = 0
    for seed in range(12):
        sample = spec.sample(np.random.default_rng(seed), TIES)
        at = evaluate(spec, sample, np.random.default_rng(0))
        kinks = _kinks(spec, sample, at.upstream)
        kinked += sum(bool(k.mask.any()) for k in kinks.values())
        for trial in range(8):
            noise = np.random.default_rng([seed, trial])
            arrays = dict(sample.arrays)
            for w in spec.wrt:
                arrays[w] = arrays[w] + 1e-9 * noise.standard_normal(arrays[w].shape)
            beside = evaluate(spec, Sample(arrays, sample.static), np.random.default_rng(0))
            for w, k in kinks.items():
                c = compare(beside.grads[w], at.grads[w], NUDGE_TOL, k)
                assert c.status in ("pass", "kink"), (name, seed, trial, w, c)
    assert kinked, f"{name}: no ties sample had a kink"


@pytest.mark.parametrize("name", BOUNDED)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_correct_implementations_pass_on_many_ties(name: str, dtype: str) -> None:
    spec = SPECS[name]
    for seed in range(40):
        bad = [(r.quantity, r.message) for r in check_case(spec, dtype, TIES, seed) if r.status in ("fail", "error")]
        assert not bad, (name, dtype, seed, bad)


def test_affine_relu_beyond_the_one_sided_derivatives_fails() -> None:
    import gradverify.impl.cs231n.layer_utils as lu
    import gradverify.impl.cs231n.layers as layers
    from gradverify.core.adapters import ForwardBackward

    def two_at_zero(dout, cache):  # "the derivative of max(0, a) at 0 is 2"
        fc_cache, a = cache
        return layers.affine_backward(dout * ((a > 0) + 2.0 * (a == 0)), fc_cache)

    adapter = ForwardBackward(lu.affine_relu_forward, two_at_zero, ("x", "w", "b"), ("x", "w", "b"))
    spec = SPECS["affine_relu"].with_variants(Variant("two_at_zero", adapter))
    caught = 0
    for seed in range(10):
        records = check_case(spec, "float64", TIES, seed)
        failing = {r.diagnosis for r in records if r.status == "fail"}
        assert failing <= {"kink_out_of_bounds"}, failing
        caught += bool(failing)
    assert caught


@pytest.mark.parametrize(("slope", "status"), [(0.5, "kink"), (1.0, "kink"), (1.5, "fail"), (-0.5, "fail")])
def test_relu_at_zero_accepts_exactly_the_slopes_between_zero_and_one(slope: float, status: str) -> None:
    import gradverify.impl.cs231n.layers as layers
    from gradverify.core.adapters import ForwardBackward

    def backward(dout, cache):
        return dout * ((cache > 0) + slope * (cache == 0))

    adapter = ForwardBackward(layers.relu_forward, backward, ("x",), ("x",))
    spec = SPECS["relu"].with_variants(Variant("slope", adapter))
    for dtype in ("float64", "float32"):
        (dx,) = [r for r in check_case(spec, dtype, TIES, 0) if r.quantity == "dx"]
        assert dx.status == status, (dtype, dx.message)
        if status == "fail":
            assert dx.diagnosis == "kink_out_of_bounds" and dx.blame == "backward"
            assert "outside the valid interval" in dx.message and "finite differences" not in dx.message
