"""``gradverify explain FUNCTION``: the smallest failing case of one function, explained."""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

from comparisons import explain as explaining
from comparisons import registry
from comparisons.commands import common
from comparisons.report import write_atomic
from comparisons.runner import Case, reproduce_command
from comparisons.tolerances import SUPPORTED_DTYPES


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explain", help="find, shrink and explain a failing case of one function")
    p.add_argument("function", metavar="FUNCTION", help="a function, op or op:variant name (see `gradverify list`)")
    p.add_argument("--seed", type=common.seed, default=0, metavar="S", help="search seed (default 0)")
    p.add_argument(
        "--dtype",
        type=common.dtypes,
        default=list(SUPPORTED_DTYPES),
        metavar="LIST",
        help="dtypes to search, in order (default float64,float32: float64 failures first)",
    )
    p.add_argument(
        "--replay", type=parse_case, default=None, metavar="KIND:SEED", help="explain this case instead of searching"
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
    p.set_defaults(execute=execute)


def parse_case(text: str) -> Case:
    try:
        return Case.parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def execute(args: argparse.Namespace, argv: list[str]) -> int:
    try:
        specs = registry.select([args.function])
    except registry.UnknownName as e:
        raise common.UsageError(str(e)) from None
    for flag, path in (("--plot", args.plot), ("--json", args.json)):
        if path is not None:
            common.check_writable_dir(path.parent if str(path.parent) else Path("."), flag)
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
                reproduce=reproduce_command,
            )
            if result.failed:
                break
        if result is not None and result.failed:
            break
    assert result is not None  # select() never returns an op without variants
    text = explaining.render(result)
    if result.failed:
        again = [
            "gradverify",
            "explain",
            f"{result.op}:{result.variant}",
            "--dtype",
            result.dtype,
            "--replay",
            str(result.case),
        ]
        text += f"\nExplain this case again: {shlex.join(again)}\n"
    print(text, end="")
    if args.json is not None:
        write_atomic(args.json, json.dumps(explaining.to_json(result), indent=1, allow_nan=False))
    if args.plot is not None and result.failed:
        explaining.plot(result, str(args.plot))
        print(f"plot: {args.plot}")
    return common.EXIT_DISAGREE if result.failed else common.EXIT_OK
