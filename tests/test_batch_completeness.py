"""A batch grades each submission as a whole: a forward without its backward, or a function
that other submissions have and it lacks, is ``incomplete``, never ``pass``."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from gradverify.cli import main as cli
from gradverify.core import status
from gradverify.core.status import Status
from gradverify.report import files as report
from gradverify.usercode import batch
from gradverify.usercode.check import check_many

AFFINE = """import numpy as np


def affine_forward(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b, (x, w, b)
"""

AFFINE_BACKWARD = """

def affine_backward(dout, cache):
    x, w, b = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.sum(0)
"""

RELU = """

def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout * (cache > 0)
"""

FLAGS = ["--cases", "1", "--dtypes", "float64", "-q"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """alice: everything; bob: forward passes only; carol: no relu; dave: does not import;
    erin: everything, one function under a name of her own."""
    root = tmp_path_factory.mktemp("completeness")
    (root / "alice.py").write_text(AFFINE + AFFINE_BACKWARD + RELU)
    (root / "bob.py").write_text(AFFINE + "\n\ndef relu_forward(x):\n    return np.maximum(0, x), x\n")
    (root / "carol.py").write_text(AFFINE + AFFINE_BACKWARD)
    (root / "dave.py").write_text("import numpy as np\nthis is not python\n")
    (root / "erin.py").write_text(AFFINE + AFFINE_BACKWARD + RELU + "\n\nrelu_forward.__qualname__ = 'my_relu'\n")
    return root


@pytest.fixture(scope="module")
def checked(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    out = tmp_path_factory.mktemp("out")
    junit = out.parent / "junit.xml"
    return cli.main(["check", str(folder), *FLAGS, "--out", str(out), "--junit", str(junit)]), out


def test_incomplete_ranks_between_kink_and_fail_and_fails_a_run() -> None:
    assert Status.KINK.rank < Status.NOT_IMPLEMENTED.rank < Status.INCOMPLETE.rank < Status.FAIL.rank
    assert Status.INCOMPLETE.failing and not Status.KINK.failing
    assert status.worst(["pass", "incomplete", "kink"]) == Status.INCOMPLETE


def test_a_forward_without_its_backward_is_incomplete(checked: tuple[int, Path]) -> None:
    code, out = checked
    assert code == 1
    long = pd.read_csv(out / batch.CSV_FILE)
    cell = {(r.submission, r.function): (r.status, r.diagnosis, r.message) for r in long.itertuples()}
    assert cell[("bob", "affine_forward")][0] == "pass"  # what is there is still checked
    for backward, forward in (("affine_backward", "affine_forward"), ("relu_backward", "relu_forward")):
        got, diagnosis, message = cell[("bob", backward)]
        assert (got, diagnosis) == ("incomplete", "missing_function")
        assert f"{forward} was checked forward only" in message
    grid = batch.grid(long).set_index("submission")
    assert grid.loc["bob", "overall"] == "incomplete"
    assert grid.loc["bob", "relu_backward"] == "incomplete: missing_function"


def test_a_function_other_submissions_have_is_incomplete(checked: tuple[int, Path]) -> None:
    _, out = checked
    long = pd.read_csv(out / batch.CSV_FILE)
    carol = long[long["submission"] == "carol"].set_index("function")
    assert carol.loc["affine_backward", "status"] == "pass"
    for name in ("relu_forward", "relu_backward"):
        assert carol.loc[name, "status"] == "incomplete"
        assert "other submissions of the batch define it" in carol.loc[name, "message"]
    grid = batch.grid(long).set_index("submission")
    assert grid.loc["alice", "overall"] == "pass"  # the complete submission keeps its pass
    assert grid.loc["erin", "overall"] == "pass"  # functions compare by the course's names, not the code's
    assert grid.loc["carol", "overall"] == "incomplete"
    # dave did not import: one error, not a list of everything he lacks
    assert list(long[long["submission"] == "dave"]["status"]) == ["error"]


def test_incomplete_counts_in_the_summary_the_results_and_junit(checked: tuple[int, Path]) -> None:
    _, out = checked
    summary = (out / report.SUMMARY_FILE).read_text()
    # checks of each submission: bob's affine and relu (a missing backward each), carol's relu
    assert "3 incomplete" in summary and "1 errors" in summary
    assert "incomplete |" in summary and "missing_function" in summary
    assert "carol.py --ops relu:" in summary  # how to check what is missing
    results = pd.read_csv(out / report.RESULTS_FILE)
    assert (results["status"] == "incomplete").sum() == 4
    assert "incomplete" in (out / batch.MARKDOWN_FILE).read_text()
    root = ET.fromstring((out.parent / "junit.xml").read_text())
    failed = [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None]
    assert any(name.startswith("relu_backward") for name in failed)


def test_check_many_marks_the_same_submissions_incomplete(folder: Path) -> None:
    frame = check_many([folder / "alice.py", folder / "bob.py"], cases=1, dtypes="float64")
    worst = batch.table(frame).groupby("submission")["status"].agg(lambda s: status.worst(s))
    assert worst["alice"] == Status.PASS and worst["bob"] == Status.INCOMPLETE


def test_one_forward_only_file_checked_alone_still_passes(folder: Path, tmp_path: Path) -> None:
    # checked by itself, a file is work in progress: what is there is checked, nothing graded
    assert cli.main(["check", str(folder / "bob.py"), *FLAGS, "--out", str(tmp_path / "out")]) == 0
