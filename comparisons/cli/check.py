"""``gradverify check``: verify a user's own NumPy code, run in a sandboxed worker process.

One PATH (a ``.py`` file, a package folder, a module name) is one submission. A folder without
``__init__.py`` is a batch: each ``.py`` file and subfolder in it is one submission, and the
report folder also gets ``batch.csv`` and ``batch.md`` (submission x function). Exit codes:
0 everything discovered passes, 1 something fails, errors or (batch mode) is incomplete, 2 a
path cannot be read, nothing checkable was found (the message says which) or another run holds
``--out``, 130 interrupted, 143 terminated (SIGTERM).

Batch mode checks every submission in a child process of its own and streams its rows to
results.csv as they arrive, so a submission that kills its checker (or gradverify) costs only
its own results; a submission that lacks a function the op needs (a backward) or that others
have is ``incomplete``.
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
from gradverify.core.records import COLUMNS
from gradverify.report import files
from gradverify.run.sinks import CsvSink
from gradverify.specs import registry
from gradverify.usercode import batch, batch_journal, batch_runner
from gradverify.usercode.check import (
    CheckError,
    CheckOptions,
    SubmissionCheck,
    batch_of,
    checker_died,
    submissions,
    validate,
)
from gradverify.usercode.sandbox import confine
from gradverify.usercode.sandbox.pool import BUDGET_TIMEOUTS, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, Submission


def add_parser(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser(
        "check",
        help="check your own NumPy code (a file, package folder, module, or a folder of submissions)",
        description=(
            "Check your own NumPy code against torch autograd, in a sandboxed worker process. A .py file, a "
            "package folder or a module name is one submission; a folder without __init__.py is a batch (one "
            "submission per .py file or subfolder; the report also gets batch.csv and batch.md). Exit codes: 0 "
            "everything found passes, 1 something fails, errors or (batch) is incomplete, 2 a path cannot be read, "
            "nothing checkable was found or --out is in use, 130 interrupted, 143 terminated."
        ),
    )
    check.add_argument(
        "paths", nargs="+", metavar="PATH", help=".py file, package folder, module name, or batch folder"
    )
    check.add_argument(
        "--ops",
        type=common.names,
        default=None,
        metavar="NAMES",
        help="check only these ops, families, op:variant or course function names (default: all found)",
    )
    check.add_argument(
        "--course",
        choices=common.COURSES,
        default=None,
        help="the course the code follows (default: the one whose names the code uses most; all when tied)",
    )
    common.add_sweep_options(check)
    common.add_thorough_option(check)
    check.add_argument(
        "--workers",
        type=common.positive,
        default=1,
        metavar="N",
        help="batch mode: submissions checked at once, each in its own process (default 1)",
    )
    check.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="batch mode: check each submission on the Dask cluster at ADDRESS (tcp://host:8786), with the same "
        "budgets and records; the submissions' paths must be readable there too",
    )
    common.add_output_options(check, "check")
    check.add_argument("--replay", type=common.case, default=None, metavar="KIND:SEED", help="run only this case")
    add_user_code_options(check)
    check.set_defaults(execute=execute)


def add_user_code_options(parser: argparse.ArgumentParser) -> None:
    """--map, --grad-keys, --timeout, --memory-mb, --grading: how a user's code is bound and run
    (shared by ``check`` and ``explain --file``)."""
    parser.add_argument(
        "--map",
        action="append",
        type=_bindings,
        default=[],
        metavar="NAME=TARGET",
        help="bind your callable TARGET (NAME, Class, Class().method, module.name) to the course name or op NAME",
    )
    parser.add_argument(
        "--grad-keys",
        type=_bindings,
        default={},
        metavar="PARAM=KEY,...",
        help="keys of a model's grads dict that differ from the parameter names (W1=dW1; dW1 is tried by itself)",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT_S,
        metavar="SECONDS",
        help=f"time limit of one call into your code (default {DEFAULT_TIMEOUT_S:g})",
    )
    parser.add_argument(
        "--memory-mb",
        type=_memory_mb,
        default=DEFAULT_MEMORY_MB,
        metavar="MB",
        help=f"address-space limit of the worker process (default {DEFAULT_MEMORY_MB})",
    )
    parser.add_argument(
        "--grading", action="store_true", help="forbid importing torch, jax, tensorflow or autograd in the checked code"
    )
    parser.add_argument(
        "--declarations",
        default=None,
        metavar="FILE_OR_MODULE",
        help="also check the ops this file declares (GRADVERIFY_OPS, @gradverify.op; see docs/own-ops.md): it is "
        "imported here, its functions are looked up by name in the checked code",
    )
    parser.add_argument(
        "--submission-timeout",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help=f"wall time all calls into one submission may take together (default {BUDGET_TIMEOUTS} x --timeout)",
    )
    parser.add_argument(
        "--allow-weak-isolation",
        action="store_true",
        help="with --grading: run even where the checked code could start processes (see docs/security.md)",
    )


def _bindings(text: str) -> dict[str, str]:
    out = {}
    for item in (i.strip() for i in text.split(",") if i.strip()):
        name, sep, target = (p.strip() for p in item.partition("="))
        if not sep or not name or not target:
            raise argparse.ArgumentTypeError(f"expected NAME=TARGET, got {item!r}")
        out[name] = target
    return out


MIN_MEMORY_MB = 256
"""The worker needs about 140 MB of address space to import NumPy and start its BLAS (measured);
below this every call would die, so a smaller --memory-mb is a usage error, not a crash per case."""


def _memory_mb(text: str) -> int:
    value = common.positive(text)
    if value < MIN_MEMORY_MB:
        raise argparse.ArgumentTypeError(
            f"must be at least {MIN_MEMORY_MB}: the worker needs about 140 MB to import NumPy, got {value}"
        )
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def user_code_options(args: argparse.Namespace, **selection: Any) -> CheckOptions:
    """The options of a check of user code: the binding and limit flags that
    ``add_user_code_options`` added, plus ``selection`` (ops, cases, seed, dtypes, replay);
    ``UsageError`` for an unknown name."""
    options = CheckOptions(
        timeout=args.timeout,
        memory_mb=args.memory_mb,
        mapping={name: target for m in args.map for name, target in m.items()},
        grad_keys=dict(args.grad_keys),
        grading=args.grading,
        declarations=args.declarations,
        submission_timeout=args.submission_timeout,
        **selection,
    )
    try:
        validate(options)
    except (ValueError, registry.UnknownName) as e:
        raise common.UsageError(str(e)) from None
    return options


def options_of(args: argparse.Namespace) -> CheckOptions:
    """The check's options from the parsed flags (``UsageError`` for an unknown name)."""
    return user_code_options(
        args,
        ops=tuple(args.ops) if args.ops else None,
        course=getattr(args, "course", None),
        cases=args.cases,
        seed=args.seed,
        dtypes=tuple(args.dtypes),
        replay=args.replay,
        thorough=args.thorough,
        edition=args.edition,
    )


