"""Running a sweep on several processes (``--workers N``) with the same records as one.

The sweep is cut into tasks, one per (op, case, dtype), in exactly the order
``runner.sweep`` visits them. Each task runs through ``runner.sweep`` itself (replaying its
one case), so a record does not depend on which process computed it: the case's seed comes
from ``sampling.case_seed(run_seed, op, index)``, and every process, this one included, runs
with one torch thread and one BLAS thread (a BLAS reduction split over threads can round
differently). Results come back in sweep order, through a bounded window of chunks in
flight, so memory does not grow with the number of cases.

``make_sweep`` is the one entry point the commands need.
"""

from __future__ import annotations

import importlib.machinery
import multiprocessing as mp
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import Any

from gradverify.core.spec import OpSpec
from gradverify.run.plan import Task
from gradverify.run.sweep import Batch, sweep
from gradverify.run.threads import pin_threads

CHUNK = 4
"""Tasks per chunk sent to a worker: a case takes ~10-50 ms, inter-process overhead ~0.2 ms,
and small chunks keep the two workers busy until the very end of a short sweep."""

WINDOW_PER_WORKER = 4
"""Chunks in flight per worker: enough to hide the hand-off, few enough to bound memory."""


def run_tasks(specs: list[OpSpec], tasks: Iterable[Task]) -> list[Batch]:
    """The batches of ``tasks``, each computed exactly as ``runner.sweep`` computes it."""
    return [
        batch for t in tasks for batch in sweep([specs[t.spec]], [t.dtype], 0, 0, replay=t.case, thorough=t.thorough)
    ]


def chunks(tasks: Iterable[Task], size: int) -> Iterator[list[Task]]:
    """``tasks`` in consecutive lists of ``size`` (the last may be shorter)."""
    it = iter(tasks)
    while chunk := list(islice(it, size)):
        yield chunk


def ordered(submit: Any, work: Iterator[list[Task]], window: int) -> Iterator[Batch]:
    """Submit chunks through ``submit(chunk) -> future`` with at most ``window`` in flight and
    yield their batches in submission order. Pending futures are cancelled if the consumer
    stops early (Ctrl-C, an error, or ``close()``)."""
    pending: deque[Any] = deque(submit(c) for c in islice(work, window))
    try:
        while pending:
            batches = pending.popleft().result()
            for c in islice(work, 1):
                pending.append(submit(c))
            yield from batches
    finally:
        for future in pending:
            future.cancel()


def dumps_specs(specs: list[OpSpec]) -> bytes:
    """The specs as bytes another process can load (with cloudpickle: specs hold lambdas).

    Code from modules the workers cannot import by name (a student's file loaded from a
    path) travels by value; everything else (``impl``, ``reference``, the specs) by
    reference, so the workers use their installed copy."""
    import cloudpickle

    for name in _modules(specs):
        module = sys.modules.get(name)
        if module is not None and not _importable(name):
            cloudpickle.register_pickle_by_value(module)
    return cloudpickle.dumps(specs)


def _modules(specs: list[OpSpec]) -> set[str]:
    """Modules of the implementation code behind the specs' adapters."""
    names = set()
    for spec in specs:
        for variant in spec.variants:
            names.update(c.__module__ for c in variant.adapter.code().values() if getattr(c, "__module__", None))
    return names


def _importable(name: str) -> bool:
    """Whether a fresh process would import the module ``name`` from the same file: found on
    sys.path (not just present in sys.modules, where a file loaded by path also sits)."""
    module = sys.modules.get(name)
    top = name.partition(".")[0]
    try:
        found = importlib.machinery.PathFinder.find_spec(top)
    except (ImportError, ValueError):
        return False
    if found is None:
        return top in sys.builtin_module_names
    if top == name and module is not None and getattr(module, "__file__", None) and found.origin:
        return os.path.realpath(found.origin) == os.path.realpath(module.__file__)
    return True


# --- the process pool --------------------------------------------------------------------

