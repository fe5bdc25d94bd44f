"""Batch mode: a folder of submissions (one file or folder per student) gives one table,
submission x function, as CSV and Markdown; one broken submission never stops the batch."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from gradverify.cli import main as cli
from gradverify.core.records import COLUMNS
from gradverify.usercode import batch
from gradverify.usercode.check import check_many

SUBMISSIONS = Path(__file__).parent / "submissions"


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six students: correct, wrong, a package folder, a syntax error, a hang, nothing to check."""
    root = tmp_path_factory.mktemp("classroom")
    shutil.copy(SUBMISSIONS / "linear_svm.py", root / "alice.py")
    shutil.copy(SUBMISSIONS / "hostile_print.py", root / "bob.py")
    shutil.copytree(SUBMISSIONS / "package", root / "carol")
    shutil.copy(SUBMISSIONS / "broken_syntax.py.txt", root / "dave.py")
    shutil.copy(SUBMISSIONS / "fault_timeout.py", root / "eve.py")
    (root / "frank.py").write_text("def hello():\n    return 'hi'\n")
    (root / "__pycache__").mkdir()  # ignored, as are hidden entries
    return root


@pytest.fixture(scope="module")
def report(classroom: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    out = tmp_path_factory.mktemp("report")
    code = cli.main(
        ["check", str(classroom), "--cases", "1", "--dtypes", "float64", "--timeout", "1", "-q", "--out", str(out)]
    )
    return code, out


def test_batch_writes_one_table_per_submission_and_function(report: tuple[int, Path]) -> None:
    code, out = report
    assert code == 1
    table = pd.read_csv(out / batch.CSV_FILE)
    assert list(table.columns) == batch.COLUMNS
    assert list(dict.fromkeys(table["submission"])) == ["alice", "bob", "carol", "dave", "eve", "frank"]
    cells = {(r.submission, r.function): (r.status, r.diagnosis) for r in table.itertuples()}
    assert cells[("alice", "svm_loss_naive")][0] == "pass"
    assert cells[("bob", "svm_loss_naive")][0] == "pass"
    assert cells[("bob", "svm_loss_vectorized")][0] == "fail"
    assert cells[("carol", "TwoLayerNet.loss")][0] == "pass"
    assert cells[("dave", "(import)")] == ("error", "import_error")
    assert cells[("eve", "softmax_loss_naive")] == ("error", "timeout")
    assert cells[("frank", "(import)")] == ("error", "not_checkable")
    worst = table[(table["submission"] == "bob") & (table["function"] == "svm_loss_vectorized")]["worst_rel_err"]
    assert worst.iloc[0] > 0.5


def test_batch_markdown_is_a_grid_and_the_usual_report_is_written(report: tuple[int, Path]) -> None:
    _, out = report
    text = (out / batch.MARKDOWN_FILE).read_text()
    assert "| submission" in text and "| overall" in text
    assert "| alice " in text and "error: import_error" in text and "error: timeout" in text
    assert "## Problems" in text and "**dave**" in text
    frame = pd.read_csv(out / "results.csv")
    # the public columns, unchanged and in place, then each row's submission (rows stream as they come)
    assert list(frame.columns) == [*COLUMNS, "submission"]
    assert any("bob.py" in str(r) for r in frame["reproduce"])  # a record's replay names its file


def test_check_many_adds_a_submission_column(classroom: Path) -> None:
    frame = check_many([classroom / "alice.py", classroom / "dave.py"], cases=1, dtypes="float64")
    assert list(frame.columns) == ["submission", *COLUMNS]
    assert set(frame["submission"]) == {"alice", "dave"}
    assert (frame[frame["submission"] == "alice"]["status"] == "pass").all()
    assert list(frame[frame["submission"] == "dave"]["diagnosis"]) == ["import_error"]


def test_a_batch_with_nothing_checkable_exits_2(tmp_path: Path, capsys) -> None:
    for name in ("x", "y"):
        (tmp_path / "in" / name).mkdir(parents=True)
        (tmp_path / "in" / name / "notes.py").write_text("VALUE = 1\n")
    assert cli.main(["check", str(tmp_path / "in"), "-q", "--out", str(tmp_path / "out")]) == 2
    assert "no submission had anything checkable" in capsys.readouterr().err
    assert (tmp_path / "out" / batch.CSV_FILE).exists()


def test_an_empty_folder_is_unreadable(tmp_path: Path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    assert cli.main(["check", str(tmp_path / "empty"), "-q", "--out", str(tmp_path / "out")]) == 2
    assert "holds no .py file" in capsys.readouterr().err
