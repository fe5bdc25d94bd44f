"""``--workers N``: the same batches, in the same order, with the same numbers, whatever N is."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor

import pandas as pd
import pytest
import torch
from threadpoolctl import threadpool_info

from gradverify.core.records import to_frame
from gradverify.run import parallel, plan
from gradverify.run.dispatch import make_sweep
from gradverify.run.parallel import chunks, ordered
from gradverify.run.plan import Case, Task
from gradverify.run.sweep import sweep
from gradverify.specs import registry

DTYPES = ["float64", "float32"]
# a mix of API styles: loss with gradient, forward/backward, model class, kinks
OPS = ["svm", "softmax", "affine", "relu", "two_layer_net"]


def frame(batches: object) -> pd.DataFrame:
    """Records of a sweep without the wall-time column (the only one that may differ)."""
    records = [r for batch in batches for r in batch]  # type: ignore[attr-defined]
    return to_frame(records).drop(columns=["time_s"])


def keys(batches: object) -> list[tuple[str, str, int, str]]:
    return [(b[0].op, b[0].case, b[0].seed, b[0].dtype) for b in batches]  # type: ignore[attr-defined]


@pytest.mark.parametrize("replay", [None, Case("random", 1234), Case("ties", 99)])
def test_plan_visits_the_cases_of_sweep_in_its_order(replay: Case | None) -> None:
    specs = registry.select(["svm", "relu", "softmax_loss", "affine", "two_layer_net"])
    tasks = list(plan.tasks(specs, DTYPES, 3, 2, replay))
    expected = keys(sweep(specs, DTYPES, 3, 2, replay))
    assert [(specs[t.spec].name, t.case.kind, t.case.seed, t.dtype) for t in tasks] == expected


def test_two_workers_give_the_records_of_one() -> None:
    specs = registry.select(OPS)
    # torch has run multithreaded in this process before the pool forks: must not hang
    torch.ones(256, 256) @ torch.ones(256, 256)
    serial = list(make_sweep(specs, DTYPES, 7, 3, workers=1))
    pooled = list(make_sweep(specs, DTYPES, 7, 3, workers=2))
    assert keys(pooled) == keys(serial)
    pd.testing.assert_frame_equal(frame(pooled), frame(serial))
    # and the records of the plain sweep, which runs with the process's default BLAS threads
    pd.testing.assert_frame_equal(frame(sweep(specs, DTYPES, 7, 3)), frame(serial))


def test_chunking_and_replay_do_not_change_records() -> None:
    specs = registry.select(["svm", "relu"])
    planned = list(plan.tasks(specs, DTYPES, 0, 2))
    one_by_one = list(parallel.task_sweep(specs, planned, workers=2, chunk=1, window=1))
    bigger = list(parallel.task_sweep(specs, planned, workers=2, chunk=5))
    pd.testing.assert_frame_equal(frame(one_by_one), frame(bigger))
    case = Case("ties", 918273)
    replayed = list(make_sweep(specs, ["float32"], 0, 6, replay=case, workers=2))
    pd.testing.assert_frame_equal(frame(replayed), frame(sweep(specs, ["float32"], 0, 6, case)))


def test_spawned_workers_give_the_same_records() -> None:
    # the start method off Linux: specs travel pickled (they hold lambdas) instead of forked
    specs = registry.select(["svm_loss", "relu"])
    tasks = list(plan.tasks(specs, ["float64"], 1, 1))
    spawned = list(parallel.task_sweep(specs, tasks, workers=2, start_method="spawn"))
    pd.testing.assert_frame_equal(frame(spawned), frame(make_sweep(specs, ["float64"], 1, 1)))


def _tagging_setup() -> parallel.Runner:
    """A worker's runner that says which process set it up (as a check's sandbox would)."""
    specs = registry.select(["relu"])
    opened = f"set up in {os.getpid()}"
    return lambda t: [r.replace(message=opened) for r in parallel.run_tasks(specs, [t])[0]]


def test_task_sweep_sets_each_worker_up_once() -> None:
    specs = registry.select(["relu"])
    tasks = list(plan.tasks(specs, DTYPES, 0, 4))
    batches = list(parallel.task_sweep(_tagging_setup, tasks, workers=2, chunk=1))
    assert 1 <= len({r.message for b in batches for r in b}) <= 2
    serial = frame(make_sweep(specs, DTYPES, 0, 4)).drop(columns=["message"])
    pd.testing.assert_frame_equal(frame(batches).drop(columns=["message"]), serial)


def _square(x: int) -> tuple[int, int]:
    time.sleep(0.001 * (x % 3))
    return x * x, os.getpid()


def test_ordered_map_keeps_item_order_on_several_processes() -> None:
    results = list(parallel.ordered_map(_square, range(12), workers=2))
    assert [r for r, _ in results] == [x * x for x in range(12)]
    assert os.getpid() not in {pid for _, pid in results}


def test_closing_early_stops_the_pool_quickly() -> None:
    specs = registry.select(["svm"])
    batches = make_sweep(specs, DTYPES, 0, 200, workers=2)
    first = next(batches)
    start = time.perf_counter()
    batches.close()  # what a Ctrl-C in the consumer does
    assert first and time.perf_counter() - start < 5


def _thread_counts(_: object) -> tuple[int, list[int]]:
    return torch.get_num_threads(), [p["num_threads"] for p in threadpool_info()]


def test_workers_run_with_one_torch_and_one_blas_thread() -> None:
    specs = registry.select(["relu"])
    context = parallel._context()
    with ProcessPoolExecutor(1, context, parallel._init_worker, (specs,)) as pool:
        torch_threads, blas_threads = pool.submit(_thread_counts, None).result()
    assert torch_threads == 1 and set(blas_threads) <= {1}


def test_ordered_keeps_order_and_bounds_work_in_flight() -> None:
    in_flight, most = 0, 0
    lock = threading.Lock()

    def work(c: list[Task]) -> list[list[dict[str, int]]]:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        time.sleep(0.002 * (5 - c[0].spec % 5))  # later chunks finish first
        with lock:
            in_flight -= 1
        return [[{"i": t.spec}] for t in c]

    tasks = [Task(i, Case("random", i), "float64") for i in range(40)]
    with ThreadPoolExecutor(8) as pool:
        submitted: list[Future] = []

        def submit(c: list[Task]) -> Future:
            submitted.append(pool.submit(work, c))
            return submitted[-1]

        out = [b[0]["i"] for b in ordered(submit, chunks(tasks, 3), window=4)]
    assert out == list(range(40))
    assert most <= 4
    assert [len(c) for c in chunks(tasks, 3)] == [3] * 13 + [1]
