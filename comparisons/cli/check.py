"""``gradverify check``: verify a user's own NumPy code, run in a sandboxed worker process.

One PATH (a ``.py`` file, a package folder, a module name) is one submission. A folder without
``__init__.py`` is a batch: each ``.py`` file and subfolder in it is one submission, and the
report folder also gets ``batch.csv`` and ``batch.md`` (submission x function). Exit codes:
0 everything discovered passes, 1 something fails, errors or (batch mode) is incomplete, 2 a
path cannot be read, nothing checkable was found (the message says which) or another run holds
``--out``, 130 interrupted, 143 terminated (SIGTERM).

Batch mode (``check_batch``) checks every submission in a child process of its own and streams
its rows to results.csv as they arrive, so a submission that kills its checker (or gradverify) costs only
its own results; a submission that lacks a function the op needs (a backward) or that others
have is ``incomplete``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

from gradverify.cli import check_batch, common, errors
from gradverify.core.display import clean
from gradverify.run import run_info
from gradverify.specs import registry
from gradverify.usercode.sandbox import confine, interpreter
from gradverify.usercode.sandbox.pool import BUDGET_TIMEOUTS, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, Submission
from gradverify.usercode.submission_check import CheckOptions, SubmissionCheck, validate
from gradverify.usercode.submissions import CheckError, submissions


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
        "--python",
        default=None,
        metavar="PATH",
        help="run the checked code in this Python (a course environment, e.g. with NumPy 1.x); it needs only "
        "NumPy, gradverify need not be installed there (the verdicts are still computed here)",
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
        python=args.python,
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
    python = interpreter.resolve(options.python)  # checked by options_of: a bad PATH is a usage error
    try:
        layers = confine.layers(confine.forced_off(), python)
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
        if not python.own:
            print(f"checked code runs in {python.describe()}", file=sys.stderr)
    meta: dict[str, Any] = {
        "command": shlex.join(["gradverify", *argv]),
        "seed": args.seed,
        "cases": args.cases,
        "dtypes": list(args.dtypes),
        "interrupted": False,
        "submissions": [s.target for s in subs],
        "isolation": layers,
    }
    if not python.own:  # shown with the versions in run.json, summary.md and report.html
        meta["environment"] = {**run_info.environment(), "checked code": python.describe()}
    quiet = getattr(args, "quiet", False)
    errors.load_torch()
    # with --scheduler even one submission is graded on the cluster, as a batch of one
    if len(args.paths) == 1 and len(subs) == 1 and subs[0].target == args.paths[0] and not args.scheduler:
        return _single(subs[0], options, args, meta, quiet)
    return check_batch.run(subs, options, args, meta, quiet)


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


def _notes(notes: list[str], quiet: bool) -> None:
    if not quiet:
        for note in notes:
            print(clean(f"note: {note}"), file=sys.stderr)
