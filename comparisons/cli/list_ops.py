"""``gradverify list``: the ops, their variants and the names that select them."""

from __future__ import annotations

import argparse

import pandas as pd

from gradverify.cli.common import COURSES, EXIT_OK, UsageError
from gradverify.ownops.declaration import DeclarationError
from gradverify.specs import registry
from gradverify.usercode import declared


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="list the ops, their variants and function names")
    p.add_argument(
        "--module",
        default=None,
        metavar="MODULE_OR_FILE",
        help="list the ops your own module declares instead (see docs/own-ops.md)",
    )
    p.add_argument(
        "--course", choices=COURSES, default=None, help="list only this course's ops (default: every course)"
    )
    p.set_defaults(execute=execute)


def execute(args: argparse.Namespace, argv: list[str]) -> int:
    try:
        specs = tuple(declared.in_process_specs(args.module)) if args.module else registry.course(args.course)
    except DeclarationError as e:
        raise UsageError(str(e)) from None
    print(pd.DataFrame(registry.describe(specs)).to_markdown(index=False, tablefmt="simple"))
    return EXIT_OK
