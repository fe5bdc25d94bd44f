"""How every benchmark measures: pinned threads, warm-up, interleaved repeats, medians.

Subject and baseline of a row are timed in the same process, alternately (subject,
baseline, baseline, subject, ...), so a slow spell of a shared machine lands on both, and
the ratio is of their medians.
"""

from __future__ import annotations

import contextlib
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from statistics import median
from typing import Any

import numpy as np
import torch
from threadpoolctl import threadpool_info

from gradverify.run import run_info

BLAS_ENV = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NVPL_BLAS_DEBUG_CPU_TYPE",
)
"""Environment variables that change which BLAS kernel runs or on how many threads."""


MAX_REPEAT = 201


@dataclass
class Row:
    """One line of the benchmark table (the keys of ``bench.json``)."""

    benchmark: str
    subject: str
    baseline: str
    subject_s: float
    baseline_s: float
    ratio: float  # subject_s / baseline_s
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Settings:
    """Repetitions of a group: ``quick`` is for tests and a first look."""

    quick: bool
    warmup: int
    repeat: int
    budget_s: float = 0.0

    @classmethod
    def make(cls, quick: bool) -> Settings:
        return cls(quick, 1, 3, budget_s=0.1) if quick else cls(quick, 2, 9, budget_s=2.0)


@dataclass(frozen=True)
class Times:
    """Medians of a subject and its baseline: wall seconds, and CPU seconds of this process
    (which leave out the time other programs on a shared machine had the core)."""

    subject_s: float
    baseline_s: float
    subject_cpu_s: float
    baseline_cpu_s: float

    def scaled(self, factor: float) -> Times:
        """The baseline's times multiplied by ``factor`` (an extrapolated baseline)."""
        return Times(self.subject_s, self.baseline_s * factor, self.subject_cpu_s, self.baseline_cpu_s * factor)


def pair(
    subject: Callable[[], Any], baseline: Callable[[], Any], settings: Settings, repeat: int | None = None
) -> Times:
    """Medians of ``subject()`` and ``baseline()``, after warm-up, timed alternately.

    Without an explicit ``repeat``, fast calls are repeated until about ``settings.budget_s``
    is spent (at least ``settings.repeat`` times, at most ``MAX_REPEAT``): on a shared
    machine a median of a few millisecond-long calls is mostly scheduling luck."""
    start = time.perf_counter()
    for _ in range(settings.warmup):
        subject()
        baseline()
    if repeat is None:
        per_round = (time.perf_counter() - start) / max(1, settings.warmup)
        repeat = min(MAX_REPEAT, max(settings.repeat, int(settings.budget_s / max(per_round, 1e-9))))
    s_times: list[tuple[float, float]] = []
    b_times: list[tuple[float, float]] = []
    for i in range(repeat):
        order = ((subject, s_times), (baseline, b_times))
        for fn, times in order if i % 2 == 0 else order[::-1]:
            cpu, start = time.process_time(), time.perf_counter()
            fn()
            times.append((time.perf_counter() - start, time.process_time() - cpu))
    return Times(
        median(w for w, _ in s_times),
        median(w for w, _ in b_times),
        median(c for _, c in s_times),
        median(c for _, c in b_times),
    )


def row(benchmark: str, subject: str, baseline: str, times: Times | tuple[float, float], **params: Any) -> Row:
    """A Row from a ``pair`` result (or wall seconds); the ratio is always subject / baseline
    wall time, and ``cpu_ratio`` the same for CPU time where it was measured."""
    if isinstance(times, Times):
        s, b = times.subject_s, times.baseline_s
        if times.baseline_cpu_s > 0:
            params["cpu_ratio"] = times.subject_cpu_s / times.baseline_cpu_s
    else:
        s, b = times
    return Row(benchmark, subject, baseline, s, b, s / b if b > 0 else float("nan"), params)


def with_goal(r: Row, most: float, text: str | None = None) -> Row:
    """Mark ``r`` with the issue's goal ``ratio <= most`` and whether it is met."""
    r.params["goal"] = text or f"ratio <= {most:g}"
    r.params["met"] = bool(r.ratio <= most)
    return r


def environment() -> dict[str, Any]:
    """What the numbers depend on: CPU, load, thread settings, BLAS libraries and kernels."""
    pools = [
        {k: p.get(k) for k in ("user_api", "internal_api", "version", "num_threads", "architecture", "prefix")}
        for p in threadpool_info()
    ]
    return {
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "torch_blas": run_info.environment().get("torch BLAS", "unknown"),
        "threadpools": pools,
        "blas_env": {k: os.environ[k] for k in BLAS_ENV if k in os.environ},
    }


def describe(env: dict[str, Any]) -> str:
    """The environment as a few Markdown lines for bench.md and the console."""
    pools = "; ".join(
        " ".join(str(p[k]) for k in ("internal_api", "version") if p.get(k))
        + (f" ({p['architecture']} kernel)" if p.get("architecture") else "")
        + f": {p['num_threads']} thread(s)"
        for p in env["threadpools"]
    )
    blas_env = ", ".join(f"{k}={v}" for k, v in env["blas_env"].items()) or "none set"
    return "\n".join(
        [
            f"- CPU: {env['cpu']}, {env['cpu_count']} cores; load average at start {env['load_average']}",
            f"- Python {env['python']}, NumPy {env['numpy']}, torch {env['torch']} (BLAS: {env['torch_blas']})",
            f"- threads while timing: torch {env['torch_threads']}; {pools}",
            f"- BLAS environment: {blas_env}",
        ]
    )


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()
