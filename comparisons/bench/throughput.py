"""Sweep throughput: cases per second of the default ``gradverify run`` sweep, on one worker
and on two (``--workers 2``), including the pool's start-up.

A case here is one (op, case, dtype) check of every variant, one batch of ``runner.sweep``.
Only the sweep is timed, not the report writing that follows it.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import sys
import time
from collections.abc import Callable
from statistics import median

from gradverify.bench.timing import Row, Settings, row, with_goal
from gradverify.core.tolerances import SUPPORTED_DTYPES
from gradverify.run.dispatch import make_sweep
from gradverify.run.plan import DEFAULT_CASES, tasks
from gradverify.specs import registry

SPEEDUP_GOAL = 1.7
"""Goal of the issue: two workers at least 1.7x as fast as one on 2 cores."""

QUICK_OPS = ["svm", "softmax", "affine", "relu"]


def sweep_call(ops: list[str] | None, cases: int, workers: int) -> Callable[[], int]:
    """A call that runs the sweep to the end and returns its number of records."""
    specs = registry.select(ops)
    dtypes = list(SUPPORTED_DTYPES)
    return lambda: sum(len(batch) for batch in make_sweep(specs, dtypes, 0, cases, workers=workers))


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i
    return total


def machine_speedup(n: int = 3_000_000) -> float:
    """How much faster two processes finish two pure-Python loops than one process does:
    about 2 on two idle cores, less when other programs hold a core. The sweep's speed-up
    can be read against it."""
    start = time.perf_counter()
    _spin(n), _spin(n)
    serial = time.perf_counter() - start
    with mp.get_context("fork" if sys.platform.startswith("linux") else "spawn").Pool(2) as pool:
        pool.map(_spin, [1, 1])  # start-up, not timed
        start = time.perf_counter()
        pool.map(_spin, [n, n], chunksize=1)
        parallel = time.perf_counter() - start
    return serial / parallel


def _cpu_s() -> float:
    """CPU seconds of this process and of its finished (joined) children so far."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(calls: dict[int, Callable[[], int]], repeat: int) -> dict[int, tuple[float, float]]:
    """Median wall and CPU seconds of each call, the calls interleaved (order alternating)."""
    samples: dict[int, list[tuple[float, float]]] = {k: [] for k in calls}
    keys = list(calls)
    for i in range(repeat):
        for k in keys if i % 2 == 0 else keys[::-1]:
            cpu, start = _cpu_s(), time.perf_counter()
            calls[k]()
            samples[k].append((time.perf_counter() - start, _cpu_s() - cpu))
    return {k: (median(w for w, _ in v), median(c for _, c in v)) for k, v in samples.items()}


def run(settings: Settings) -> list[Row]:
    ops, cases = (QUICK_OPS, 2) if settings.quick else (None, DEFAULT_CASES)
    specs = registry.select(ops)
    batches = sum(1 for _ in tasks(specs, list(SUPPORTED_DTYPES), 0, cases))
    records = sweep_call(ops, cases, 1)()  # also warms up imports and torch's first calls
    load = os.getloadavg()[0]
    before = machine_speedup()
    # each repetition is a whole sweep: fewer of them
    m = measure({w: sweep_call(ops, cases, w) for w in (1, 2)}, 1 if settings.quick else 3)
    available = median([before, machine_speedup()])
    (wall1, cpu1), (wall2, cpu2) = m[1], m[2]
    r = row(
        "sweep_throughput",
        "gradverify run --workers 2",
        "gradverify run --workers 1",
        (wall2, wall1),
        ops="default" if ops is None else ",".join(ops),
        cases_per_op=cases,
        batches=batches,
        records=records,
        cases_per_s_workers_1=batches / wall1,
        cases_per_s_workers_2=batches / wall2,
        speedup=wall1 / wall2,
        # CPU seconds of all processes: with the cores to itself the pool would take about
        # cpu_s_workers_2 / 2; on a shared machine wall time also counts others' work
        cpu_s_workers_1=cpu1,
        cpu_s_workers_2=cpu2,
        load_average_1min=round(load, 2),
        machine_speedup=available,
    )
    return [with_goal(r, 1 / SPEEDUP_GOAL, f"speedup >= {SPEEDUP_GOAL} (ratio <= {1 / SPEEDUP_GOAL:.3f})")]
