"""The command as a user meets it: start-up to the verdict of ``gradverify check FILE``, and a
class graded in a batch on one worker and on two.

- ``check_startup``: ``gradverify check FILE`` (one assignment-1 file, a fresh process) until
  it prints its verdict line (``gradverify: checked N cases, K failing``, written when the
  last case is judged, before the report is drawn), against ``python -c "import numpy,
  torch"`` plus the checks themselves (``usercode.check.check`` of the same file in this
  warm process, its sandboxed worker included).
- ``batch_grading``: ``gradverify check CLASS --workers 2`` against ``--workers 1`` (each a
  fresh process) for copies of a full assignment-1 submission (a package of the course's
  files, checked for the assignment's families); the two runs' records must be identical.
  ``attainable_speedup`` is the most two workers could gain when the start-up (importing
  numpy and torch, ``import_floor_s``) stays serial and all else spreads over two processes
  at the machine's two-process speed-up: a ratio above it is impossible on this machine.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import pandas as pd

import gradverify.impl.cs231n as course
from gradverify.bench.timing import Row, Settings, row, with_goal

STARTUP_GOAL = 1.5
"""Goal of the issue: the verdict within 1.5x of importing numpy and torch plus the checks."""

BATCH_GOAL = 1.8
"""Goal of the issue: a batch on two workers at least 1.8x as fast as on one."""

ASSIGNMENT1 = "linear_svm,softmax,layers,layer_utils,two_layer_net"
"""The families of assignment 1 (SVM, softmax, the two-layer net and its layers)."""

VERDICT = "gradverify: checked"


def assignment1_file(folder: Path) -> Path:
    """One assignment-1 file as a student hands it in: the course's ``linear_svm.py``."""
    path = folder / "linear_svm.py"
    shutil.copy(Path(course.__file__).parent / "linear_svm.py", path)
    return path


def assignment1_package(folder: Path) -> Path:
    """A full assignment-1 submission: the course's files as one package folder (without the
    modules that build on gradverify's own ones, such as an older edition's variant: checked
    code may not import gradverify's solutions, and a student's package would not)."""

    def not_a_students(directory: str, names: list[str]) -> set[str]:
        ignored = {n for n in names if n == "__pycache__"}
        return ignored | {n for n in names if n.endswith(".py") and "gradverify" in Path(directory, n).read_text()}

    shutil.copytree(Path(course.__file__).parent, folder, ignore=not_a_students)
    return folder


def until_verdict(argv: list[str]) -> tuple[float, float]:
    """Seconds until a fresh ``gradverify`` process prints its verdict line, and until it exits."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gradverify", *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    verdict = None
    for line in proc.stderr:
        if verdict is None and line.startswith(VERDICT):
            verdict = time.perf_counter() - start
    code = proc.wait()
    total = time.perf_counter() - start
    if verdict is None:
        raise RuntimeError(f"gradverify {' '.join(argv)} printed no verdict (exit {code})")
    return verdict, total


def seconds(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def startup_row(settings: Settings, tmp: Path) -> Row:
    from gradverify.usercode.check import check

    tmp.mkdir(parents=True)
    path = assignment1_file(tmp)
    argv = ["check", str(path), "--out", str(tmp / "report")]
    imports = [sys.executable, "-c", "import numpy, torch"]
    check(path)  # warm-up: this process's imports and torch's first calls
    samples: dict[str, list[float]] = {"verdict": [], "exit": [], "import": [], "checks": []}
    for i in range(1 if settings.quick else 3):
        steps = [
            ("cli", lambda: until_verdict(argv)),
            ("import", lambda: seconds(lambda: subprocess.run(imports, check=True))),
            ("checks", lambda: seconds(lambda: check(path))),
        ]
        for name, fn in steps if i % 2 == 0 else steps[::-1]:
            value = fn()
            if name == "cli":
                samples["verdict"].append(value[0])
                samples["exit"].append(value[1])
            else:
                samples[name].append(value)
    verdict, exit_s, import_s, checks_s = (median(samples[k]) for k in ("verdict", "exit", "import", "checks"))
    r = row(
        "check_startup",
        "gradverify check FILE, to its verdict",
        'python -c "import numpy, torch" + the checks',
        (verdict, import_s + checks_s),
        file="linear_svm.py",
        import_s=import_s,
        checks_s=checks_s,
        exit_s=exit_s,
    )
    return with_goal(r, STARTUP_GOAL)


def grade(folder: Path, out: Path, workers: int, extra: list[str]) -> pd.DataFrame:
    """Run ``gradverify check`` on a batch folder in a fresh process, as a grader does; its
    records without their times."""
    argv = ["check", str(folder), "--ops", ASSIGNMENT1, "--workers", str(workers), "-q", "--out", str(out), *extra]
    subprocess.run([sys.executable, "-m", "gradverify", *argv], stdout=subprocess.DEVNULL, check=False)
    return pd.read_csv(out / "results.csv").drop(columns=["time_s"])


def batch_row(settings: Settings, tmp: Path, floor: float) -> Row:
    """``floor``: seconds of ``python -c "import numpy, torch"`` (the start-up row's)."""
    copies, extra = (3, ["--cases", "1", "--dtypes", "float64"]) if settings.quick else (20, [])
    folder = tmp / "class"
    folder.mkdir(parents=True)
    first = assignment1_package(folder / "student00")
    for k in range(1, copies):
        shutil.copytree(first, folder / f"student{k:02d}")
    times: dict[int, list[float]] = {1: [], 2: []}
    frames: dict[int, pd.DataFrame] = {}
    for i, workers in enumerate((1, 2, 2, 1)[: 2 if settings.quick or copies >= 20 else 4]):
        out = tmp / f"batch-{workers}-{i}"
        start = time.perf_counter()
        frames[workers] = grade(folder, out, workers, extra)
        times[workers].append(time.perf_counter() - start)
    one, two = median(times[1]), median(times[2])
    if (frames[1]["op"] == "(import)").any():  # a batch that checks nothing measures nothing
        raise RuntimeError(f"the benchmark's submissions could not be checked: {frames[1]['message'].iloc[0]}")
    from gradverify.bench.throughput import machine_speedup  # two processes' speed-up on this machine now

    machine = machine_speedup()
    r = row(
        "batch_grading",
        "gradverify check CLASS --workers 2",
        "gradverify check CLASS --workers 1",
        (two, one),
        submissions=copies,
        ops=ASSIGNMENT1,
        records=len(frames[1]),
        identical_records=frames[1].equals(frames[2]),
        speedup=one / two,
        machine_speedup=machine,
        import_floor_s=floor,
        attainable_speedup=attainable_speedup(one, floor, machine),
    )
    return with_goal(r, 1 / BATCH_GOAL, f"speedup >= {BATCH_GOAL:g}, identical records")


def attainable_speedup(one: float, floor: float, machine: float) -> float:
    """The most two workers could gain over ``one`` (seconds on one worker) if everything but
    the start-up every run pays before its first check (``floor``: importing numpy and torch)
    ran on two processes at this machine's two-process speed-up (at most 2)."""
    return one / (floor + (one - floor) / min(2.0, machine))


def run(settings: Settings) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="gradverify-bench-") as tmp:
        start = startup_row(settings, Path(tmp) / "startup")
        rows = [start, batch_row(settings, Path(tmp) / "batch", start.params["import_s"])]
    if rows[1].params["identical_records"] is False:
        rows[1].params["met"] = False
    return rows
