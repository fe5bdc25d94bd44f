"""The command line's errors, exit codes and signals; only the standard library, so that
``main`` can install them before any slow import.

Exit codes: 0 everything agrees, 1 something disagrees, 2 bad usage (one line), 130
interrupted by Ctrl-C, 143 by SIGTERM (how CI cancels a job).
"""

from __future__ import annotations

import difflib
import os
import signal
import sys
import threading
from collections.abc import Iterable
from typing import Any

EXIT_OK, EXIT_DISAGREE, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143


class UsageError(Exception):
    """Bad usage: printed as one line, exit code 2."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class Terminated(KeyboardInterrupt):
    """SIGTERM (how CI cancels a job), handled as Ctrl-C is: the finished cases are reported,
    marked interrupted, and the exit code is 143 (128 + SIGTERM)."""


_INSTALLED_BY: list[int] = []


def handle_sigterm() -> Any:
    """Turn SIGTERM into ``Terminated`` in this (main) thread; returns the previous handler."""
    if threading.current_thread() is not threading.main_thread():
        return None
    _INSTALLED_BY[:] = [os.getpid()]
    return signal.signal(signal.SIGTERM, _terminate)


def _terminate(signum: int, frame: object) -> None:
    if _INSTALLED_BY != [os.getpid()]:  # a forked worker inherited this: SIGTERM ends it as usual
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        return
    raise Terminated()


def load_torch() -> None:
    """Import torch now, once the arguments are known to be good and before any case runs.

    The specs import it lazily (``list`` and argument errors never need it). A Ctrl-C inside
    ``import torch`` would leave a module that cannot be imported again (or abort in its C++
    start-up), so SIGINT and SIGTERM only take note during the import and interrupt the
    start-up when it is done (exit 130 or 143, no report), never a run whose report still
    needs torch. Python-level handlers, not a signal mask: the mask would hold only this
    thread, and the kernel may hand the signal to a thread numpy's BLAS started earlier."""
    if "torch" in sys.modules or threading.current_thread() is not threading.main_thread():
        import torch  # noqa: F401

        return
    caught: list[int] = []
    previous = {s: signal.signal(s, lambda signum, frame: caught.append(signum)) for s in HELD}
    try:
        import torch  # noqa: F401
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if caught:
        raise Terminated() if caught[0] == signal.SIGTERM else KeyboardInterrupt()


HELD = (signal.SIGINT, signal.SIGTERM)
"""The signals that wait for ``import torch`` to finish."""
