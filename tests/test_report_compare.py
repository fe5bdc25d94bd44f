"""``gradverify report --compare OLD NEW``: regressions exit 1, everything else 0, bad usage 2."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bugzoo import MUTANTS
from gradverify.cli import main as cli
from gradverify.core.records import to_frame
from gradverify.core.spec import Variant
from gradverify.report import files, run_diff, tables
from gradverify.specs import registry
from report_checks import check_page, records, row_with

META = {"command": "gradverify run", "seed": 0, "cases": 1, "dtypes": ["float64", "float32"]}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Path:
    """A real clean run of svm:vectorized (the reports under test are copies of it)."""
    out = tmp_path_factory.mktemp("old")
    assert cli.main(["run", "--ops", "svm:vectorized", "--cases", "2", "--out", str(out), "-q"]) == 0
    return out


def copy_with(baseline: Path, dest: Path, change=None) -> Path:
    frame, meta = files.load_results(baseline)
    if change is not None:
        frame = change(frame.copy())
    files.write_report(frame, dest, meta)
    return dest


def test_same_results_are_no_regression(baseline: Path, tmp_path: Path, capsys) -> None:
    new = copy_with(baseline, tmp_path / "new")
    assert cli.main(["report", "--compare", str(baseline), str(new)]) == 0
    out = capsys.readouterr().out
    assert "No regression" in out and "| cases" in out
    check_page((new / "compare.html").read_text())


def test_injected_regression_is_found_and_exits_1(baseline: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    def break_one(frame: pd.DataFrame) -> pd.DataFrame:
        i = frame.index[(frame["quantity"] == "dW") & (frame["dtype"] == "float32")][0]
        frame.loc[i, ["status", "rel_err"]] = ["fail", 0.5]
        return frame

    new = copy_with(baseline, tmp_path / "new", break_one)
    step = tmp_path / "step.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    page_file = tmp_path / "pages" / "cmp.html"
    assert cli.main(["report", "--compare", str(baseline), str(new), "--out", str(page_file)]) == 1
    out = capsys.readouterr().out
    assert "**REGRESSION**" in out and "## Worse: functions (1)" in out and "## Worse: cases (1)" in out
    assert "pass -> fail" in out and "svm_loss_vectorized" in out
    page = check_page(page_file.read_text())
    assert row_with(page, "pass -> fail", "svm_loss_vectorized", "dW", "gradverify run --ops svm:vectorized")
    assert "# gradverify comparison" in step.read_text()
    # the other way round it is an improvement, not a regression
    assert cli.main(["report", "--compare", str(new), str(baseline), "--out", str(tmp_path / "b.html")]) == 0
    assert "## Better: cases (1)" in capsys.readouterr().out


def test_a_real_mutant_run_regresses_against_a_clean_one(baseline: Path, tmp_path: Path, monkeypatch) -> None:
    (mutant,) = [m for m in MUTANTS if m.name == "sign_flip"]
    (spec,) = registry.select(["svm:vectorized"])
    monkeypatch.setattr(registry, "select", lambda names: [spec.with_variants(Variant("vectorized", mutant.adapter))])
    new = tmp_path / "new"
    assert cli.main(["run", "--ops", "svm:vectorized", "--cases", "2", "--out", str(new), "-q"]) == 1
    assert cli.main(["report", "--compare", str(baseline), str(new)]) == 1
    d = run_diff.diff(*(files.load_results(p)[0] for p in (baseline, new)))
    assert set(d.worse("cases")["function"]) == {"svm_sign_flip"}
    assert set(d.functions.loc[d.functions["change"] == "gone", "function"]) == {"svm_loss_vectorized"}


def test_error_growth_beyond_the_factor_regresses_but_rounding_noise_does_not() -> None:
    old = tables.normalise(to_frame(records("clean")))
    grew, noise = old.copy(), old.copy()
    # svm float64 loss: rtol 1e-7, rel_err 2e-9; 50x growth to 1e-7 is far above the 1e-9 floor
    first = grew.index[(grew["dtype"] == "float64") & (grew["quantity"] == "loss")][0]
    grew.loc[first, "rel_err"] *= 50
    d = run_diff.diff(old, grew, factor=10)
    assert d.regressed and list(d.worse("cases")["why"]) == ["rel_err grew 50x"]
    assert d.worse("functions").empty  # the status did not change
    assert not run_diff.diff(old, grew, factor=100).regressed
    # below 1% of the tolerance, growth is noise: 1e-12 -> 1e-10 in float64
    noise.loc[first, "rel_err"] = 1e-10
    quiet_old = old.copy()
    quiet_old.loc[first, "rel_err"] = 1e-12
    assert not run_diff.diff(quiet_old, noise).regressed


def test_new_and_gone_functions_are_listed_and_a_new_failure_regresses() -> None:
    clean = tables.normalise(to_frame(records("clean")))
    failing = tables.normalise(to_frame(records("failing")))
    d = run_diff.diff(clean, failing)
    assert d.regressed
    assert set(d.worse("functions")["why"]) == {"new, and fails", "new, and errors"}
    back = run_diff.diff(failing, clean)
    assert not back.regressed
    assert set(back.functions.loc[back.functions["change"] == "gone", "function"]) == {
        "affine_backward",
        "affine_forward",
    }
    text = run_diff.markdown(back, "a", "b")
    assert "## Gone functions (2)" in text


def test_runs_with_different_seeds_compare_functions_only(baseline: Path, tmp_path: Path, capsys) -> None:
    other = tmp_path / "seed1"
    assert cli.main(["run", "--ops", "svm:vectorized", "--cases", "1", "--seed", "1", "--out", str(other), "-q"]) == 0
    assert cli.main(["report", "--compare", str(baseline), str(other)]) == 0
    assert "The runs share no case" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--compare", "/nonexistent/a", "{base}"], "OLD_DIR '/nonexistent/a' does not exist"),
        (["--compare", "{base}", "{empty}"], "is not a report folder"),
        (["--compare", "{base}"], "expected 2 arguments"),
        (["--compare", "{base}", "{base}", "--factor", "0.5"], "--factor"),
        (["--compare", "{base}", "{base}", "--junit", "j.xml"], "--junit goes with RUN_DIR"),
    ],
)
def test_bad_usage_exits_2_with_one_line(args, words, baseline: Path, tmp_path: Path, capsys) -> None:
    args = [a.format(base=baseline, empty=tmp_path) for a in args]
    assert cli.main(["report", *args]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], lines


def test_an_interrupted_new_run_is_a_regression_unless_partial_is_allowed(
    baseline: Path, tmp_path: Path, capsys
) -> None:
    frame, meta = files.load_results(baseline)
    half = frame[frame["seed"].isin(frame["seed"].unique()[:2])]  # the cases that finished
    cut = tmp_path / "cut"
    files.write_report(half, cut, {**meta, "interrupted": True, "done": 2, "total": meta["total"]})
    assert cli.main(["report", "--compare", str(baseline), str(cut)]) == 1
    out = capsys.readouterr().out
    assert "**REGRESSION**: the new run is incomplete (it was interrupted after 2 of" in out
    assert cli.main(["report", "--compare", str(baseline), str(cut), "--allow-partial"]) == 0
    assert "Allowed by --allow-partial" in capsys.readouterr().out
    short = tmp_path / "short"  # not marked interrupted, but fewer cases done than planned
    files.write_report(half, short, {**meta, "done": 2, "total": meta["total"]})
    assert cli.main(["report", "--compare", str(baseline), str(short)]) == 1
    assert cli.main(["report", "--compare", str(baseline), str(baseline)]) == 0  # a full run still compares clean
