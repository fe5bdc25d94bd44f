"""Running a sweep on an existing Dask distributed cluster (``--scheduler ADDRESS``).

Nightly sweeps of millions of cases, or grading a whole class, outgrow one machine. Dask
already does the hard parts (placement, retries when a worker dies, back-pressure), so
this module only cuts the sweep into chunks of tasks and submits them to the scheduler.

Records are the same wherever a case runs: every case carries its own seed
(``sampling.case_seed``, a ``SeedSequence`` of the run seed, the op's name and the case's
index, so cases are independent streams exactly as ``SeedSequence.spawn`` children are),
each worker process pins itself to one torch thread and one BLAS thread, and results are
yielded in sweep order. The op specs (which hold lambdas) travel once, as a cloudpickle
blob broadcast to every worker; the workers need the same ``gradverify`` installed, since
the implementations and references are imported there by name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from gradverify.core.spec import OpSpec
from gradverify.run.parallel import WINDOW_PER_WORKER, chunks, dumps_specs, ordered, run_tasks
from gradverify.run.plan import Task
from gradverify.run.sweep import Batch
from gradverify.run.threads import pin_threads

CHUNK = 16
"""Tasks per Dask task: the scheduler costs ~1 ms per task, a case ~10-50 ms."""

CONNECT_TIMEOUT = "10s"


class SchedulerUnavailable(OSError):
    """No Dask scheduler answered at the given address."""


# per worker process: the specs of each sweep seen (by blob hash), and the thread limits
_WORKER: dict[str, Any] = {"specs": {}, "limits": None}


def _remote_chunk(key: str, blob: bytes, tasks: list[Task]) -> list[Batch]:
    """Runs on a Dask worker: the batches of ``tasks``."""
    if _WORKER["limits"] is None:
        _WORKER["limits"] = pin_threads()
    specs = _WORKER["specs"].get(key)
    if specs is None:
        import cloudpickle

        specs = _WORKER["specs"][key] = cloudpickle.loads(blob)
    return run_tasks(specs, tasks)


def connect(address: str, timeout: str = CONNECT_TIMEOUT) -> Any:
    """A client of the scheduler at ``address``; ``SchedulerUnavailable`` when none answers
    within ``timeout``."""
    try:
        from distributed import Client
    except ImportError:
        raise SchedulerUnavailable(
            "--scheduler needs dask.distributed: pip install 'gradverify[distributed]'"
        ) from None
    try:
        return Client(address, set_as_default=False, timeout=timeout)
    except (OSError, TimeoutError) as e:
        raise SchedulerUnavailable(f"no Dask scheduler at {address!r}: {e}") from None


def dask_sweep(
    specs: list[OpSpec], tasks: Iterable[Task], address: str, chunk: int = CHUNK, window: int | None = None
) -> Iterator[Batch]:
    """The batches of ``tasks`` computed by the cluster at ``address``, in task order.

    Connects at once (so a wrong address fails before the sweep starts); the returned
    iterator closes the connection when it is exhausted or closed."""
    client = connect(address)
    try:
        blob = dumps_specs(specs)
        key = hashlib.sha256(blob).hexdigest()
        # one copy per worker, not one per task
        shared = client.scatter(blob, broadcast=True, hash=False)
        slots = max(1, sum(client.nthreads().values()))
    except BaseException:
        client.close()
        raise
    return _stream(client, key, shared, chunks(tasks, chunk), window or WINDOW_PER_WORKER * slots)


def _stream(client: Any, key: str, shared: Any, work: Iterator[list[Task]], window: int) -> Iterator[Batch]:
    def submit(c: list[Task]) -> Any:
        # pure=False: two identical chunks (a --replay on two ops) are still two tasks
        return client.submit(_remote_chunk, key, shared, c, pure=False)

    try:
        yield from ordered(submit, work, window)
    finally:
        client.close()


def dask_map(fn: Callable[[Any], Any], items: Iterable[Any], address: str, window: int | None = None) -> Iterator[Any]:
    """``fn(item)`` for every item on the cluster at ``address``, in item order, with at most
    ``window`` items in flight (``gradverify check --scheduler``: one item per submission,
    whose sandboxed worker then runs on the cluster machine). ``fn`` and the items must pickle;
    paths in them must mean the same on the cluster (a shared filesystem).

    Connects at once (``SchedulerUnavailable`` before anything runs); the returned iterator
    closes the connection when it is exhausted or closed."""
    client = connect(address)
    try:
        slots = max(1, sum(client.nthreads().values()))
    except BaseException:
        client.close()
        raise

    def submit(group: list[Any]) -> Any:
        return client.submit(_map_remote, fn, group, pure=False)

    def stream() -> Iterator[Any]:
        try:
            yield from ordered(submit, chunks(items, 1), window or 2 * slots)
        finally:
            client.close()

    return stream()


def _map_remote(fn: Callable[[Any], Any], group: list[Any]) -> list[Any]:
    """Runs on a Dask worker, pinned to one thread as a local worker process is."""
    if _WORKER["limits"] is None:
        _WORKER["limits"] = pin_threads()
    return [fn(item) for item in group]