def execute(args: argparse.Namespace, argv: list[str]) -> int:
    common.check_outputs(args)  # a bad --out, --json or --junit costs no import and no work
    options = options_of(args)
    try:
        subs = submissions(args.paths)
    except CheckError as e:
        print(clean(f"gradverify: error: {e}"), file=sys.stderr)
        return common.EXIT_USAGE
    try:
        layers = confine.layers(confine.forced_off())
    except ValueError as e:
        print(f"gradverify: error: {e}", file=sys.stderr)
        return common.EXIT_USAGE
    if args.grading and layers[confine.PROCESS_LAYER] != "on" and not args.allow_weak_isolation:
        layer = confine.PROCESS_LAYER
        print(
            f"gradverify: error: --grading cannot stop checked code from starting processes ({layer} is "
            f"{layers[layer]}); see docs/security.md, or pass --allow-weak-isolation",
            file=sys.stderr,
        )
        return common.EXIT_USAGE
    if not getattr(args, "quiet", False):
        print(f"isolation: {confine.summary(layers)}", file=sys.stderr)
    meta: dict[str, Any] = {
        "command": shlex.join(["gradverify", *argv]),
        "seed": args.seed,
        "cases": args.cases,
        "dtypes": list(args.dtypes),
        "interrupted": False,
        "submissions": [s.target for s in subs],
        "isolation": layers,
    }
    quiet = getattr(args, "quiet", False)
    # with --scheduler even one submission is graded on the cluster, as a batch of one
    if len(args.paths) == 1 and len(subs) == 1 and subs[0].target == args.paths[0] and not args.scheduler:
        return _single(subs[0], options, args, meta, quiet)
    return _batch(subs, options, args, meta, quiet)


def _single(sub: Submission, options: CheckOptions, args: argparse.Namespace, meta: dict, quiet: bool) -> int:
    with SubmissionCheck(sub, options) as run:  # imports the submission and plans the check
        if run.unreadable:
            print(clean(f"gradverify: error: {run.unreadable}"), file=sys.stderr)
            return common.EXIT_USAGE
        if run.nothing_checkable:
            print(clean(f"gradverify: error: {run.nothing_message()}"), file=sys.stderr)
            return common.EXIT_USAGE
        _notes(run.plan.notes, quiet)
        meta["notes"] = run.plan.notes
        out_dir = common.prepare_outputs(args, "check")
        total = run.total() + (1 if run.plan.records else 0)
        store = common.open_store(out_dir, meta)
        records = common.collect(run.batches(), meta, total=total, quiet=quiet, store=store)
    return common.finish(records, out_dir, args, meta, store=store)


def _batch(subs: list[Submission], options: CheckOptions, args: argparse.Namespace, meta: dict, quiet: bool) -> int:
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
    sink = CsvSink(out_dir / files.RESULTS_FILE, (*COLUMNS, "submission"))  # public columns keep their places
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
        messages = batch_runner.run(todo, options, batch_of, checker_died, args.workers)

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


def _notes(notes: list[str], quiet: bool) -> None:
    if not quiet:
        for note in notes:
            print(clean(f"note: {note}"), file=sys.stderr)
