"""The ``gradverify`` command line; each subcommand lives in its own module of ``gradverify.cli``.

Only the module of the command being run is imported: ``gradverify --help``, an unknown
command or a bad flag answer in a fraction of a second, without importing torch, and
``gradverify check`` does not pay for ``bench``'s imports. This module itself imports only the
standard library at load time, so a Ctrl-C during the slow imports that follow is an ordinary
interruption (exit 130, one line) rather than a traceback.

Exit codes: 0 everything agrees, 1 something disagrees (fail, error or incomplete), 2 bad
usage, 130 interrupted by Ctrl-C, 143 by SIGTERM (the report of the finished cases is still
written).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import importlib
import os
import signal
import sys
from importlib import metadata

from gradverify.cli.errors import (
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    EXIT_USAGE,
    Terminated,
    UsageError,
    did_you_mean,
    handle_sigterm,
)

COMMANDS: dict[str, tuple[str, str]] = {
    "check": (
        "gradverify.cli.check",
        "check your own NumPy code (a file, package folder, module, or a folder of submissions)",
    ),
    "run": ("gradverify.cli.run", "compare every built-in implementation with its torch reference"),
    "explain": ("gradverify.cli.explain", "find, shrink and explain a failing case of one function"),
    "list": ("gradverify.cli.list_ops", "list the ops, their variants and function names"),
    "report": ("gradverify.cli.report", "re-render a report folder, or compare two (--compare OLD_DIR NEW_DIR)"),
    "bench": (
        "gradverify.cli.bench",
        "time the layers against torch, the check against gradcheck and its own inputs, the sweep, the start-up",
    ),
}
"""Each subcommand: the module that declares and runs it, and its one-line help (for
``gradverify --help``, which imports none of the modules; a test keeps the two in step)."""
COMMAND_NAMES = tuple(COMMANDS)


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


def _command(argv: list[str] | None) -> str | None:
    """The subcommand the user typed (the first word that is not an option)."""
    return next((a for a in argv or () if not a.startswith("-")), None)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser, with every subcommand fully declared (``argv=None``) or only the one
    ``argv`` names (the others by name and help alone, so their modules stay unimported)."""
    parser = _Parser(
        prog="gradverify",
        description="Check hand-derived NumPy gradients against torch.autograd. "
        "Start with `gradverify check YOUR_FILE.py`.",
    )
    parser.add_argument("--version", action="version", version=f"gradverify {version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    chosen = _command(argv)
    for name, (module, help_text) in COMMANDS.items():
        if argv is None or name == chosen:
            importlib.import_module(module).add_parser(sub)
        else:
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    previous = handle_sigterm()
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

        parser = build_parser(argv)
        if word is not None:
            table, path = config.load()
            if table:
                config.apply(_subparser(parser, word), table, path)
        args = parser.parse_args(argv)
        return args.execute(args, argv)
    except UsageError as e:
        from gradverify.core.display import clean

        print(f"gradverify: error: {clean(str(e))}", file=sys.stderr)  # may name a student's file
        return EXIT_USAGE
    except KeyboardInterrupt as e:  # before a sweep began, or in a command without a report
        terminated = isinstance(e, Terminated)
        print(f"gradverify: {'terminated' if terminated else 'interrupted'}", file=sys.stderr)
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
    finally:
        common = sys.modules.get("gradverify.cli.common")
        if common is not None:  # the report folder's lock, if a command took one
            common.release_locks()
        if previous is not None:  # main() may be called in a process that has its own handler
            signal.signal(signal.SIGTERM, previous)


def entry() -> None:
    """The ``gradverify`` command and ``python -m gradverify``: ``main`` as a process.

    An interrupted run ends with ``os._exit`` after the exit handlers ran: CPython marks a
    KeyboardInterrupt raised inside ``exec`` of a string (a dataclass being created while a
    module imports) as unhandled even when ``main`` handled it, and would then end the
    process by SIGINT instead of exit 130."""
    code = main()
    if code in (EXIT_INTERRUPTED, EXIT_TERMINATED):
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)
    raise SystemExit(code)


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]
    raise KeyError(name)
