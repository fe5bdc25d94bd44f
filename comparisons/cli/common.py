"""What the commands share: argument types, the common options, collecting a sweep's records
(with progress and Ctrl-C), and finishing a run (report folder, JSON, JUnit, summary on
stdout and in ``GITHUB_STEP_SUMMARY``, exit code)."""

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

from gradverify.cli import outputs
from gradverify.cli.errors import UsageError
from gradverify.core.records import to_frame
from gradverify.core.status import FAILING
from gradverify.core.tolerances import SUPPORTED_DTYPES
from gradverify.report import files, junit, terminal
from gradverify.run import run_info
from gradverify.run.plan import DEFAULT_CASES, Case
from gradverify.run.progress import Progress
from gradverify.run.record_store import RecordStore

EXIT_OK, EXIT_DISAGREE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


__all__ = ["UsageError"]


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def case(text: str) -> Case:
    """``KIND:SEED``, as printed in records' reproduce commands (``--replay``)."""
    try:
        return Case.parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


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
        "--dtypes",
        "--dtype",
        dest="dtypes",
        type=dtypes,
        default=list(SUPPORTED_DTYPES),
        metavar="LIST",
        help="comma-separated dtypes (default float64,float32)",
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
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (the run's own folder), got {value}")
    return value


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
    """The report folder, created, after checking that every output can be written (before any
    work). With --no-report it is a temporary folder, removed when the process ends."""
    check_outputs(args)
    if getattr(args, "no_report", False):
        out_dir = Path(tempfile.mkdtemp(prefix="gradverify-"))
        atexit.register(shutil.rmtree, out_dir, ignore_errors=True)
        return out_dir
    out_dir = args.out or outputs.new_report_dir(default_prefix)
    if args.out is None:
        outputs.check_folder(out_dir, "reports folder")
    out_dir.mkdir(parents=True, exist_ok=True)
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
) -> list[dict[str, Any]]:
    """Gather streamed records, showing progress on stderr; Ctrl-C stops the sweep and keeps
    what finished (``meta["interrupted"]``). ``total`` is the number of batches to expect.

    Also records the run's start, duration and batch counts in ``meta`` for the report. With a
    ``store``, records go to disk as they finish and only the store's bounded set is returned."""
    meta.setdefault("started", run_info.now_utc())
    meta.setdefault("interrupted", False)
    meta["total"] = total
    bar = progress or Progress(total, quiet=quiet)
    records: list[dict[str, Any]] = []
    try:
        for batch in batches:
            if store is not None:
                store.add(batch)
            else:
                records += batch
            bar.advance(failing=len({r.variant for r in batch if r.status in FAILING}))
    except KeyboardInterrupt:
        meta["interrupted"] = True
    finally:
        bar.close(interrupted=meta["interrupted"])
        meta["done"] = bar.done
        meta["duration_s"] = round(bar.clock() - bar.start, 3)
    return store.records() if store is not None else records


def open_store(out_dir: Path) -> RecordStore:
    """The store that streams a run's records into ``out_dir/results.csv`` as they finish."""
    return RecordStore(out_dir / files.RESULTS_FILE)


def finish(
    records: list[dict[str, Any]],
    out_dir: Path,
    args: argparse.Namespace,
    meta: dict[str, Any],
    store: RecordStore | None = None,
) -> int:
    """Write the report folder (results.csv, run.json, summary.md, report.html), the JSON and
    JUnit files if asked, print the summary (and append it to ``GITHUB_STEP_SUMMARY``), and
    return the exit code. A second Ctrl-C while writing is postponed: every file is written
    atomically, but a half-finished folder would mix old and new files."""
    meta.setdefault("environment", run_info.environment())
    frame = to_frame(records)
    if store is not None:
        store.close()
        if store.bounded:  # the report is drawn from a sample: its counts come from the tally
            frame.attrs.update(summary=store.tally.summary(), totals=store.tally.totals())
            meta["sampled"] = {"records": store.tally.records, "in_report": len(frame)}
    with _postpone_interrupt() as interrupted:
        summary = files.write_report(frame, out_dir, meta, results_written=store is not None)
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
    terminal.show(terminal.render(frame, meta, verbose=getattr(args, "verbose", False)))
    files.append_step_summary(summary)
    if not getattr(args, "no_report", False):
        print(f"report: {outputs.shown(out_dir / files.HTML_FILE)}")
        if getattr(args, "out", None) is None:  # only gradverify's own folders under reports/ are pruned
            outputs.prune(out_dir.parent, getattr(args, "keep", outputs.DEFAULT_KEEP), spare=out_dir)
    if meta.get("interrupted"):
        print("interrupted: the report holds the cases finished so far", file=sys.stderr)
        return EXIT_INTERRUPTED
    if frame.empty:
        return EXIT_USAGE
    return EXIT_DISAGREE if frame["status"].isin(FAILING).any() else EXIT_OK


@contextlib.contextmanager
def _postpone_interrupt() -> Iterator[Callable[[], bool]]:
    """Hold SIGINT while the block runs (main thread only); yields whether one came."""
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield lambda: bool(caught)
    finally:
        signal.signal(signal.SIGINT, previous)
