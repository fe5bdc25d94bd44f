"""Reports in one place (the project root's reports/, --keep, --no-report), settings from
[tool.gradverify] in pyproject.toml, and batch folders that hold more than submissions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from gradverify.cli import main as cli
from gradverify.usercode.submissions import submissions

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
def course(tmp_path: Path, monkeypatch) -> Path:
    """A course repository: pyproject.toml with settings, the student's code in hw/."""
    (tmp_path / "hw").mkdir()
    shutil.copy(EXAMPLES / "layers_buggy.py", tmp_path / "hw" / "layers.py")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "course"\n\n[tool.gradverify]\npaths = ["hw/layers.py"]\nops = ["softmax_loss", "relu"]\n'
        'cases = 1\ndtypes = ["float64"]\ntimeout = 5\n'
    )
    monkeypatch.chdir(tmp_path / "hw")  # somewhere below the root
    return tmp_path


def report_dirs(root: Path) -> list[Path]:
    return sorted((root / "reports").iterdir()) if (root / "reports").is_dir() else []


def test_a_bare_check_follows_the_settings_and_reports_at_the_root(course: Path, capsys) -> None:
    assert cli.main(["check", "-q"]) == 1
    (folder,) = report_dirs(course)
    assert folder.name.startswith("check-") and not (course / "hw" / "reports").exists()
    frame = pd.read_csv(folder / "results.csv")
    assert set(frame["op"]) == {"softmax_loss", "relu"} and set(frame["dtype"]) == {"float64"}
    assert set(frame["case"]) - {"random"} and (frame["case"] == "random").sum() > 0
    assert f"report: {folder / 'report.html'}" in capsys.readouterr().out


def test_flags_override_the_settings(course: Path) -> None:
    assert cli.main(["check", "--ops", "relu", "--dtypes", "float32", "-q"]) == 0
    (folder,) = report_dirs(course)
    frame = pd.read_csv(folder / "results.csv")
    assert set(frame["op"]) == {"relu"} and set(frame["dtype"]) == {"float32"}


def test_a_setting_gradverify_does_not_know_is_bad_usage(course: Path, capsys) -> None:
    text = (course / "pyproject.toml").read_text().replace("cases = 1", "case = 1")
    (course / "pyproject.toml").write_text(text)
    assert cli.main(["check"]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'case' (did you mean 'cases'?)" in err and "pyproject.toml" in err
    (course / "pyproject.toml").write_text(text.replace("case = 1", 'cases = "many"'))
    assert cli.main(["check"]) == 2
    assert "[tool.gradverify] cases:" in capsys.readouterr().err
    assert report_dirs(course) == []


def test_keep_deletes_the_oldest_report_folders_only(course: Path) -> None:
    (course / "reports").mkdir()
    mine = course / "reports" / "baseline"  # a folder the user made: never pruned
    mine.mkdir()
    (mine / "results.csv").write_text("op\n")
    for _ in range(3):
        cli.main(["check", "--ops", "relu", "--keep", "2", "-q"])
    kept = report_dirs(course)
    assert mine in kept and len(kept) == 3
    assert all(p.name.startswith("check-") for p in kept if p != mine)


def test_no_report_writes_no_folder_but_still_the_json(course: Path) -> None:
    assert cli.main(["check", "--ops", "relu", "--no-report", "--json", "r.json", "-q"]) == 0
    assert report_dirs(course) == [] and (course / "hw" / "r.json").is_file()
    assert cli.main(["check", "--no-report", "--out", "x"]) == 2


def test_without_a_project_reports_go_to_the_current_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(EXAMPLES / "layers.py", tmp_path / "layers.py")
    assert cli.main(["check", "layers.py", "--ops", "relu", "--cases", "1", "-q"]) == 0
    (folder,) = report_dirs(tmp_path)
    assert folder.name.startswith("check-")


def test_a_batch_folder_skips_reports_environments_and_caches(tmp_path: Path, monkeypatch) -> None:
    for name in ("alice.py", "bob.py"):
        shutil.copy(EXAMPLES / "layers.py", tmp_path / name)
    (tmp_path / "carol").mkdir()
    shutil.copy(EXAMPLES / "layers.py", tmp_path / "carol" / "layers.py")
    run = tmp_path / "reports" / "check-20260101-000000"
    run.mkdir(parents=True)
    (run / "results.csv").write_text("op\n")
    for venv in ("venv", "env2"):
        (tmp_path / venv).mkdir()
        (tmp_path / venv / "pyvenv.cfg").write_text("home = /usr\n")
    for folder in ("__pycache__", ".git", "node_modules", "x.egg-info"):
        (tmp_path / folder).mkdir()
    elsewhere = tmp_path / "old-results"  # a report folder copied under another name
    elsewhere.mkdir()
    (elsewhere / "run.json").write_text("{}")
    assert sorted(s.name for s in submissions([tmp_path])) == ["alice", "bob", "carol"]
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check", ".", "--ops", "relu", "--cases", "1", "--dtypes", "float64", "-q"]) == 0
    (new,) = [p for p in report_dirs(tmp_path) if p != run]
    assert sorted(pd.read_csv(new / "batch.csv")["submission"].unique()) == ["alice", "bob", "carol"]
    # and the second check of the same folder still sees three students, not its own reports
    assert cli.main(["check", ".", "--ops", "relu", "--cases", "1", "--dtypes", "float64", "-q"]) == 0
