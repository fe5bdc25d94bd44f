"""``gradverify report``: re-render a run's report from its saved results, or compare two runs.

``gradverify report RUN_DIR`` rewrites summary.md and report.html from results.csv and
run.json without running anything. A folder that a killed run left with only
results.csv.partial is rebuilt from it, marked incomplete (and, for a batch, batch.csv and
batch.md too, naming the submission it was checking). ``gradverify report --compare OLD_DIR NEW_DIR`` prints
what got worse, better, new or gone, writes compare.html, and exits 1 on a regression.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from gradverify.cli import common, outputs
from gradverify.core.records import to_frame
from gradverify.report import files, junit, run_diff, run_diff_html, tables
from gradverify.run import run_info
from gradverify.usercode import batch, batch_journal


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "report",
        help="re-render a report folder, or compare two (--compare OLD_DIR NEW_DIR)",
        description="Re-render RUN_DIR's summary.md and report.html from its results.csv, "
        "or compare two report folders and exit 1 when the new one is worse.",
    )
    parser.add_argument("run_dir", nargs="?", type=Path, metavar="RUN_DIR", help="report folder to re-render")
    parser.add_argument(
        "--compare",
        nargs=2,
        type=Path,
        metavar=("OLD_DIR", "NEW_DIR"),
        help="compare two report folders: exit 1 if NEW_DIR regressed, 0 otherwise",
    )
    parser.add_argument(
        "--factor",
        type=_factor,
        default=run_diff.DEFAULT_FACTOR,
        metavar="F",
        help=f"with --compare: relative error growth beyond F counts as worse (default {run_diff.DEFAULT_FACTOR:g})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="FILE",
        help="with --compare: where to write the comparison page (default NEW_DIR/compare.html)",
    )
    parser.add_argument(
        "--allow-partial",
        action="store_true",
        help="with --compare: an interrupted or incomplete NEW_DIR is not by itself a regression",
    )
    parser.add_argument("--junit", type=Path, default=None, metavar="FILE", help="also write JUnit XML of RUN_DIR")
    parser.set_defaults(execute=execute)


def _factor(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 1:
        raise argparse.ArgumentTypeError(f"must be greater than 1, got {text}")
    return value


def execute(args: argparse.Namespace, argv: list[str]) -> int:
    if args.compare and args.run_dir:
        raise common.UsageError("give either RUN_DIR or --compare OLD_DIR NEW_DIR, not both")
    if args.compare:
        if args.junit:
            raise common.UsageError("--junit goes with RUN_DIR, not with --compare")
        return _compare(*args.compare, args.factor, args.out, args.allow_partial)
    if args.run_dir is None:
        raise common.UsageError("give a report folder (RUN_DIR) or --compare OLD_DIR NEW_DIR")
    if args.out is not None:
        raise common.UsageError("--out goes with --compare; RUN_DIR is re-rendered in place")
    if args.factor != run_diff.DEFAULT_FACTOR or args.allow_partial:
        raise common.UsageError("--factor and --allow-partial go with --compare")
    return _rerender(args.run_dir, args.junit)


def _load(path: Path, what: str) -> tuple[pd.DataFrame, dict]:
    if not path.exists():
        raise common.UsageError(f"{what} {str(path)!r} does not exist")
    if not path.is_dir() or not files.is_report_dir(path):
        raise common.UsageError(f"{what} {str(path)!r} is not a report folder (it has no {files.RESULTS_FILE})")
    try:
        return files.load_results(path)
    except (OSError, ValueError, pd.errors.ParserError) as e:
        raise common.UsageError(f"{what} {str(path)!r}: cannot read {files.RESULTS_FILE}: {e}") from None


def _rerender(run_dir: Path, junit_file: Path | None) -> int:
    partial = run_dir / (files.RESULTS_FILE + ".partial")
    if run_dir.is_dir() and not files.is_report_dir(run_dir) and partial.is_file():
        outputs.check_folder(run_dir, "RUN_DIR")
        common.lock_dir(run_dir, "RUN_DIR")  # a live run is still writing it: not stopped
        frame, meta = _recover(run_dir, partial)
    else:
        frame, meta = _load(run_dir, "RUN_DIR")
        outputs.check_folder(run_dir, "RUN_DIR")
        common.lock_dir(run_dir, "RUN_DIR")
    if junit_file is not None:
        outputs.check_file(junit_file, "--junit")
    summary = files.write_views(frame, run_dir, meta)
    if junit_file is not None:
        files.write_atomic(outputs.make_parent(junit_file), junit.render(frame, meta))
    if "submission" in frame:
        print(batch.write(batch.table(frame), run_dir))
    print(summary)
    print(f"report: {run_dir}  (open {run_dir / files.HTML_FILE})")
    return common.EXIT_OK


def _recover(run_dir: Path, partial: Path) -> tuple[pd.DataFrame, dict]:
    """The rows a killed run streamed to results.csv.partial, its run.json if it got that far,
    and, for a batch, an ``error`` row for each submission it was checking when it stopped."""
    frame = batch_journal.read_partial(partial)
    meta = run_info.load(run_dir)
    if "submission" in frame:
        state = batch_journal.read(run_dir)
        targets = dict((state.batch or {}).get("submissions") or [])
        stopped = [batch_journal.was_running(str(targets.get(n, n))) for n in state.unfinished]
        extra = to_frame(stopped).assign(submission=state.unfinished)
        frame = pd.concat([frame, extra], ignore_index=True) if len(extra) else frame
    meta.setdefault("command", "(unknown: the run stopped before it wrote run.json)")
    meta.update(interrupted=True, incomplete=f"rebuilt from {partial.name}: the run stopped before it finished")
    meta.pop("done", None)
    return tables.normalise(frame), meta


def _compare(old_dir: Path, new_dir: Path, factor: float, out: Path | None, allow_partial: bool = False) -> int:
    page_path = out or new_dir / "compare.html"
    if out is not None:  # before reading anything: a bad --out must cost no work
        outputs.check_file(out, "--out")
    old, old_meta = _load(old_dir, "OLD_DIR")
    new, new_meta = _load(new_dir, "NEW_DIR")
    outputs.check_file(page_path, "--out")
    d = run_diff.diff(old, new, factor, new_meta=new_meta, allow_partial=allow_partial)
    text = run_diff.markdown(d, str(old_dir), str(new_dir))
    files.write_atomic(
        outputs.make_parent(page_path), run_diff_html.render(d, (str(old_dir), old_meta), (str(new_dir), new_meta))
    )
    print(text)
    files.append_step_summary(text)
    print(f"comparison: {page_path}")
    return common.EXIT_DISAGREE if d.regressed else common.EXIT_OK
