"""What verifying one gradient costs: this project's check vs gradcheck and vs the course's
element-by-element central differences, and how each grows with the parameter count.

The function is an affine layer ``out = x w + b`` with x (N, D), w (D, M), b (M,); its
check is one ``check_case`` in float64 with ``thorough=True``: the implementation's forward
and backward, the torch reference with autograd, every comparison, and the finite-difference
third opinion on every gradient (one random direction and two coordinates, five evaluations
each), which is what a failing gradient costs. A passing gradient by default skips the
third opinion (``forward_evaluations`` counts both). The course's
``eval_numerical_gradient_array`` perturbs every entry of every input in turn, two forward
passes per entry; its time is measured on ``ELEMENTWISE_TIMED`` entries and scaled to all of
them (every entry costs the same two forward passes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import gradverify.impl.cs231n.layers as impl
import gradverify.reference.cs231n.layers as ref
from gradverify.bench.timing import Row, Settings, pair, row, with_goal
from gradverify.core.adapters import ForwardBackward
from gradverify.core.engine import check_case
from gradverify.core.sampling import RANDOM, Sample
from gradverify.core.spec import OpSpec, Variant
from gradverify.core.status import Status
from gradverify.specs.cs231n.layers import SPECS as LAYER_SPECS

N = 4
"""Rows of x: a small batch, which makes each forward pass (and so the element-by-element
baseline) cheap; the comparison would only favour the check more with a larger batch."""

SPEEDUP_GOAL = 100.0
"""Goal of the issue: the check at least 100x faster than element-by-element differences."""

ELEMENTWISE_TIMED = 2000
"""Entries whose central difference is actually timed (the rest are extrapolated)..."""

ELEMENTWISE_WORK = 2.5e9
"""...fewer for large layers: at most this many multiply-adds (entries x N x D x M) per call."""

SCALING = (1_000, 10_000, 100_000, 1_000_000)
"""Weight sizes (D x M with M = 100) of the scaling rows."""


class Counter:
    """Counts forward passes of the implementation."""

    def __init__(self) -> None:
        self.calls = 0

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, Any]:
        self.calls += 1
        return impl.affine_forward(x, w, b)


def affine_sample(d: int, m: int, seed: int = 0) -> Sample:
    rng = np.random.default_rng(seed)
    return Sample({"x": rng.standard_normal((N, d)), "w": rng.standard_normal((d, m)), "b": rng.standard_normal(m)})


def affine_spec(sample: Sample, counter: Counter) -> OpSpec:
    """The registry's affine op, checked on ``sample`` with a counting forward."""
    base = next(s for s in LAYER_SPECS if s.name == "affine")
    adapter = ForwardBackward(counter.forward, impl.affine_backward, ("x", "w", "b"), wrt=("x", "w", "b"))
    return OpSpec(**{**base.__dict__, "variants": (Variant("vectorized", adapter),), "sample": lambda rng, c: sample})


def check(spec: OpSpec) -> Callable[[], list[dict[str, Any]]]:
    def call() -> list[dict[str, Any]]:
        records = check_case(spec, "float64", RANDOM, 0, thorough=True)
        assert all(r.status == Status.PASS for r in records), records  # a check that failed costs more
        return records

    return call


def elementwise(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, df: np.ndarray, limit: int) -> np.ndarray:
    """The course's ``eval_numerical_gradient_array`` (cs231n/gradient_check.py), stopped
    after ``limit`` entries."""
    h = 1e-5
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    done = 0
    while not it.finished and done < limit:
        ix = it.multi_index
        oldval = x[ix]
        x[ix] = oldval + h
        pos = f(x).copy()
        x[ix] = oldval - h
        neg = f(x).copy()
        x[ix] = oldval
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
        it.iternext()
        done += 1
    return grad


def elementwise_all(sample: Sample, limit: int) -> tuple[Callable[[], Any], int]:
    """A call that differentiates ``limit`` entries of w one by one, and the factor that
    scales its time to every entry of x, w and b."""
    x, w, b = (sample[k].copy() for k in ("x", "w", "b"))
    df = np.random.default_rng(1).standard_normal((x.shape[0], w.shape[1]))
    entries = x.size + w.size + b.size
    timed = min(limit, w.size)
    return (lambda: elementwise(lambda v: impl.affine_forward(x, v, b)[0], w, df, timed)), entries / timed


def gradcheck_fast(sample: Sample) -> Callable[[], bool]:
    inputs = tuple(torch.from_numpy(sample[k].copy()).requires_grad_(True) for k in ("x", "w", "b"))
    return lambda: torch.autograd.gradcheck(ref.affine, inputs, fast_mode=True)


def forward_evaluations(d: int, m: int) -> dict[str, int]:
    """Forward passes of the implementation spent by one thorough check, by one default check
    of a passing case, and by element-by-element differences over every input entry (two per
    entry)."""
    sample = affine_sample(d, m)
    counter, default = Counter(), Counter()
    check(affine_spec(sample, counter))()
    check_case(affine_spec(sample, default), "float64", RANDOM, 0)
    return {"check": counter.calls, "check_default": default.calls, "elementwise": 2 * (N * d + d * m + m)}


ELEMENTWISE = "element-by-element central difference (eval_numerical_gradient_array)"
CHECK = "gradverify check_case --thorough"


def run(settings: Settings) -> list[Row]:
    divisor = 10 if settings.quick else 1  # --quick times a tenth of the entries
    sample = affine_sample(3072, 100)
    spec = affine_spec(sample, Counter())
    params = {"x": [N, 3072], "w": [3072, 100], "b": [100], "parameters": 3072 * 100 + 100, "dtype": "float64"}
    times = pair(check(spec), gradcheck_fast(sample), settings)
    rows = [row("verification", CHECK, "torch.autograd.gradcheck fast_mode", times, **params)]
    for size in (None, *SCALING):  # None: the 3072 x 100 weight
        d, m = (3072, 100) if size is None else (size // 100, 100)
        sample = affine_sample(d, m)
        evals = forward_evaluations(d, m)
        limit = max(20, min(ELEMENTWISE_TIMED, int(ELEMENTWISE_WORK / (N * d * m)))) // divisor
        baseline, scale = elementwise_all(sample, limit)
        # the element-by-element baseline takes seconds per call: three repeats
        times = pair(check(affine_spec(sample, Counter())), baseline, settings, repeat=3).scaled(scale)
        timed = min(limit, d * m)
        r = row(
            "verification" if size is None else "verification_scaling",
            CHECK,
            ELEMENTWISE,
            times,
            **(params if size is None else {"parameters": d * m + m, "w": [d, m]}),
            forward_evals_check=evals["check"],
            forward_evals_check_default=evals["check_default"],
            forward_evals_elementwise=evals["elementwise"],
            elementwise_timed_entries=timed,
            elementwise_extrapolated=scale > 1,
        )
        if size is None:
            rows.append(with_goal(r, 1 / SPEEDUP_GOAL, f"ratio <= {1 / SPEEDUP_GOAL:g} (100x faster)"))
        else:
            one = _forward_backward_s(sample, settings)
            r.params.update(one_forward_backward_s=one, check_over_forward_backward=times.subject_s / one)
            rows.append(r)
    return rows


def _forward_backward_s(sample: Sample, settings: Settings) -> float:
    """The implementation's own forward + backward, the unit the check's cost is measured in."""
    x, w, b = (sample[k] for k in ("x", "w", "b"))
    dout = np.ones((x.shape[0], w.shape[1]))

    def call() -> Any:
        _, cache = impl.affine_forward(x, w, b)
        return impl.affine_backward(dout, cache)

    return pair(call, call, settings).subject_s
