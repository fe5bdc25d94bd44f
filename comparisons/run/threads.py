"""The one place gradverify sets thread counts.

Samples are tiny: one torch thread avoids thread-pool start-up costs and keeps timings
stable, and one BLAS thread makes every process round identically (a reduction split over
threads can round differently), so records do not depend on where a case ran.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""Set in the environment of every process gradverify starts (sandbox workers)."""


def one_torch_thread() -> None:
    """One torch thread in this process, for good (where references run)."""
    import torch

    torch.set_num_threads(1)


def pin_threads() -> Any:
    """One torch thread and one BLAS/OpenMP thread in this process, for good; the returned
    limiter restores the BLAS limits when ``restore_original_limits()`` is called."""
    from threadpoolctl import threadpool_limits

    one_torch_thread()
    return threadpool_limits(limits=1)


@contextlib.contextmanager
def pinned() -> Iterator[None]:
    """One torch thread and one BLAS/OpenMP thread for the block, restored after it."""
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    limits = threadpool_limits(limits=1)
    try:
        yield
    finally:
        limits.restore_original_limits()
        torch.set_num_threads(before)
