"""The ``gradverify`` command line; each subcommand lives in its own module of ``gradverify.cli``.

Only the module of the command being run is imported: ``gradverify --help``, an unknown
command or a bad flag answer in a fraction of a second, without importing torch, and
``gradverify check`` does not pay for ``bench``'s imports.

Exit codes: 0 everything agrees, 1 something disagrees (fail, error or incomplete), 2 bad
usage, 130 interrupted by Ctrl-C, 143 by SIGTERM (the report of the finished cases is still
written).
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys

from gradverify.cli import common
from gradverify.core.display import clean

COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("gradverify.cli.run", "compare every built-in implementation with its torch reference"),
    "list": ("gradverify.cli.list_ops", "list the ops, their variants and function names"),
    "explain": ("gradverify.cli.explain", "find, shrink and explain a failing case of one function"),
    "report": ("gradverify.cli.report", "re-render a report folder, or compare two (--compare OLD_DIR NEW_DIR)"),
    "bench": (
        "gradverify.cli.bench",
        "time the layers against torch, the check against gradcheck and its own inputs, the sweep, the start-up",
    ),
    "check": (
        "gradverify.cli.check",
        "check your own NumPy code (a file, package folder, module, or a folder of submissions)",
    ),
}
"""Each subcommand: the module that declares and runs it, and its one-line help (for
``gradverify --help``, which imports none of the modules; a test keeps the two in step)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
        raise common.UsageError(f"{message} (see `{self.prog} --help`)")


def _chosen(argv: list[str] | None) -> str | None:
    """The subcommand ``argv`` names (the first word that is not a flag), if it is one."""
    for word in argv or ():
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser, with every subcommand fully declared (``argv=None``) or only the one
    ``argv`` names (the others by name and help alone, so their modules stay unimported)."""
    parser = _Parser(prog="gradverify", description="Check hand-derived NumPy gradients against torch.autograd.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    chosen = _chosen(argv)
    for name, (module, help_text) in COMMANDS.items():
        if argv is None or name == chosen:
            importlib.import_module(module).add_parser(sub)
        else:
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    previous = common.handle_sigterm()
    try:
        args = build_parser(argv).parse_args(argv)
        return args.execute(args, argv)
    except common.UsageError as e:
        print(f"gradverify: error: {clean(str(e))}", file=sys.stderr)  # may name a student's file
        return common.EXIT_USAGE
    except KeyboardInterrupt as e:  # before a sweep began, or in a command without a report
        terminated = isinstance(e, common.Terminated)
        print(f"gradverify: {'terminated' if terminated else 'interrupted'}: nothing was finished", file=sys.stderr)
        return common.EXIT_TERMINATED if terminated else common.EXIT_INTERRUPTED
    finally:
        common.release_locks()
        if previous is not None:  # main() may be called in a process that has its own handler
            signal.signal(signal.SIGTERM, previous)
