"""What the commands share: argument types, the common options, collecting a sweep's records
(with progress, Ctrl-C and SIGTERM), the lock on a report folder, and finishing a run (report
folder, JSON, JUnit, summary on stdout and in ``GITHUB_STEP_SUMMARY``, exit code)."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from gradverify.cli import outputs
from gradverify.cli.errors import (
    EXIT_DISAGREE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    Terminated,
    UsageError,
)
from gradverify.core.records import to_frame
from gradverify.core.status import FAILING, STRICT_FAILING
from gradverify.core.tolerances import SUPPORTED_DTYPES
from gradverify.report import files, junit, terminal
from gradverify.run import run_info
from gradverify.run.plan import DEFAULT_CASES, Case
from gradverify.run.progress import Progress
from gradverify.run.record_store import RecordStore

COURSES = ("cs231n", "dls", "mytorch", "all")
"""``--course`` choices: ``specs.registry.COURSES`` and ``all``, written out so that parsing
arguments imports no spec (and no torch); a test keeps the two equal."""


__all__ = ["EXIT_DISAGREE", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_TERMINATED", "EXIT_USAGE", "Terminated", "UsageError"]


def interrupted_exit(meta: dict[str, Any]) -> int:
    return EXIT_TERMINATED if meta.get("signal") == "SIGTERM" else EXIT_INTERRUPTED


def lock_dir(path: Path, flag: str = "--out") -> None:
    """Hold ``path`` for this run until exit (``run_info.lock``); ``UsageError`` when another
    live run holds it."""
    try:
        run_info.lock(path)
    except run_info.FolderInUse as e:
        raise UsageError(f"{flag} {str(path)!r} is in use by another gradverify run (pid {e.holder})") from None


def release_locks() -> None:
    """Release every report folder this process holds."""
    run_info.release_locks()


def _whole(text: str, least: int, expected: str, short: str) -> int:
    """``text`` as an int of at least ``least``; the messages say what was expected."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"{short}, got {value}")
    return value


def positive(text: str) -> int:
    return _whole(text, 1, "a positive whole number", "must be at least 1")


def seed(text: str) -> int:
    return _whole(text, 0, "a whole number", "must not be negative")


def case(text: str) -> Case:
    """``KIND:SEED``, as printed in records' reproduce commands (``--replay``)."""
    try:
        return Case.parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def edition(text: str) -> int | str:
    """A year (CS231n, DLS) or a semester code such as S24 or F23 (MyTorch)."""
    code = text.strip().upper()
    if len(code) == 3 and code[0] in "SF" and code[1:].isdigit():
        return code
    try:
        year = int(text)
    except ValueError:
        expected = "a year such as 2017 or a semester such as S24"
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if not 2015 <= year <= 2100:
        raise argparse.ArgumentTypeError(f"{year} is no course edition")
    return year


def dtypes(text: str) -> list[str]:
    names = [d.strip() for d in text.split(",") if d.strip()]
    unknown = [d for d in names if d not in SUPPORTED_DTYPES]
    if unknown or not names:
        what = ", ".join(unknown) if unknown else repr(text)
        raise argparse.ArgumentTypeError(f"unknown dtype {what}; choose from {','.join(SUPPORTED_DTYPES)}")
    return list(dict.fromkeys(names))


def names(text: str) -> list[str]:
    found = [n.strip() for n in text.split(",") if n.strip()]
    if not found:  # an empty --ops must not quietly mean "everything"
        raise argparse.ArgumentTypeError(f"expected comma-separated names, got {text!r}")
    return found


def add_sweep_options(parser: argparse.ArgumentParser) -> None:
    """--cases, --seed, --dtypes: what a sweep covers."""
    parser.add_argument(
        "--cases",
        type=positive,
        default=DEFAULT_CASES,
        metavar="N",
        help=f"random cases per op, besides its edge cases (default {DEFAULT_CASES})",
    )
    parser.add_argument("--seed", type=seed, default=0, metavar="S", help="run seed (default 0)")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 also for not_implemented functions and warnings (numerically fragile code)",
    )
    parser.add_argument(
        "--edition",
        type=edition,
        default=None,
        metavar="EDITION",
        help="hold the code to one course edition's conventions (a year, e.g. 2017, or a MyTorch semester, "
        "e.g. S23); default: any edition's, consistently",
    )
    parser.add_argument(
        "--dtypes",
        "--dtype",
        dest="dtypes",
        type=dtypes,
        default=list(SUPPORTED_DTYPES),
        metavar="LIST",
        help="comma-separated dtypes (default float64,float32)",
    )


