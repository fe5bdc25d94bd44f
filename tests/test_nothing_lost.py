"""Nothing lost: a checker process that dies, a gradverify process that is killed, SIGTERM, and
two runs on one report folder each leave every finished result on disk and readable.

The deaths are caused from outside (the test kills the process), at a point the batch journal
makes certain: what the sandbox lets a submission do may change, a dead process may not."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import psutil
import pytest

from gradverify.cli import main as cli
from gradverify.run import run_info
from gradverify.usercode import batch, batch_journal

HONEST = """import numpy as np


def affine_forward(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.sum(0)
"""

HANGS = """import time


def affine_forward(x, w, b):
    time.sleep(600)


def affine_backward(dout, cache):
    return None
"""

KILLS_ITS_PARENT = """import os


def affine_forward(x, w, b):
    os.kill(os.getppid(), 9)


def affine_backward(dout, cache):
    return None
"""

FLAGS = ["--cases", "1", "--dtypes", "float64", "--timeout", "600", "-q"]


def classroom(root: Path, bob: str) -> Path:
    folder = root / "class"
    folder.mkdir()
    for name, text in (("alice", HONEST), ("bob", bob), ("dave", HONEST)):
        (folder / f"{name}.py").write_text(text)
    return folder


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gradverify", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def rows_in(partial: Path) -> int:
    """Complete result rows written so far (the header and a half-written line do not count)."""
    try:
        text = partial.read_text()
    except FileNotFoundError:
        return 0
    return max(text.count("\n") - 1, 0)


def only_bob_running(out: Path) -> bool:
    state = batch_journal.read(out)
    return state.unfinished == ["bob"]


def kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL gradverify and every process under it (as the OOM killer or ``kill -9`` would)."""
    family = psutil.Process(proc.pid).children(recursive=True)
    proc.kill()
    proc.wait(30)
    for p in family:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=30)


def cells(out: Path) -> dict[tuple[str, str], tuple[str, str]]:
    table = pd.read_csv(out / batch.CSV_FILE, keep_default_na=False)
    return {(r.submission, r.function): (r.status, r.diagnosis) for r in table.itertuples()}


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_checker_process_that_dies_costs_only_its_submission(tmp_path: Path, workers: str) -> None:
    folder, out = classroom(tmp_path, HANGS), tmp_path / "out"
    proc = start("check", str(folder), *FLAGS, "--workers", workers, "--out", str(out))
    wait_for(lambda: only_bob_running(out), "bob alone being checked")
    checkers = [p for p in psutil.Process(proc.pid).children() if p.status() != psutil.STATUS_ZOMBIE]
    assert len(checkers) == 1  # bob's checker process, not gradverify itself
    checkers[0].kill()
    assert proc.wait(120) == 1, proc.stderr.read()
    got = cells(out)
    assert got[("alice", "affine_backward")] == ("pass", "")
    assert got[("dave", "affine_backward")] == ("pass", "")
    assert got[("bob", "(import)")] == ("error", "checker_died")
    assert "killed by signal 9" in (out / batch.MARKDOWN_FILE).read_text()
    assert not (out / "results.csv.partial").exists()


def test_a_submission_that_kills_its_parent_is_an_error_of_its_own(tmp_path: Path, capsys) -> None:
    folder, out = classroom(tmp_path, KILLS_ITS_PARENT), tmp_path / "out"
    assert cli.main(["check", str(folder), *FLAGS, "--out", str(out)]) == 1
    got = cells(out)
    assert got[("alice", "affine_backward")][0] == got[("dave", "affine_backward")][0] == "pass"
    # whether the kill is refused or lands, bob is an error and nobody else's result is lost
    assert "error" in {status for (who, _), (status, _) in got.items() if who == "bob"}


def test_a_killed_batch_is_recovered_by_report_and_resumed_by_the_same_command(tmp_path: Path, capsys) -> None:
    folder, out = classroom(tmp_path, HANGS), tmp_path / "out"
    command = ["check", str(folder), *FLAGS, "--out", str(out)]
    first = start(*command)
    wait_for(lambda: only_bob_running(out), "bob being checked")
    kill_tree(first)
    assert not (out / "results.csv").exists()
    rows = pd.read_csv(out / "results.csv.partial")
    assert set(rows["submission"]) == {"alice"}  # written as alice finished, before bob started

    # gradverify report rebuilds the report of the stopped run, marked incomplete
    assert cli.main(["report", str(out)]) == 0
    assert "INTERRUPTED" in (out / "summary.md").read_text()
    assert json.loads((out / "run.json").read_text())["command"].startswith("gradverify check")
    got = cells(out)
    assert got[("alice", "affine_backward")] == ("pass", "")
    assert got[("bob", "(import)")] == ("error", "run_stopped")

    # bob stops gradverify a second time; the third run gives up on bob, keeps alice, checks dave
    second = start(*command)
    wait_for(lambda: batch_journal.read(out).started.get("bob") == 2, "bob being checked again")
    wait_for(lambda: only_bob_running(out), "bob being checked again")
    kill_tree(second)
    assert cli.main(command) == 1
    final = pd.read_csv(out / "results.csv")
    alice = final[final["submission"] == "alice"].reset_index(drop=True)
    pd.testing.assert_series_equal(alice["time_s"], rows["time_s"])  # kept, not recomputed
    got = cells(out)
    assert got[("dave", "affine_backward")] == ("pass", "")
    assert got[("bob", "(import)")] == ("error", "checker_died")
    assert "resuming" in capsys.readouterr().err


