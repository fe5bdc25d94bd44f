"""``gradverify check`` of a batch: every submission in a child process of its own.

Each submission's rows are written to results.csv (tagged with its submission) as they arrive,
progress goes to ``batch.journal``, and the same command with the same ``--out`` resumes a run
that was killed; ``--scheduler`` checks the submissions on a Dask cluster instead. The report
folder also gets ``batch.csv`` and ``batch.md`` (submission x function).
"""

from __future__ import annotations

import argparse
import csv
import io
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from gradverify.cli import common
from gradverify.core.display import clean
from gradverify.report import files
from gradverify.run.sinks import CsvSink
from gradverify.usercode import batch, batch_journal, batch_runner
from gradverify.usercode.check import BATCH_COLUMNS, batch_of, checker_died, warm
from gradverify.usercode.sandbox.pool import Submission
from gradverify.usercode.submission_check import CheckOptions


def _prepare_report() -> None:
    """Import what drawing report.html needs (matplotlib) while the submissions are checked."""
    import gradverify.report.html_page  # noqa: F401


def run(subs: list[Submission], options: CheckOptions, args: argparse.Namespace, meta: dict, quiet: bool) -> int:
    """Every submission in a child process of its own (``batch_runner``), each batch written to
    results.csv (tagged with its submission) as it arrives, progress in ``batch.journal``; the
    same command with the same ``--out`` resumes a run that was killed."""
    out_dir = common.prepare_outputs(args, "check")
    key = batch_journal.identity(subs, options)
    previous = batch_journal.read(out_dir)
    partial = out_dir / (files.RESULTS_FILE + ".partial")
    resume = previous.batch == key and not previous.finished and partial.is_file()
    earlier = batch_journal.read_partial(partial) if resume else None  # read before the sink truncates it
    common.write_started(out_dir, meta)
    sink = CsvSink(out_dir / files.RESULTS_FILE, BATCH_COLUMNS)
    journal = batch_journal.Journal(out_dir, key, previous if resume else None)
    inventory = batch.Inventory()
    todo = _resume(subs, options, previous, earlier, sink, journal, inventory) if resume else subs
    meta["resumed"] = len(subs) - len(todo) if resume else 0
    found: list[int] = []
    if args.scheduler:
        from gradverify.run.distributed import SchedulerUnavailable, dask_map

        try:  # connects now: an unreachable scheduler is a usage error before any submission runs
            whole = dask_map(_check_whole, [(s, options) for s in todo], args.scheduler)
        except SchedulerUnavailable as e:
            raise common.UsageError(str(e)) from None
        messages = _cluster_messages(todo, whole)
    else:
        messages = batch_runner.run(todo, options, batch_of, checker_died, args.workers, warm(options), _prepare_report)

    def batches() -> Iterator[list[Any]]:
        for sub, item in messages:
            if isinstance(item, tuple):
                kind, value = item
                if kind == "started":
                    journal.started(sub.name)
                    if not quiet:
                        print(clean(f"checking {sub.name} ({sub.target})"), file=sys.stderr)
                elif kind == "found":
                    found.append(value)
                elif kind == "done":
                    journal.done(sub.name)
                continue
            sink.write(item, {"submission": sub.name})  # on disk before anything else happens
            inventory.see(sub.name, item)
            yield item

    common.collect(batches(), meta, total=None, quiet=quiet, keep=False)
    if not meta["interrupted"]:  # what a submission lacks is known once every one is checked
        for name, record in inventory.missing({s.name: s.target for s in subs}):
            sink.write([record], {"submission": name})
    sink.close(complete=True)
    journal.close(finished=not meta["interrupted"])
    _in_submission_order(sink.path, [s.name for s in subs])
    frame = files.load_results(out_dir)[0]
    code = common.finish([], out_dir, args, meta, frame=frame)
    order = {s.name: i for i, s in enumerate(subs)}
    text = batch.write(batch.table(frame.sort_values("submission", key=lambda c: c.map(order), kind="stable")), out_dir)
    print(text)
    if not getattr(args, "no_report", False):
        print(f"batch table: {out_dir / batch.CSV_FILE}, {out_dir / batch.MARKDOWN_FILE}")
    if code in (common.EXIT_OK, common.EXIT_DISAGREE) and found and not any(found) and not meta["resumed"]:
        print("gradverify: error: no submission had anything checkable (see batch.md)", file=sys.stderr)
        return common.EXIT_USAGE
    return code


def _in_submission_order(path: Path, names: list[str]) -> None:
    """Rewrite results.csv with each submission's rows together, in submission order, as they
    are in arrival order with ``--workers 1``: the file is the same for any number of workers."""
    with open(path, newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    column, order = header.index("submission"), {name: i for i, name in enumerate(names)}
    rows.sort(key=lambda row: order.get(row[column], len(order)))  # stable: a submission's own order is kept
    text = io.StringIO()
    csv.writer(text).writerows([header, *rows])
    files.write_atomic(path, text.getvalue())


def _check_whole(item: tuple[Submission, CheckOptions]) -> tuple[list[list[Any]], list[int]]:
    """All batches of one submission, and its checkable count (runs on a Dask worker)."""
    sub, options = item
    found: list[int] = []
    return list(batch_of(sub, options, found)), found


def _cluster_messages(subs: list[Submission], results: Iterator[Any]) -> Iterator[tuple[Submission, Any]]:
    """Whole submissions checked on a cluster, as the messages ``batch_runner.run`` gives (a
    submission counts as started when its result arrives)."""
    for sub, (parts, counts) in zip(subs, results, strict=True):
        yield sub, ("started", None)
        for count in counts:
            yield sub, ("found", count)
        yield from ((sub, part) for part in parts)
        yield sub, ("done", None)


def _resume(
    subs: list[Submission],
    options: CheckOptions,
    previous: batch_journal.State,
    earlier: pd.DataFrame,
    sink: CsvSink,
    journal: batch_journal.Journal,
    inventory: batch.Inventory,
) -> list[Submission]:
    """Keep the rows of the submissions a killed run finished; give up on one that was being
    checked every time the run died; return the submissions still to check."""
    stuck = {n for n in previous.unfinished if previous.started[n] > batch_journal.RETRIES}
    kept = earlier[earlier["submission"].isin(previous.done | stuck)] if not earlier.empty else earlier
    sink.write_rows(kept.to_dict("records"))
    if not kept.empty:
        inventory.see_frame(kept)
    for sub in (s for s in subs if s.name in stuck):
        command = shlex.join(["gradverify", "check", sub.target, *options.flags()])
        record = batch_journal.gave_up(sub.name, sub.target, command)
        sink.write([record], {"submission": sub.name})
        inventory.see(sub.name, [record])
        journal.done(sub.name)
    todo = [s for s in subs if s.name not in previous.done and s.name not in stuck]
    # said even with --quiet: the report mixes this run's results with an earlier one's
    print(
        f"resuming {sink.path.parent}: {len(subs) - len(todo)} submissions kept from the stopped run, "
        f"{len(todo)} to check",
        file=sys.stderr,
    )
    return todo
