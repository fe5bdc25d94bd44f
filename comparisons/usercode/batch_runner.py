"""Batch mode's supervisor: every submission is checked in a child process of its own, which
streams its record batches back as they finish.

A submission's sandbox worker is a child of that process, not of gradverify, so code that
kills its parent (``os.kill(os.getppid(), 9)``), exhausts memory until the OOM killer picks a
process, or crashes the checker ends one child: the batches it sent are kept, and one
``error`` record (``checker_died``) says what happened; every other submission completes.
Up to ``workers`` children run at once. ``run`` yields ``(submission, batch)`` as batches
arrive, so the caller can write them to disk at once (a submission's rows are interleaved
with others' when ``workers > 1``, each tagged with its submission).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing as mp
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

from gradverify.core.records import Record
from gradverify.run import run_info
from gradverify.usercode.sandbox.pool import Submission

Batches = Callable[[Submission, Any, list[int]], Iterator[list[Record]]]
"""``(submission, options, found) -> record batches``: what a child runs (``check.batch_of``)."""

Died = Callable[[Submission, Any, int | None], Record]
"""``(submission, options, exit code) -> record`` for a child that ended without finishing."""

_PR_SET_PDEATHSIG = 1


def run(
    subs: Sequence[Submission],
    options: Any,
    batches: Batches,
    died: Died,
    workers: int = 1,
    warm: Callable[[], None] | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> Iterator[tuple[Submission, Any]]:
    """``(submission, item)`` for every message of every submission's child, which runs
    ``batches(submission, options, found)``: ``item`` is a record batch (``list[Record]``),
    or ``("found", n)`` once the submission is planned, or ``("started", None)`` when its
    child starts and ``("done", None)`` when it has sent all; a child that dies gives the
    record ``died(submission, options, exit code)``.

    ``warm()`` runs here once before the first child is forked, so that work every child
    would repeat (importing torch and the references, torch's first calls) is done once and
    inherited; where children are spawned rather than forked it is skipped. ``meanwhile()``
    runs once when the first children are started, before waiting for them: work the caller
    needs later (the report's imports) then overlaps the checking.

    Closing the iterator early (Ctrl-C, SIGTERM) stops every running child."""
    fork = sys.platform.startswith("linux")
    ctx = mp.get_context("fork" if fork else "spawn")
    if warm is not None and fork and subs:
        warm()
    waiting = list(subs)
    running: dict[Connection, tuple[Submission, Any]] = {}
    try:
        while waiting or running:
            while waiting and len(running) < workers:
                sub = waiting.pop(0)
                receive, send = ctx.Pipe(duplex=False)
                child = ctx.Process(target=_child, args=(sub, options, batches, send), daemon=True)
                child.start()
                send.close()  # the child holds the only writer: EOF here means it ended
                running[receive] = (sub, child)
                yield sub, ("started", None)
            if meanwhile is not None:
                meanwhile()
                meanwhile = None
            for conn in wait(list(running)):
                sub, child = running[conn]
                try:
                    message = conn.recv()
                except (EOFError, OSError):  # the child ended without saying done: it died
                    del running[conn]
                    conn.close()
                    child.join(5)
                    yield sub, [died(sub, options, child.exitcode)]  # what it sent before is kept
                    yield sub, ("done", None)
                    continue
                if isinstance(message, tuple) and message[0] == "done":
                    del running[conn]
                    conn.close()
                    child.join(5)
                yield sub, message
    finally:
        for conn, (_, child) in running.items():
            conn.close()
            if child.is_alive():
                child.terminate()  # SIGTERM: the child closes its sandbox worker on the way out
        for _, child in running.values():
            child.join(5)
            if child.is_alive():
                child.kill()


def _child(sub: Submission, options: Any, batches: Batches, send: Connection) -> None:
    # the parent decides on Ctrl-C; a SIGTERM from it unwinds, so the sandbox worker is closed
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit)
    _die_with_parent()
    run_info.forget_locks()  # a killed gradverify's report folder must not stay locked by this child
    found: list[int] = []
    try:
        for batch in batches(sub, options, found):
            if found:
                send.send(("found", found.pop()))
            send.send(batch)
        if found:
            send.send(("found", found.pop()))
        send.send(("done", None))
    except (BrokenPipeError, EOFError, OSError):  # the parent is gone: nobody to report to
        pass
    finally:
        send.close()


def _exit(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _die_with_parent() -> None:
    """Linux: SIGTERM this process when gradverify dies, so a killed run leaves no checker behind."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
