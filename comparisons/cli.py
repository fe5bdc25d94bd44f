"""The ``gradverify`` command line: ``run`` and ``list``.

Exit codes: 0 everything agrees, 1 something disagrees (fail or error), 2 bad usage,
130 interrupted (the report of the finished cases is still written).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import sys
import tempfile
from pathlib import Path

import pandas as pd

from comparisons import registry, report
from comparisons.records import to_frame
from comparisons.runner import DEFAULT_CASES, Case, sweep
from comparisons.tolerances import SUPPORTED_DTYPES

EXIT_OK, EXIT_DISAGREE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """Bad usage: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def _dtypes(text: str) -> list[str]:
    names = [d.strip() for d in text.split(",") if d.strip()]
    unknown = [d for d in names if d not in SUPPORTED_DTYPES]
    if unknown or not names:
        what = ", ".join(unknown) if unknown else repr(text)
        raise argparse.ArgumentTypeError(f"unknown dtype {what}; choose from {','.join(SUPPORTED_DTYPES)}")
    return list(dict.fromkeys(names))


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gradverify", description="Check hand-derived NumPy gradients against torch.autograd.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="compare every built-in implementation with its torch reference")
    run.add_argument(
        "--ops",
        type=_names,
        default=None,
        metavar="NAMES",
        help="comma-separated ops, families, op:variant or function names (default: all)",
    )
    run.add_argument(
        "--cases",
        type=_positive,
        default=DEFAULT_CASES,
        metavar="N",
        help=f"random cases per op, besides its edge cases (default {DEFAULT_CASES})",
    )
    run.add_argument("--seed", type=_seed, default=0, metavar="S", help="run seed (default 0)")
    run.add_argument(
        "--dtypes",
        type=_dtypes,
        default=list(SUPPORTED_DTYPES),
        metavar="LIST",
        help="comma-separated dtypes (default float64,float32)",
    )
    run.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="report folder (default reports/run-<UTC time>)"
    )
    run.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write records as JSON")
    run.add_argument(
        "--replay",
        type=_case,
        default=None,
        metavar="KIND:SEED",
        help="run only this case (as printed in a record's reproduce command)",
    )

    sub.add_parser("list", help="list the ops, their variants and function names")
    return parser


def _case(text: str) -> Case:
    try:
        return Case.parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(argv)
        if args.command == "list":
            return _list()
        return _run(args, argv)
    except UsageError as e:
        print(f"gradverify: error: {e}", file=sys.stderr)
        return EXIT_USAGE


def _list() -> int:
    print(pd.DataFrame(registry.describe()).to_markdown(index=False, tablefmt="simple"))
    return EXIT_OK


def _run(args: argparse.Namespace, argv: list[str]) -> int:
    try:
        specs = registry.select(args.ops)
    except registry.UnknownName as e:
        raise UsageError(str(e)) from None
    out_dir = args.out or Path("reports") / f"run-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}"
    _check_writable_dir(out_dir, "--out")
    if args.json is not None:
        _check_writable_dir(args.json.parent if str(args.json.parent) else Path("."), "--json")

    meta = {
        "command": shlex.join(["gradverify", *argv]),
        "seed": args.seed,
        "cases": args.cases,
        "dtypes": args.dtypes,
        "interrupted": False,
    }
    records: list[dict] = []
    try:
        for batch in sweep(specs, args.dtypes, args.seed, args.cases, args.replay):
            records += batch
    except KeyboardInterrupt:
        meta["interrupted"] = True
    frame = to_frame(records)
    summary = report.write_report(frame, out_dir, meta)
    if args.json is not None:
        report.write_json(frame, args.json, meta)
    print(summary)
    print(f"report: {out_dir}")
    if meta["interrupted"]:
        print("interrupted: the report holds the cases finished so far", file=sys.stderr)
        return EXIT_INTERRUPTED
    if frame.empty:
        print(
            "gradverify: no case matched the selection (is the --replay kind an edge case of these ops?)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    bad = frame["status"].isin(["fail", "error"]).any()
    return EXIT_DISAGREE if bad else EXIT_OK


def _check_writable_dir(path: Path, flag: str) -> None:
    """Fail before any work when a report could not be written to ``path``."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as e:
        raise UsageError(f"{flag} {str(path)!r} is not a writable folder: {e.strerror or e}") from None
    if not os.access(path, os.W_OK):
        raise UsageError(f"{flag} {str(path)!r} is not writable")
