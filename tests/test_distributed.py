"""``--scheduler ADDRESS``: a sweep on a Dask cluster gives the records of a local one.

The test starts its own local cluster (two worker processes, one thread each), which is
what a real cluster looks like to the client, only on loopback.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from gradverify.core.adapters import LossGrad
from gradverify.core.records import to_frame
from gradverify.core.spec import Variant
from gradverify.run import plan
from gradverify.run.dispatch import make_sweep
from gradverify.run.plan import Case
from gradverify.specs import registry

distributed = pytest.importorskip("distributed")  # the test extra installs it

from gradverify.run.distributed import SchedulerUnavailable, connect, dask_sweep  # noqa: E402

DTYPES = ["float64", "float32"]
OPS = ["svm", "softmax", "affine", "relu"]


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    cluster = distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None, host="127.0.0.1"
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def frame(batches: object) -> pd.DataFrame:
    records = [r for batch in batches for r in batch]  # type: ignore[attr-defined]
    return to_frame(records).drop(columns=["time_s"])


def test_cluster_sweep_gives_the_local_records_in_order(scheduler: str) -> None:
    specs = registry.select(OPS)
    local = list(make_sweep(specs, DTYPES, 5, 2, workers=1))
    remote = list(make_sweep(specs, DTYPES, 5, 2, scheduler=scheduler))
    assert [b[0].seed for b in remote] == [b[0].seed for b in local]
    pd.testing.assert_frame_equal(frame(remote), frame(local))


def test_where_a_case_runs_does_not_matter(scheduler: str) -> None:
    # chunks of one task spread the cases over both workers differently from chunks of 7
    specs = registry.select(["relu", "svm"])
    tasks = list(plan.tasks(specs, DTYPES, 0, 2))
    spread = list(dask_sweep(specs, tasks, scheduler, chunk=1, window=2))
    lumped = list(dask_sweep(specs, tasks, scheduler, chunk=7))
    pd.testing.assert_frame_equal(frame(spread), frame(lumped))
    replay = Case("ties", 918273)
    local = list(make_sweep(specs, ["float32"], 0, 6, replay=replay))
    pd.testing.assert_frame_equal(
        frame(make_sweep(specs, ["float32"], 0, 6, replay, scheduler=scheduler)), frame(local)
    )


STUDENT = """
import numpy as np


def svm_loss_vectorized(W, X, y, reg):
    n = X.shape[0]
    scores = X @ W
    margins = np.maximum(0, scores - scores[np.arange(n), y][:, None] + 1.0)
    margins[np.arange(n), y] = 0
    mask = (margins > 0).astype(X.dtype)
    mask[np.arange(n), y] = -mask.sum(axis=1)
    return float(margins.sum() / n + reg * np.sum(W * W)), X.T @ mask / n + 2 * reg * W
"""


def test_code_loaded_from_a_file_runs_on_the_cluster(scheduler: str, tmp_path: Path) -> None:
    # a student's file is no module the workers can import: it must travel by value
    path = tmp_path / "student_svm.py"
    path.write_text(STUDENT)
    loader = importlib.util.spec_from_file_location("gradverify_student_0", path)
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    sys.modules[loader.name] = module
    try:
        spec = registry.select(["svm"])[0]
        adapter = LossGrad(module.svm_loss_vectorized, ("W", "X", "y", "reg"), wrt=("W",))
        specs = [spec.with_variants(Variant("student", adapter))]
        remote = frame(make_sweep(specs, DTYPES, 0, 2, scheduler=scheduler))
        assert set(remote["status"]) <= {"pass", "kink"}
        pd.testing.assert_frame_equal(remote, frame(make_sweep(specs, DTYPES, 0, 2)))
    finally:
        del sys.modules[loader.name]


def test_closing_early_releases_the_cluster(scheduler: str) -> None:
    specs = registry.select(["svm"])
    batches = make_sweep(specs, DTYPES, 0, 500, scheduler=scheduler)
    assert next(batches)
    batches.close()
    client = connect(scheduler)
    try:
        deadline = time.monotonic() + 10
        # the cancelled chunks leave the scheduler: nothing keeps running for a closed sweep
        while client.processing() and any(client.processing().values()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(client.processing().values())
    finally:
        client.close()


def test_no_scheduler_is_a_clear_error() -> None:
    with pytest.raises(SchedulerUnavailable, match="no Dask scheduler at"):
        connect("tcp://127.0.0.1:9", timeout="1s")


def _graded(argv: list[str], out: Path) -> tuple[int, pd.DataFrame, pd.DataFrame]:
    from gradverify.cli import main as cli

    code = cli.main([*argv, "-q", "--out", str(out)])
    results = pd.read_csv(out / "results.csv").drop(columns=["time_s"])
    return code, results, pd.read_csv(out / "batch.csv")


def test_a_class_is_graded_on_the_cluster_as_locally(scheduler: str, tmp_path: Path) -> None:
    root = tmp_path / "class"
    root.mkdir()
    submissions = Path(__file__).parent / "submissions"
    (root / "alice.py").write_text((submissions / "linear_svm.py").read_text())
    (root / "bob.py").write_text((submissions / "hostile_print.py").read_text())
    (root / "eve.py").write_text((submissions / "fault_timeout.py").read_text())  # the budget holds there too
    argv = ["check", str(root), "--cases", "1", "--dtypes", "float64", "--timeout", "1"]
    local = _graded(argv, tmp_path / "local")
    remote = _graded([*argv, "--scheduler", scheduler], tmp_path / "remote")
    assert local[0] == remote[0] == 1
    pd.testing.assert_frame_equal(remote[1], local[1])
    pd.testing.assert_frame_equal(remote[2], local[2])
    assert ("eve", "timeout") in set(zip(local[2]["submission"], local[2]["diagnosis"], strict=True))


def test_an_unreachable_scheduler_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gradverify.cli import main as cli

    path = Path(__file__).parent / "submissions" / "linear_svm.py"
    argv = ["check", str(path), "--scheduler", "tcp://127.0.0.1:9", "-q", "--out", str(tmp_path / "r")]
    assert cli.main(argv) == 2
    assert "no Dask scheduler at" in capsys.readouterr().err
