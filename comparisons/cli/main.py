"""The ``gradverify`` command line; each subcommand lives in its own module of ``gradverify.cli``.

Exit codes: 0 everything agrees, 1 something disagrees (fail or error), 2 bad usage,
130 interrupted (the report of the finished cases is still written).
"""

from __future__ import annotations

import argparse
import sys

from gradverify.cli import bench, common, explain, list_ops, run
from gradverify.cli import check as check_command
from gradverify.cli import report as report_command


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
        raise common.UsageError(f"{message} (see `{self.prog} --help`)")


COMMANDS = (run, list_ops, explain, report_command, bench, check_command)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gradverify", description="Check hand-derived NumPy gradients against torch.autograd.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(argv)
        return args.execute(args, argv)
    except common.UsageError as e:
        print(f"gradverify: error: {e}", file=sys.stderr)
        return common.EXIT_USAGE
