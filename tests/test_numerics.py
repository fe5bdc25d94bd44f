"""The engine's building blocks: tolerance verdicts, finite differences, seeded samples."""

from __future__ import annotations

import numpy as np
import pytest

from gradverify.core import finite_diff
from gradverify.core.comparison import compare
from gradverify.core.sampling import C2, D1, N1, TIES, case_seed, dims, labels, values
from gradverify.core.tolerances import COMPARE, Tolerance

TOL = Tolerance(rtol=1e-6, atol=1e-9, reason="test")


def test_compare_passes_within_and_fails_beyond_tolerance() -> None:
    ref = np.array([[1.0, -2.0], [3.0, 4.0]])
    assert compare(ref + 3e-6, ref, TOL).status == "pass"  # 3e-6 <= 1e-6 * 4
    bad = ref.copy()
    bad[1, 0] += 1e-5
    c = compare(bad, ref, TOL)
    assert (c.status, c.worst_index, c.n_bad) == ("fail", (1, 0), 1)
    assert c.rel_err == pytest.approx(1e-5 / 4)
    assert c.cs231n_rel_err == pytest.approx(1e-5 / (6 + 1e-5))


def test_compare_judges_all_zero_reference_by_atol() -> None:
    zero = np.zeros(3)
    assert compare(zero + 1e-10, zero, TOL).status == "pass"
    assert compare(zero + 1e-8, zero, TOL).status == "fail"


def test_compare_kink_mask_excuses_only_masked_entries() -> None:
    ref = np.array([0.0, 1.0, 2.0])
    mask = np.array([True, False, False])
    assert compare(np.array([1.0, 1.0, 2.0]), ref, TOL, mask).status == "kink"
    c = compare(np.array([1.0, 1.5, 2.0]), ref, TOL, mask)
    assert (c.status, c.worst_index) == ("fail", (1,))


def test_float32_tolerance_is_looser_than_float64() -> None:
    assert COMPARE["float32"].rtol > COMPARE["float64"].rtol
    assert all(t.reason for t in COMPARE.values())


def test_directional_difference_of_smooth_function() -> None:
    fd, noise, smooth = finite_diff.directional(lambda t: np.sin(0.3 + t), 1e-6)
    assert smooth and fd == pytest.approx(np.cos(0.3), abs=1e-8) and noise < 1e-6


def test_directional_difference_detects_a_kink() -> None:
    _, _, smooth = finite_diff.directional(lambda t: abs(t) + t, 1e-6)
    assert not smooth


def test_fd_verdict_agrees_disagrees_and_abstains_at_kinks() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))

    def f(z):
        return float(np.sum(z**3))

    measurements = finite_diff.measure(f, x, rng, [(0, 0), (2, 3)])
    assert finite_diff.verdict(measurements, 3 * x**2, 1e-5)[0] == "agree"
    assert finite_diff.verdict(measurements, 3 * x**2 * 1.01, 1e-5)[0] == "disagree"
    kinked = finite_diff.measure(lambda z: float(np.abs(z).sum()), np.zeros(3), rng, [(1,)])
    assert finite_diff.verdict(kinked, np.zeros(3), 1e-5)[0] == "kink"


def test_samples_are_replayable_and_edge_cases_pin_sizes() -> None:
    a = values(np.random.default_rng(5), (3, 4), "random")
    b = values(np.random.default_rng(5), (3, 4), "random")
    np.testing.assert_array_equal(a, b)
    ranges = dict(N=(2, 9), C=(3, 6), D=(2, 7))
    assert dims(np.random.default_rng(0), N1, **ranges)["N"] == 1
    assert dims(np.random.default_rng(0), C2, **ranges)["C"] == 2
    assert dims(np.random.default_rng(0), D1, **ranges)["D"] == 1
    ties = values(np.random.default_rng(1), (4, 4), TIES)
    assert (ties == np.round(ties)).all() and (ties == 0).any()


def test_labels_cover_every_class_and_repeat() -> None:
    y = labels(np.random.default_rng(0), 12, 5)
    assert set(y) == set(range(5)) and len(set(y)) < len(y)


def test_case_seeds_depend_on_op_and_index_not_on_order() -> None:
    seeds = {case_seed(0, op, i) for op in ("svm", "relu") for i in range(50)}
    assert len(seeds) == 100
    assert case_seed(3, "svm", 4) == case_seed(3, "svm", 4) != case_seed(4, "svm", 4)
