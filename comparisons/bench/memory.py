"""Peak memory of a sweep as the number of cases grows: records streamed to disk
(``sinks.CsvSink`` and ``sinks.Tally``) vs kept in memory (a list, then a DataFrame, as
``commands.common.collect`` and ``finish`` do today).

Each measurement runs in a fresh process (``memory.main``) whose
peak resident set size is reset after imports and warm-up (Linux ``/proc/self/clear_refs``),
so the peak (``VmHWM``) belongs to the sweep alone. The sweep is of cheap
ops (``relu``, ``affine``): what grows with the number of cases is the records, not the
samples, so the ops hardly matter.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from gradverify.bench.timing import Row, Settings, row

OPS = ["relu", "affine"]
STREAM, LIST = "stream", "list"


def n_random_for(cases: int, ops: list[str], dtypes: int) -> int:
    """Random cases per op so that the sweep has at least ``cases`` (op, case, dtype) batches."""
    from gradverify.specs import registry

    specs = registry.select(ops)
    edges = sum(len(s.edge_cases) for s in specs)
    return max(1, math.ceil((cases / dtypes - edges) / len(specs)))


def measure(cases: int, mode: str, workers: int = 1) -> dict[str, Any]:
    """Run a sweep of about ``cases`` cases in a child process; its peak RSS, time and counts."""
    env = dict(os.environ)
    # -c, not -m: the package has already imported this module, and runpy would warn
    child = "from gradverify.bench.memory import main; main()"
    args = [sys.executable, "-c", child, "--cases", str(cases), "--mode", mode]
    args += ["--workers", str(workers)]
    proc = subprocess.run(args, capture_output=True, text=True, env=env, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(settings: Settings, cases: int | None = None) -> list[Row]:
    largest = cases or (200 if settings.quick else 10_000)
    # two sizes show whether memory grows with the cases; --quick measures one
    sizes = [largest] if settings.quick else sorted({max(1, largest // 10), largest})
    rows = []
    for n in sizes:
        streamed, kept = measure(n, STREAM), measure(n, LIST)
        rows.append(
            row(
                "memory",
                "records streamed to CSV (sinks.CsvSink + Tally)",
                "records kept in memory (list + DataFrame)",
                (streamed["seconds"], kept["seconds"]),
                ops=",".join(OPS),
                cases=streamed["batches"],
                records=streamed["records"],
                peak_rss_mb_streamed=streamed["peak_rss_mb"],
                peak_rss_mb_kept=kept["peak_rss_mb"],
                rss_before_sweep_mb=streamed["rss_before_mb"],
                growth_mb_streamed=round(streamed["peak_rss_mb"] - streamed["rss_before_mb"], 1),
                growth_mb_kept=round(kept["peak_rss_mb"] - kept["rss_before_mb"], 1),
            )
        )
    return rows


def _status_mb(field: str) -> float | None:
    """A ``Vm*`` field of /proc/self/status in MiB (Linux), else None."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def _reset_peak() -> None:
    """Start the peak (VmHWM) over from the current RSS, so the peak is the sweep's alone.
    ru_maxrss cannot do this, and it even carries the parent's peak across exec."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
    except OSError:
        pass


def _rss_mb() -> float:
    return _status_mb("VmRSS") or _peak_mb()


def _peak_mb() -> float:
    peak = _status_mb("VmHWM")
    return peak if peak is not None else round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _child(cases: int, mode: str, workers: int) -> dict[str, Any]:
    from gradverify.core.records import to_frame
    from gradverify.core.tolerances import SUPPORTED_DTYPES
    from gradverify.run import sinks
    from gradverify.run.dispatch import make_sweep
    from gradverify.specs import registry

    dtypes = list(SUPPORTED_DTYPES)
    specs = registry.select(OPS)
    n_random = n_random_for(cases, OPS, len(dtypes))
    # warm up torch and the imports first, so the baseline RSS includes them
    for _ in make_sweep(specs, dtypes, 1, 1, workers=1):
        pass
    _reset_peak()
    before = _rss_mb()
    start = time.perf_counter()
    batches = make_sweep(specs, dtypes, 0, n_random, workers=workers)
    if mode == STREAM:
        with tempfile.TemporaryDirectory() as tmp:
            tally = sinks.drain(batches, Path(tmp) / "results.csv")
        n_batches, n_records = tally.batches, tally.records
    else:
        records: list[dict[str, Any]] = []
        n_batches = 0
        for batch in batches:
            records += batch
            n_batches += 1
        n_records = len(to_frame(records))
    return {
        "mode": mode,
        "batches": n_batches,
        "records": n_records,
        "seconds": time.perf_counter() - start,
        "rss_before_mb": before,
        "peak_rss_mb": _peak_mb(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="peak memory of one sweep (run by gradverify bench)")
    parser.add_argument("--cases", type=int, required=True)
    parser.add_argument("--mode", choices=(STREAM, LIST), required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    print(json.dumps(_child(args.cases, args.mode, args.workers)))
