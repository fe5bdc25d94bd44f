"""What the commands share: argument types, the common options, and finishing a run
(report folder, JSON, summary on stdout, exit code)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from comparisons import report
from comparisons.records import to_frame
from comparisons.runner import DEFAULT_CASES
from comparisons.tolerances import SUPPORTED_DTYPES

EXIT_OK, EXIT_DISAGREE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """Bad usage: printed as one line, exit code 2."""


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


def dtypes(text: str) -> list[str]:
    names = [d.strip() for d in text.split(",") if d.strip()]
    unknown = [d for d in names if d not in SUPPORTED_DTYPES]
    if unknown or not names:
        what = ", ".join(unknown) if unknown else repr(text)
        raise argparse.ArgumentTypeError(f"unknown dtype {what}; choose from {','.join(SUPPORTED_DTYPES)}")
    return list(dict.fromkeys(names))


def names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


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
        type=dtypes,
        default=list(SUPPORTED_DTYPES),
        metavar="LIST",
        help="comma-separated dtypes (default float64,float32)",
    )


def add_output_options(parser: argparse.ArgumentParser, default_prefix: str) -> None:
    """--out and --json: where a run's records go."""
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"report folder (default reports/{default_prefix}-<UTC time>)",
    )
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write records as JSON")


def prepare_outputs(args: argparse.Namespace, default_prefix: str) -> Path:
    """The report folder, after checking that it and --json can be written (before any work)."""
    out_dir = args.out or _fresh_dir(Path("reports") / f"{default_prefix}-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}")
    check_writable_dir(out_dir, "--out")
    if args.json is not None:
        check_writable_dir(args.json.parent if str(args.json.parent) else Path("."), "--json")
    return out_dir


def _fresh_dir(path: Path) -> Path:
    """``path``, or ``path-2``, ``path-3``, ... when runs started in the same second."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def check_writable_dir(path: Path, flag: str) -> None:
    """Fail with a usage error when a file could not be written into ``path``."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as e:
        raise UsageError(f"{flag} {str(path)!r} is not a writable folder: {e.strerror or e}") from None
    if not os.access(path, os.W_OK):
        raise UsageError(f"{flag} {str(path)!r} is not writable")


def collect(batches: Iterable[list[dict[str, Any]]], meta: dict[str, Any]) -> list[dict[str, Any]]:
    """Gather streamed records; Ctrl-C stops the sweep and keeps what finished."""
    records: list[dict[str, Any]] = []
    try:
        for batch in batches:
            records += batch
    except KeyboardInterrupt:
        meta["interrupted"] = True
    return records


def finish(records: list[dict[str, Any]], out_dir: Path, args: argparse.Namespace, meta: dict[str, Any]) -> int:
    """Write the report folder and JSON, print the summary, and return the exit code."""
    frame = to_frame(records)
    summary = report.write_report(frame, out_dir, meta)
    if args.json is not None:
        report.write_json(frame, args.json, meta)
    print(summary)
    print(f"report: {out_dir}")
    if meta.get("interrupted"):
        print("interrupted: the report holds the cases finished so far", file=sys.stderr)
        return EXIT_INTERRUPTED
    if frame.empty:
        return EXIT_USAGE
    return EXIT_DISAGREE if frame["status"].isin(["fail", "error"]).any() else EXIT_OK
