"""Fast feedback: what a verdict costs next to the work it cannot avoid.

- ``passing_case``: one passing case of an op (``check_case`` in float64, default mode) against
  the implementation's forward+backward plus the torch reference's forward+backward on the
  same inputs, the unit a check cannot go below.
- ``run_vs_own``: the default sweep against the sum of its cases' implementation and
  reference costs, measured case by case.
- ``thorough``: the default sweep against the same sweep with ``--thorough`` (a finite
  difference for every gradient, as every check did before the third opinion was on demand).

``startup.py`` measures the command's start-up and batch grading.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from statistics import median
from typing import Any

import numpy as np

from gradverify.bench.timing import Row, Settings, pair, row, with_goal
from gradverify.core.engine import check_case
from gradverify.core.reference_eval import evaluate
from gradverify.core.sampling import RANDOM, Sample
from gradverify.core.spec import OpSpec
from gradverify.core.tolerances import SUPPORTED_DTYPES
from gradverify.run.dispatch import make_sweep
from gradverify.run.plan import DEFAULT_CASES, tasks
from gradverify.specs import registry

CASE_GOAL = 2.0
"""Goal of the issue: a passing case at most 2x the implementation's plus the reference's own costs."""

THOROUGH_GOAL = 3.0
"""Goal of the issue: the default run at least 3x faster than ``--thorough``."""

PROFILED_OPS = ["svm", "softmax", "affine", "batchnorm", "conv", "lstm", "fully_connected_net"]
"""The ops of the profile that motivated the on-demand third opinion."""

QUICK_OPS = ["svm", "affine", "relu"]


def own_call(spec: OpSpec, dtype: str, kind: str, seed: int) -> Callable[[], Any]:
    """A call that runs, on the case's inputs, each variant's forward+backward in ``dtype``
    and the torch reference's forward+backward in float64: the work any check must do.

    An op whose reference needs the implementation's own forward (dropout's mask) also runs
    that forward and its reference once per variant, as the engine does."""
    rng = np.random.default_rng(seed)
    sample = spec.sample(rng, kind).cast(dtype)
    values64 = sample.cast(np.float64)
    if spec.observe:
        upstream = None
    else:
        upstream = {
            k: v.astype(dtype) for k, v in evaluate(spec, values64, np.random.default_rng(seed)).upstream.items()
        }

    def call() -> None:
        if spec.observe is None:
            evaluate(spec, values64, np.random.default_rng(seed))
        for variant in spec.variants:
            up = upstream
            if spec.observe is not None:
                observed = spec.observe(values64, variant.adapter.forward(sample))
                ref = evaluate(spec, Sample({**values64.arrays, **observed}, values64.static), rng)
                up = {k: v.astype(dtype) for k, v in ref.upstream.items()}
            with np.errstate(all="ignore"):
                variant.adapter.run(sample, up)

    return call


def check_call(spec: OpSpec, dtype: str, kind: str, seed: int, thorough: bool = False) -> Callable[[], Any]:
    return lambda: check_case(spec, dtype, kind, seed, thorough=thorough)


def passing_rows(settings: Settings) -> list[Row]:
    rows = []
    for spec in registry.select(QUICK_OPS if settings.quick else PROFILED_OPS):
        seed = 1
        records = check_case(spec, "float64", RANDOM, seed)
        assert all(r.status == "pass" for r in records), spec.name  # the row is about passing cases
        times = pair(check_call(spec, "float64", RANDOM, seed), own_call(spec, "float64", RANDOM, seed), settings)
        thorough = pair(
            check_call(spec, "float64", RANDOM, seed, True), own_call(spec, "float64", RANDOM, seed), settings
        )
        r = row(
            "passing_case",
            f"check_case {spec.name} (default)",
            "implementation + reference forward+backward",
            times,
            op=spec.name,
            variants=len(spec.variants),
            dtype="float64",
            thorough_ratio=thorough.subject_s / thorough.baseline_s,
        )
        rows.append(with_goal(r, CASE_GOAL))
    return rows


def sweep_call(specs: list[OpSpec], cases: int, thorough: bool) -> Callable[[], int]:
    """The whole sweep of ``gradverify run`` (one worker); returns its number of records."""
    dtypes = list(SUPPORTED_DTYPES)
    return lambda: sum(len(b) for b in make_sweep(specs, dtypes, 0, cases, thorough=thorough))


def own_sum(specs: list[OpSpec], cases: int) -> float:
    """Seconds the implementations and references of every case of the sweep take by themselves."""
    total = 0.0
    for task in tasks(specs, list(SUPPORTED_DTYPES), 0, cases):
        call = own_call(specs[task.spec], task.dtype, task.case.kind, task.case.seed)
        start = time.perf_counter()
        call()
        total += time.perf_counter() - start
    return total


def run_rows(settings: Settings) -> list[Row]:
    ops, cases = (QUICK_OPS, 1) if settings.quick else (None, DEFAULT_CASES)
    specs = registry.select(ops)
    default, thorough = sweep_call(specs, cases, False), sweep_call(specs, cases, True)
    records = default()  # warm-up: imports, torch's first calls
    samples: dict[str, list[float]] = {"default": [], "thorough": [], "own": []}
    for i in range(1 if settings.quick else 3):
        order = [("default", default), ("thorough", thorough), ("own", lambda: own_sum(specs, cases))]
        for name, fn in order if i % 2 == 0 else order[::-1]:
            start = time.perf_counter()
            value = fn()
            samples[name].append(value if name == "own" else time.perf_counter() - start)
    d, t, own = (median(samples[k]) for k in ("default", "thorough", "own"))
    what = {"ops": "default" if ops is None else ",".join(ops), "cases_per_op": cases, "records": records}
    vs_own = row(
        "run_vs_own", "gradverify run (default)", "its cases' implementation + reference costs", (d, own), **what
    )
    vs_thorough = row("thorough", "gradverify run (default)", "gradverify run --thorough", (d, t), **what)
    vs_thorough.params["speedup"] = t / d
    return [vs_own, with_goal(vs_thorough, 1 / THOROUGH_GOAL, f"speedup >= {THOROUGH_GOAL:g}")]


def run(settings: Settings) -> list[Row]:
    return passing_rows(settings) + run_rows(settings)