def test_a_changed_batch_starts_afresh_instead_of_resuming(tmp_path: Path) -> None:
    folder, out = classroom(tmp_path, HANGS), tmp_path / "out"
    first = start("check", str(folder), *FLAGS, "--out", str(out))
    wait_for(lambda: only_bob_running(out), "bob being checked")
    kill_tree(first)
    (folder / "bob.py").write_text(HONEST)
    shutil.copy(folder / "bob.py", folder / "erin.py")  # another batch: nothing is resumed
    assert cli.main(["check", str(folder), *FLAGS, "--out", str(out)]) == 0
    assert set(cells(out)) >= {("erin", "affine_backward"), ("bob", "affine_backward")}


def test_sigterm_stops_run_with_a_report_marked_interrupted_and_exit_143(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = start("run", "--cases", "400", "--dtypes", "float64", "-q", "--out", str(out))
    partial = out / "results.csv.partial"
    wait_for(lambda: rows_in(partial) >= 20, "some cases to finish")
    proc.send_signal(signal.SIGTERM)
    finished = rows_in(partial)
    assert proc.wait(120) == 143
    assert "INTERRUPTED" in (out / "summary.md").read_text()
    meta = json.loads((out / "run.json").read_text())
    assert meta["interrupted"] is True and meta["signal"] == "SIGTERM"
    assert len(pd.read_csv(out / "results.csv")) >= finished and (out / "report.html").exists()


def test_sigterm_stops_a_batch_check_with_its_tables_and_exit_143(tmp_path: Path) -> None:
    folder, out = classroom(tmp_path, HANGS), tmp_path / "out"
    proc = start("check", str(folder), *FLAGS, "--out", str(out))
    wait_for(lambda: only_bob_running(out), "bob being checked")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(120) == 143
    assert cells(out)[("alice", "affine_backward")] == ("pass", "")
    assert "INTERRUPTED" in (out / "summary.md").read_text()


def test_sigterm_stops_explain_with_exit_143(tmp_path: Path) -> None:
    (tmp_path / "bob.py").write_text(HANGS)
    proc = start("explain", "affine_forward", "--file", str(tmp_path / "bob.py"), "--timeout", "600")
    wait_for(lambda: len(psutil.Process(proc.pid).children()) > 0, "the sandbox worker")
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 143
    assert "terminated" in proc.stderr.read()


def test_report_rebuilds_a_killed_run_from_its_partial_results(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = start("run", "--cases", "400", "--dtypes", "float64", "-q", "--out", str(out))
    partial = out / "results.csv.partial"
    wait_for(lambda: rows_in(partial) >= 20, "some cases to finish")
    kill_tree(proc)
    assert not (out / "results.csv").exists()
    assert cli.main(["report", str(out), "--junit", str(tmp_path / "j.xml")]) == 0
    summary = (out / "summary.md").read_text()
    assert "INTERRUPTED" in summary and "gradverify run --cases 400" in summary
    assert "Incomplete: rebuilt from results.csv.partial" in summary
    assert (out / "report.html").exists() and (tmp_path / "j.xml").exists()


def test_a_second_run_on_a_folder_in_use_is_refused_and_a_dead_holder_is_no_obstacle(tmp_path: Path, capsys) -> None:
    folder, out = classroom(tmp_path, HANGS), tmp_path / "out"
    holder = start("check", str(folder), *FLAGS, "--out", str(out))
    wait_for(lambda: only_bob_running(out), "the first run to be busy")
    assert cli.main(["run", "--ops", "svm:naive", "--cases", "1", "-q", "--out", str(out)]) == 2
    assert f"pid {holder.pid}" in capsys.readouterr().err
    assert cli.main(["report", str(out)]) == 2  # not even re-rendered while the run writes it
    assert batch_journal.read(out).unfinished == ["bob"]  # the first run's files are untouched
    kill_tree(holder)  # its lock file stays behind; the kernel released the lock itself
    assert cli.main(["run", "--ops", "svm:naive", "--cases", "1", "-q", "--out", str(out)]) == 0
    assert len(pd.read_csv(out / "results.csv")) > 0
    assert not (out / run_info.LOCK_FILE).exists()
