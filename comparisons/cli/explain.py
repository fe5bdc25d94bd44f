"""``gradverify explain FUNCTION``: the smallest failing case of one function, explained.

With ``--file PATH`` the function is the user's own, run in the sandbox exactly as
``gradverify check`` runs it (same binding flags); otherwise it is a built-in one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gradverify.cli import common, outputs
from gradverify.cli.check import add_user_code_options, user_code_options
from gradverify.core.display import clean
from gradverify.core.tolerances import SUPPORTED_DTYPES
from gradverify.explanation import search, targets
from gradverify.report.files import write_atomic


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explain", help="find, shrink and explain a failing case of one function")
    p.add_argument(
        "function",
        metavar="FUNCTION",
        help="a function, op or op:variant name (see `gradverify list`), or MODULE:FUNCTION of your own declared ops",
    )
    p.add_argument(
        "--module",
        default=None,
        metavar="MODULE_OR_FILE",
        help="explain FUNCTION among the ops your module declares, run in this process (see docs/own-ops.md)",
    )
    p.add_argument(
        "--file",
        default=None,
        metavar="PATH",
        help="explain FUNCTION of your own file or module instead of the built-in one",
    )
    p.add_argument("--seed", type=common.seed, default=0, metavar="S", help="search seed (default 0)")
    p.add_argument(
        "--dtypes",
        "--dtype",
        dest="dtype",
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
        default=search.DEFAULT_BUDGET,
        metavar="N",
        help=f"cases searched per dtype (default {search.DEFAULT_BUDGET})",
    )
    p.add_argument("--plot", type=Path, default=None, metavar="FILE.png", help="save the error patterns as a PNG")
    p.add_argument("--json", type=Path, default=None, metavar="FILE", help="write the explanation as JSON")
    add_user_code_options(p)
    p.set_defaults(execute=execute)


def execute(args: argparse.Namespace, argv: list[str]) -> int:
    for flag, path in (("--plot", args.plot), ("--json", args.json)):
        if path is not None:
            outputs.check_file(path, flag)
    options = None
    if args.file is not None:
        options = user_code_options(args, ops=(args.function,), dtypes=tuple(args.dtype))
    try:
        with targets.functions(args.function, args.file, options, args.module) as found:
            for note in found.notes:
                print(clean(f"note: {note}"), file=sys.stderr)
            result = targets.first_failure(
                found.specs, found.reproduce, args.dtype, args.seed, args.budget, args.replay, args.shape
            )
    except targets.NothingToExplain as e:
        raise common.UsageError(str(e)) from None
    text = search.render(result)
    if result.failed:
        text += f"\nExplain this case again: {found.again(result)}\n"
    print(clean(text), end="")  # names and messages of the user's code
    if args.json is not None:
        write_atomic(outputs.make_parent(args.json), json.dumps(search.to_json(result), indent=1, allow_nan=False))
    if args.plot is not None and result.failed:
        search.plot(result, str(outputs.make_parent(args.plot)))
        print(f"plot: {args.plot}")
    return common.EXIT_DISAGREE if result.failed else common.EXIT_OK