def add_thorough_option(parser: argparse.ArgumentParser) -> None:
    """--thorough: the finite-difference third opinion for every gradient, agreeing ones too."""
    parser.add_argument(
        "--thorough",
        action="store_true",
        help="ask the finite difference about every gradient, also those that agree with the reference "
        "(default: only where it decides something: a disagreement or a kink)",
    )


def add_parallel_options(parser: argparse.ArgumentParser) -> None:
    """--workers and --scheduler: where the cases run (the records are the same anywhere)."""
    parser.add_argument(
        "--workers",
        type=positive,
        default=1,
        metavar="N",
        help="processes that run the cases, one thread each (default 1); the records are the same for any N",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run the cases on the Dask cluster whose scheduler is at ADDRESS, e.g. tcp://10.0.0.5:8786 "
        "(needs gradverify[distributed] here and on the workers)",
    )


def add_output_options(parser: argparse.ArgumentParser, default_prefix: str) -> None:
    """--out, --json, --junit, --keep, --no-report, --quiet, --verbose: where a run's records go
    and what it prints."""
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"report folder (default reports/{default_prefix}-<UTC time> at the project root)",
    )
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write records as JSON")
    parser.add_argument(
        "--junit",
        type=Path,
        default=None,
        metavar="FILE",
        help="also write JUnit XML (one test per function and case) for CI test views",
    )
    parser.add_argument(
        "--keep",
        type=keep,
        default=outputs.DEFAULT_KEEP,
        metavar="N",
        help=f"keep the N newest report folders under reports/, delete older ones (default {outputs.DEFAULT_KEEP})",
    )
    parser.add_argument(
        "--no-report", action="store_true", help="write no report folder (--json and --junit are still written)"
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="no progress on stderr (the verdict is still printed)"
    )
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="print the full tables, not one line per failing group"
    )


def keep(text: str) -> int:
    return _whole(text, 1, "a whole number", "must be at least 1 (the run's own folder)")


def check_outputs(args: argparse.Namespace) -> None:
    """Every output path the flags name can be written: checked before any work, creating nothing."""
    if getattr(args, "out", None) is not None:
        if getattr(args, "no_report", False):
            raise UsageError("--out and --no-report contradict each other")
        outputs.check_folder(args.out, "--out")
    for flag in ("json", "junit"):
        path = getattr(args, flag, None)
        if path is not None:
            outputs.check_file(path, f"--{flag}")


