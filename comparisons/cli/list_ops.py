"""``gradverify list``: the ops, their variants and the names that select them."""

from __future__ import annotations

import argparse

import pandas as pd

from gradverify.cli.common import EXIT_OK
from gradverify.specs import registry


def add_parser(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("list", help="list the ops, their variants and function names").set_defaults(execute=execute)


def execute(args: argparse.Namespace, argv: list[str]) -> int:
    print(pd.DataFrame(registry.describe()).to_markdown(index=False, tablefmt="simple"))
    return EXIT_OK
