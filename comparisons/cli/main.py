"""The ``gradverify`` command line; each subcommand lives in its own module of ``gradverify.cli``.

Exit codes: 0 everything agrees, 1 something disagrees (fail or error), 2 bad usage,
130 interrupted (the report of the finished cases is still written).

This module imports only the standard library at load time: numpy, torch and pandas are
imported inside ``main``, so a Ctrl-C during those slow imports is an ordinary interruption
(exit 130, one line) rather than a traceback.
"""

from __future__ import annotations

import argparse
import sys
from importlib import metadata

from gradverify.cli.errors import UsageError, did_you_mean

EXIT_USAGE, EXIT_INTERRUPTED = 2, 130
COMMAND_NAMES = ("check", "run", "explain", "list", "report", "bench")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
        if "required: PATH" in message:
            message += (
                " (the file or folder to check, e.g. `gradverify check layers.py`, or `paths` in [tool.gradverify])"
            )
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def version() -> str:
    try:
        return metadata.version("gradverify")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    from gradverify.cli import bench, check, explain, list_ops, report, run

    parser = _Parser(
        prog="gradverify",
        description="Check hand-derived NumPy gradients against torch.autograd. "
        "Start with `gradverify check YOUR_FILE.py`.",
    )
    parser.add_argument("--version", action="version", version=f"gradverify {version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    for command in (check, run, explain, list_ops, report, bench):
        command.add_parser(sub)
    return parser


def _command(argv: list[str]) -> str | None:
    """The subcommand the user typed (the first word that is not an option)."""
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        word = _command(argv)
        if word is None and not {"-h", "--help", "--version"} & set(argv):
            raise UsageError(
                f"give a command: {', '.join(COMMAND_NAMES)}; start with `gradverify check YOUR_FILE.py` "
                "(see `gradverify --help`)"
            )
        if word is not None and word not in COMMAND_NAMES:
            raise UsageError(
                f"unknown command {word!r}{did_you_mean(word, COMMAND_NAMES)}; choose from {', '.join(COMMAND_NAMES)}"
            )
        from gradverify.cli import config

        parser = build_parser()
        if word is not None:
            table, path = config.load()
            if table:
                config.apply(_subparser(parser, word), table, path)
        args = parser.parse_args(argv)
        return args.execute(args, argv)
    except UsageError as e:
        print(f"gradverify: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("gradverify: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]
    raise KeyError(name)