def prepare_outputs(args: argparse.Namespace, default_prefix: str) -> Path:
    """The report folder, created and locked for this run (``UsageError`` when another live run
    holds it), after checking that every output can be written (before any work). With
    --no-report it is a temporary folder, removed when the process ends."""
    check_outputs(args)
    if getattr(args, "no_report", False):
        out_dir = Path(tempfile.mkdtemp(prefix="gradverify-"))
        atexit.register(shutil.rmtree, out_dir, ignore_errors=True)
        return out_dir
    out_dir = args.out or outputs.new_report_dir(default_prefix)
    if args.out is None:
        outputs.check_folder(out_dir, "reports folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    lock_dir(out_dir, "--out" if args.out is not None else "reports folder")  # one live run per folder
    return out_dir


def check_writable_dir(path: Path, flag: str) -> None:
    """Fail with a usage error when a file could not be written into ``path`` (creates nothing)."""
    outputs.check_folder(path, flag)


def collect(
    batches: Iterable[list[dict[str, Any]]],
    meta: dict[str, Any],
    total: int | None = None,
    quiet: bool = False,
    progress: Progress | None = None,
    store: RecordStore | None = None,
    keep: bool = True,
) -> list[dict[str, Any]]:
    """Gather streamed records, showing progress on stderr; Ctrl-C stops the sweep and keeps
    what finished (``meta["interrupted"]``). ``total`` is the number of batches to expect.

    Also records the run's start, duration and batch counts in ``meta`` for the report. With a
    ``store``, records go to disk as they finish and only the store's bounded set is returned;
    with ``keep=False`` none are kept (the caller's ``batches`` writes them). SIGTERM stops it
    as Ctrl-C does, with ``meta["signal"] = "SIGTERM"``."""
    meta.setdefault("started", run_info.now_utc())
    meta.setdefault("interrupted", False)
    meta["total"] = total
    bar = progress or Progress(total, quiet=quiet)
    records: list[dict[str, Any]] = []
    try:
        for batch in batches:
            if store is not None:
                store.add(batch)
            elif keep:
                records += batch
            bar.advance(failing=len({r.variant for r in batch if r.status in FAILING}))
    except KeyboardInterrupt as e:
        meta["interrupted"] = True
        if isinstance(e, Terminated):
            meta["signal"] = "SIGTERM"
    finally:
        bar.close(interrupted=meta["interrupted"])
        meta["done"] = bar.done
        meta["duration_s"] = round(bar.clock() - bar.start, 3)
    return store.records() if store is not None else records


def open_store(out_dir: Path, meta: dict[str, Any] | None = None) -> RecordStore:
    """The store that streams a run's records into ``out_dir/results.csv`` as they finish
    (and, given ``meta``, the run's identity into run.json first: see ``write_started``)."""
    if meta is not None:
        write_started(out_dir, meta)
    return RecordStore(out_dir / files.RESULTS_FILE)


def write_started(out_dir: Path, meta: dict[str, Any]) -> None:
    """run.json as the run starts, so a run killed before it finishes can still be re-rendered
    with its command (``gradverify report DIR``); the finished run rewrites it."""
    meta.setdefault("started", run_info.now_utc())
    files.write_atomic(out_dir / run_info.RUN_FILE, run_info.dumps(meta))


def finish(
    records: list[dict[str, Any]],
    out_dir: Path,
    args: argparse.Namespace,
    meta: dict[str, Any],
    store: RecordStore | None = None,
    frame: pd.DataFrame | None = None,
) -> int:
    """Write the report folder (results.csv, run.json, summary.md, report.html), the JSON and
    JUnit files if asked, print the summary (and append it to ``GITHUB_STEP_SUMMARY``), and
    return the exit code. A second Ctrl-C while writing is postponed: every file is written
    atomically, but a half-finished folder would mix old and new files. A ``frame`` given
    instead of records is one read back from the results.csv the caller streamed."""
    meta.setdefault("environment", run_info.environment())
    written = store is not None or frame is not None
    frame = to_frame(records) if frame is None else frame
    if store is not None:
        store.close()
        if store.bounded:  # the report is drawn from a sample: its counts come from the tally
            frame.attrs.update(summary=store.tally.summary(), totals=store.tally.totals())
            meta["sampled"] = {"records": store.tally.records, "in_report": len(frame)}
    with _postpone_interrupt() as interrupted:
        summary = files.write_report(frame, out_dir, meta, results_written=written)
        # JSON and JUnit list every record: a sampled run reads them back from results.csv,
        # and only when asked (that read costs memory in proportion to the run)
        wanted = args.json is not None or getattr(args, "junit", None) is not None
        full = files.load_results(out_dir)[0] if wanted and store is not None and store.bounded else frame
        if args.json is not None:
            files.write_json(full, outputs.make_parent(args.json), meta)
        if getattr(args, "junit", None) is not None:
            files.write_atomic(outputs.make_parent(args.junit), junit.render(full, meta))
    if interrupted():
        meta["interrupted"] = True
        meta.setdefault("signal", interrupted())
    terminal.show(terminal.render(frame, meta, verbose=getattr(args, "verbose", False)))
    files.append_step_summary(summary)
    if not getattr(args, "no_report", False):
        print(f"report: {outputs.shown(out_dir / files.HTML_FILE)}")
        if getattr(args, "out", None) is None:  # only gradverify's own folders under reports/ are pruned
            outputs.prune(out_dir.parent, getattr(args, "keep", outputs.DEFAULT_KEEP), spare=out_dir)
    if meta.get("interrupted"):
        print("interrupted: the report holds the cases finished so far", file=sys.stderr)
        return interrupted_exit(meta)
    if frame.empty:
        return EXIT_USAGE
    failing = STRICT_FAILING if getattr(args, "strict", False) else FAILING
    return EXIT_DISAGREE if frame["status"].isin(failing).any() else EXIT_OK


@contextlib.contextmanager
def _postpone_interrupt() -> Iterator[Callable[[], str | None]]:
    """Hold SIGINT and SIGTERM while the block runs (main thread only); yields the name of the
    first that came, or None."""
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield lambda: None
        return
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.signal(s, lambda signum, frame: caught.append(signum)) for s in held}
    try:
        yield lambda: signal.Signals(caught[0]).name if caught else None
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
