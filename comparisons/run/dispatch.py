"""Where a sweep runs: here, on local worker processes, or on a Dask cluster."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from gradverify.core.spec import OpSpec
from gradverify.run import threads
from gradverify.run.parallel import task_sweep
from gradverify.run.plan import Case, tasks
from gradverify.run.sweep import Batch, sweep


def make_sweep(
    specs: Sequence[OpSpec],
    dtypes: Sequence[str],
    seed: int,
    cases: int,
    replay: Case | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    thorough: bool = False,
) -> Iterator[Batch]:
    """The batches of ``sweep(specs, dtypes, seed, cases, replay)``, in its order and with the
    same records, computed here (``workers=1``), by a local process pool (``workers > 1``) or
    by the Dask cluster at ``scheduler`` (``tcp://host:8786``)."""
    specs = list(specs)
    if scheduler is not None:
        from gradverify.run.distributed import dask_sweep  # dask is an optional dependency

        return dask_sweep(specs, tasks(specs, dtypes, seed, cases, replay, thorough), scheduler)
    if workers <= 1:
        return _pinned(sweep(specs, dtypes, seed, cases, replay, thorough))
    return task_sweep(specs, tasks(specs, dtypes, seed, cases, replay, thorough), workers)


def _pinned(batches: Iterator[Batch]) -> Iterator[Batch]:
    """``batches`` consumed under one torch and one BLAS thread, the setting workers use."""
    with threads.pinned():
        yield from batches
