"""``gradverify explain FUNCTION``: the smallest failing case of one function, explained.

With ``--file PATH`` the function is the user's own, run in the sandbox exactly as
``gradverify check`` runs it (same binding flags); otherwise it is a built-in one.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from gradverify.cli import common
from gradverify.cli.check import add_user_code_options, user_code_options
from gradverify.core.spec import OpSpec, Variant
from gradverify.core.tolerances import SUPPORTED_DTYPES
from gradverify.explain import search as explaining
from gradverify.report.files import write_atomic
from gradverify.run.sweep import Case, reproduce_command
from gradverify.specs import registry
from gradverify.usercode.check import CheckError, SubmissionCheck, one_submission

Reproduce = Callable[[OpSpec, str, Case], Callable[[Variant], str]]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explain", help="find, shrink and explain a failing case of one function")
    p.add_argument("function", metavar="FUNCTION", help="a function, op or op:variant name (see `gradverify list`)")
    p.add_argument(
        "--file",
        default=None,
        metavar="PATH",
        help="explain FUNCTION of your own file or module instead of the built-in one",
    )
    p.add_argument("--seed", type=common.seed, default=0, metavar="S", help="search seed (default 0)")
    p.add_argument(
        "--dtype",
        type=common.dtypes,
        default=list(SUPPORTED_DTYPES),
        metavar="LIST",
        help="dtypes to search, in order (default float64,float32: float64 failures first)",
    )
    p.add_argument(
        "--replay", type=common.case, default=None, metavar="KIND:SEED", help="explain this case instead of searching"
    )
    p.add_argument(
        "--shape", default=None, metavar="TEXT", help="only cases whose input shapes contain TEXT, e.g. 'X=(1,'"
    )
    p.add_argument(
        "--budget",
        type=common.positive,
        default=explaining.DEFAULT_BUDGET,
        metavar="N",
        help=f"cases searched per dtype (default {explaining.DEFAULT_BUDGET})",
    )
    p.add_argument("--plot", type=Path, default=None, metavar="FILE.png", help="save the error patterns as a PNG")
    p.add_argument("--json", type=Path, default=None, metavar="FILE", help="write the explanation as JSON")
    add_user_code_options(p)
    p.set_defaults(execute=execute)


def execute(args: argparse.Namespace, argv: list[str]) -> int:
    for flag, path in (("--plot", args.plot), ("--json", args.json)):
        if path is not None:
            common.check_writable_dir(path.parent if str(path.parent) else Path("."), flag)
    with _functions(args) as (specs, reproduce, again):
        result = None
        for spec in specs:
            for variant in spec.variants:
                result = explaining.explain(
                    spec.with_variants(variant),
                    args.dtype,
                    args.seed,
                    args.budget,
                    args.replay,
                    args.shape,
                    reproduce=reproduce,
                )
                if result.failed:
                    break
            if result is not None and result.failed:
                break
    assert result is not None  # _functions yields at least one op with a variant
    text = explaining.render(result)
    if result.failed:
        text += f"\nExplain this case again: {shlex.join(again(result))}\n"
    print(text, end="")
    if args.json is not None:
        write_atomic(args.json, json.dumps(explaining.to_json(result), indent=1, allow_nan=False))
    if args.plot is not None and result.failed:
        explaining.plot(result, str(args.plot))
        print(f"plot: {args.plot}")
    return common.EXIT_DISAGREE if result.failed else common.EXIT_OK


@contextmanager
def _functions(args: argparse.Namespace) -> Iterator[tuple[list[OpSpec], Reproduce, Callable]]:
    """The ops to explain, how a case of them is replayed, and the command that explains a
    case again: built-in, or the user's file in a sandbox worker kept open meanwhile."""
    if args.file is None:
        try:
            specs = registry.select([args.function])
        except registry.UnknownName as e:
            raise common.UsageError(str(e)) from None

        def again(r: explaining.Explanation) -> list[str]:
            return ["gradverify", "explain", f"{r.op}:{r.variant}", "--dtype", r.dtype, "--replay", str(r.case)]

        yield specs, reproduce_command, again
        return
    options = user_code_options(args, ops=(args.function,), dtypes=tuple(args.dtype))
    try:
        (submission,) = one_submission(args.file)
    except CheckError as e:
        raise common.UsageError(str(e)) from None
    with SubmissionCheck(submission, options) as run:
        if run.unreadable or run.nothing_checkable:
            raise common.UsageError(run.unreadable or run.nothing_message(full=False))
        if not run.plan.specs:  # found, but only as errors: cannot be imported, or not checkable
            messages = "; ".join(r.message for r in run.plan.records)
            raise common.UsageError(f"{args.function} in {args.file} cannot be checked: {messages}")
        flags = options.flags()

        def reproduce(spec: OpSpec, dtype: str, case: Case) -> Callable[[Variant], str]:
            def command(variant: Variant) -> str:
                argv = [
                    "gradverify",
                    "check",
                    submission.target,
                    "--ops",
                    f"{spec.name}:{variant.name}",
                    "--dtypes",
                    dtype,
                    "--replay",
                    str(case),
                    *flags,
                ]
                return shlex.join(argv)

            return command

        def again(r: explaining.Explanation) -> list[str]:
            return [
                "gradverify",
                "explain",
                f"{r.op}:{r.variant}",
                "--file",
                submission.target,
                "--dtype",
                r.dtype,
                "--replay",
                str(r.case),
                *flags,
            ]

        for note in run.plan.notes:
            print(f"note: {note}", file=sys.stderr)
        yield run.plan.specs, reproduce, again