Runner = Callable[[Task], Batch]
"""Computes one task's batch inside a worker process."""

_WORKER: dict[str, Any] = {}


class _SpecRunner:
    """The runner of a list of specs: ``runner.sweep`` replaying the task's case."""

    def __init__(self, specs: list[OpSpec]) -> None:
        self.specs = specs

    def __call__(self, task: Task) -> Batch:
        return run_tasks(self.specs, [task])[0]


def _init_worker(payload: list[OpSpec] | Callable[[], Runner] | bytes) -> None:
    # Ctrl-C goes to the whole process group: the parent decides, the workers just stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if isinstance(payload, bytes):  # spawn: see dumps_specs
        import cloudpickle

        payload = cloudpickle.loads(payload)
    _WORKER["limits"] = pin_threads()
    _WORKER["run"] = _SpecRunner(payload) if isinstance(payload, list) else payload()


def _run_chunk(tasks: list[Task]) -> list[Batch]:
    run = _WORKER["run"]
    return [run(t) for t in tasks]


def _load_torch() -> None:
    """Import torch here, once, before workers are forked: the specs name their references
    lazily, so nothing else has imported it yet, and every worker would import it again."""
    import torch  # noqa: F401


def _context(start_method: str | None = None) -> mp.context.BaseContext:
    """fork on Linux: workers start in milliseconds with the specs, torch and numpy already
    loaded (spawn imports torch again in every worker, ~2 s each). Elsewhere spawn, since
    macOS system libraries are not fork-safe."""
    return mp.get_context(start_method or ("fork" if sys.platform.startswith("linux") else "spawn"))


def task_sweep(
    setup: list[OpSpec] | Callable[[], Runner],
    tasks: Iterable[Task],
    workers: int,
    chunk: int = CHUNK,
    window: int | None = None,
    start_method: str | None = None,
) -> Iterator[Batch]:
    """The batches of ``tasks`` computed by ``workers`` local processes, in task order.

    ``setup`` is a list of specs, or a function each worker calls once to get its runner (a
    ``gradverify check`` worker opens its own sandbox there); off Linux it must survive
    cloudpickle."""
    ctx = _context(start_method)
    payload: Any = setup
    if ctx.get_start_method() != "fork":
        payload = dumps_specs(setup) if isinstance(setup, list) else _dumps(setup)
    else:
        _load_torch()
    pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(payload,))

    def submit(c: list[Task]) -> Future:
        return pool.submit(_run_chunk, c)

    finished = False
    try:
        yield from ordered(submit, chunks(tasks, chunk), window or WINDOW_PER_WORKER * workers)
        finished = True
    finally:
        # at the end the workers are idle: join them; on Ctrl-C or an early close, drop the
        # queued chunks and let the running ones (milliseconds) end on their own
        pool.shutdown(wait=finished, cancel_futures=not finished)


def _init_pinned() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER["limits"] = pin_threads()


def ordered_map(
    fn: Callable[[Any], Any], items: Iterable[Any], workers: int, window: int | None = None
) -> Iterator[Any]:
    """``fn(item)`` for every item, on ``workers`` pinned processes, in item order, with at
    most ``window`` items in flight (``gradverify check`` over a class's submissions: one
    item per submission). ``fn`` and the items must pickle."""
    ctx = _context()
    if ctx.get_start_method() == "fork":
        _load_torch()
    pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_pinned)

    def submit(group: list[Any]) -> Future:
        return pool.submit(_map_group, fn, group)

    finished = False
    try:
        yield from ordered(submit, chunks(items, 1), window or 2 * workers)
        finished = True
    finally:
        pool.shutdown(wait=finished, cancel_futures=not finished)


def _map_group(fn: Callable[[Any], Any], group: list[Any]) -> list[Any]:
    return [fn(item) for item in group]


def _dumps(setup: Callable[[], Runner]) -> bytes:
    import cloudpickle

    return cloudpickle.dumps(setup)
