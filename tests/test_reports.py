"""The report folder: report.html, summary.md, results.csv, run.json, junit.xml; re-rendering;
GITHUB_STEP_SUMMARY; atomic writes; runs that fail, are interrupted or select nothing."""

from __future__ import annotations

import html
import json
import os
import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from bugzoo import MUTANTS
from gradverify.cli import main as cli
from gradverify.core.records import COLUMNS, to_frame
from gradverify.core.spec import Variant
from gradverify.report import files
from gradverify.specs import registry
from report_checks import check_page, records, row_with

META = {"command": "gradverify run --cases 1", "seed": 0, "cases": 1, "dtypes": ["float64", "float32"]}
REPORT_FILES = {"results.csv", "run.json", "summary.md", "report.html"}


def write(kind: str, out: Path, **meta) -> str:
    return files.write_report(to_frame(records(kind)), out, {**META, **meta})


def test_clean_report_says_everything_agrees(tmp_path: Path) -> None:
    summary = write("clean", tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == REPORT_FILES
    text = (tmp_path / "report.html").read_text()
    page = check_page(text)
    assert "Every implementation agrees with its reference" in text
    assert "4 checks: 2 passed, 2 kinks, 0 failed, 0 errors" in text and summary.count("4 checks") == 1
    assert "None: nothing failed or raised." in text
    assert len(page.images) == 2  # relative errors: forward and gradients
    assert row_with(page, "svm", "1/2 pass; 1 kink") and "Timings" in text and "naive / vectorized" in text


def test_failing_report_lists_every_failure_with_its_replay_command(tmp_path: Path) -> None:
    write("failing", tmp_path)
    text = (tmp_path / "report.html").read_text()
    page = check_page(text)
    frame = pd.read_csv(tmp_path / "results.csv")
    bad = frame[frame["status"].isin(["fail", "error"])]
    assert len(bad) == 2
    for _, r in bad.iterrows():
        assert row_with(page, r["function"], r["quantity"], r["reproduce"]), r["function"]
    assert "Failures (2 groups of 2 failing records, worst first)" in text
    # the message is text, not markup; the diagnosis columns show up
    assert html.escape("<check the average> & the sum", quote=False) in text
    assert row_with(page, "affine_backward", "grad_scale", "blame: backward", "100% of entries off")
    assert "(1, 0): impl 4, ref 1, fd 1" in text
    assert len(page.images) == 3  # two error distributions and the error map of dw
    assert "Where failing gradients are wrong" in text
    summary = (tmp_path / "summary.md").read_text()
    assert "## Failures (2 groups of 2 failing records, worst first)" in summary and "[exception]" in summary
    assert "gradverify run --ops affine:vectorized --dtypes float32 --replay ties:7" in summary


def test_records_without_the_diagnosis_columns_still_render(tmp_path: Path) -> None:
    frame = to_frame(records("legacy"))
    old_columns = [c for c in COLUMNS if c not in ("blame", "bad_fraction", "worst_elements", "error_map")]
    frame[old_columns].to_csv(tmp_path / "results.csv", index=False)  # a folder from before these columns
    assert cli.main(["report", str(tmp_path)]) == 0
    text = (tmp_path / "report.html").read_text()
    page = check_page(text)
    assert row_with(page, "affine_backward", "dw", "replay") and "carry no error map" in text
    assert "blame: backward" not in text


def test_rerender_gives_the_same_summary_from_the_saved_files(tmp_path: Path, capsys) -> None:
    summary = write("failing", tmp_path, interrupted=False, started="2026-01-01T00:00:00Z")
    first_html = (tmp_path / "report.html").read_text()
    (tmp_path / "report.html").unlink()
    (tmp_path / "summary.md").unlink()
    assert cli.main(["report", str(tmp_path), "--junit", str(tmp_path / "junit.xml")]) == 0
    assert (tmp_path / "summary.md").read_text() == summary
    assert summary in capsys.readouterr().out
    again = (tmp_path / "report.html").read_text()
    check_page(again)
    assert len(again) == pytest.approx(len(first_html), rel=0.01)  # same page, up to the tables' ids
    assert "2026-01-01T00:00:00Z" in again and "gradverify run --cases 1" in again
    assert ET.parse(tmp_path / "junit.xml").getroot().get("tests") == "6"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["report"], "give a report folder"),
        (["report", "/nonexistent/run"], "does not exist"),
        (["report", "."], "is not a report folder"),
        (["report", ".", "--compare", ".", "."], "not both"),
        (["report", ".", "--out", "x.html"], "--out goes with --compare"),
    ],
)
def test_report_bad_usage_exits_2_with_one_line(args: list[str], words: str, capsys) -> None:
    assert cli.main(args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and words in lines[0]


def test_junit_lists_each_function_and_case(tmp_path: Path) -> None:
    frame = to_frame(records("failing"))
    assert cli.main(["report", str(tmp_path)]) == 2  # not a folder yet
    files.write_report(frame, tmp_path, META)
    assert cli.main(["report", str(tmp_path), "--junit", str(tmp_path / "j.xml")]) == 0
    root = ET.parse(tmp_path / "j.xml").getroot()
    cases = root.findall("./testsuite/testcase")
    expected = frame.groupby(["op", "variant", "function", "dtype", "case", "seed"]).ngroups
    assert len(cases) == expected == int(root.get("tests"))
    names = {c.get("name") for c in cases}
    assert "affine_backward[float32, ties:7]" in names and "svm_loss_naive[float64, random:100]" in names
    (failure,) = root.iter("failure")
    assert failure.get("type") == "grad_scale" and "replay: gradverify run --ops affine" in failure.text
    (error,) = root.iter("error")
    assert error.get("type") == "exception" and "ValueError" in error.get("message")
    assert root.get("failures") == "1" and root.get("errors") == "1"
    assert [s.get("name") for s in root.findall("testsuite")] == ["svm", "affine"]


def test_run_with_a_mutant_writes_every_report_file_and_junit(tmp_path: Path, monkeypatch) -> None:
    (mutant,) = [m for m in MUTANTS if m.name == "sign_flip"]
    (spec,) = registry.select(["svm:vectorized"])
    monkeypatch.setattr(registry, "select", lambda names: [spec.with_variants(Variant("bad", mutant.adapter))])
    summary_file = tmp_path / "step_summary.md"
    summary_file.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary_file))
    out, junit = tmp_path / "rep", tmp_path / "ci" / "junit.xml"
    assert cli.main(["run", "--out", str(out), "--cases", "1", "--junit", str(junit), "--quiet"]) == 1
    assert {p.name for p in out.iterdir()} == REPORT_FILES
    page = check_page((out / "report.html").read_text())
    frame = pd.read_csv(out / "results.csv")
    failing = frame[frame["status"] == "fail"]
    for (function, quantity, _), part in failing.groupby(["function", "quantity", "diagnosis"]):
        # one row per failing group: its case count and the replay command of its worst case
        worst = part.sort_values("rel_err", ascending=False).iloc[0]
        cases = f"{part[['dtype', 'case', 'seed']].drop_duplicates().shape[0]} failing case"
        assert row_with(page, function, quantity, cases, worst["reproduce"]), (function, quantity)
    assert len(page.images) >= 3  # the failing dW carry error maps
    meta = json.loads((out / "run.json").read_text())
    assert meta["done"] == meta["total"] == len(frame[["case", "seed", "dtype"]].drop_duplicates())
    assert meta["environment"]["numpy"] and meta["environment"]["torch"] and not meta["interrupted"]
    assert ET.parse(junit).getroot().get("failures") != "0"
    step = summary_file.read_text()
    assert step.startswith("earlier step\n# gradverify summary") and "## Failures" in step


def test_interrupted_run_keeps_finished_cases_and_says_so(tmp_path: Path, monkeypatch) -> None:
    from gradverify.run import dispatch  # cli.run imports it when the run starts

    real = dispatch.make_sweep

    def three_then_ctrl_c(*args, **kwargs):
        batches = real(*args, **kwargs)
        for _ in range(3):
            yield next(batches)
        raise KeyboardInterrupt

    monkeypatch.setattr(dispatch, "make_sweep", three_then_ctrl_c)
    assert cli.main(["run", "--ops", "relu", "--out", str(tmp_path), "--quiet"]) == 130
    meta = json.loads((tmp_path / "run.json").read_text())
    assert meta["interrupted"] and meta["done"] == 3 and meta["total"] > 3
    text = (tmp_path / "report.html").read_text()
    check_page(text)
    assert f"INTERRUPTED after 3 of {meta['total']} cases" in text and 'class="verdict interrupted"' in text
    assert "**interrupted**" in (tmp_path / "summary.md").read_text()
    assert len(pd.read_csv(tmp_path / "results.csv")) > 0


def test_empty_selection_still_writes_a_readable_report(tmp_path: Path) -> None:
    assert cli.main(["run", "--ops", "relu", "--replay", "large:1", "--out", str(tmp_path), "-q"]) == 2
    text = (tmp_path / "report.html").read_text()
    page = check_page(text)
    assert "No checks ran" in text and page.images == []
    assert "No checks ran." in (tmp_path / "summary.md").read_text()


def test_quiet_prints_no_progress_and_default_prints_a_closing_line(tmp_path: Path, capsys) -> None:
    assert cli.main(["run", "--ops", "relu", "--cases", "1", "--out", str(tmp_path / "q"), "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert cli.main(["run", "--ops", "relu", "--cases", "1", "--out", str(tmp_path / "l")]) == 0
    out, err = capsys.readouterr()
    (line,) = err.strip().splitlines()  # not a terminal: one plain closing line, no bar
    assert line.startswith("gradverify: checked ") and "cases, 0 failing in" in line and "\r" not in err
    assert "8 checks: 8 passed" in out and "report.html" in out


def test_files_are_replaced_atomically(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "report.html"
    files.write_atomic(target, "good report")

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        files.write_atomic(target, "half")
    assert target.read_text() == "good report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left behind


def test_a_page_that_cannot_be_drawn_falls_back_and_keeps_the_results(tmp_path: Path, monkeypatch, capsys) -> None:
    from gradverify.report import html_page

    def broken(frame, meta):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(html_page, "render", broken)
    write("failing", tmp_path)
    text = (tmp_path / "report.html").read_text()
    check_page(text)
    assert "RuntimeError: no fonts" in text and "# gradverify summary" in text
    assert "fell back to plain text" in capsys.readouterr().err
    assert len(pd.read_csv(tmp_path / "results.csv")) == len(records("failing"))


def test_report_files_are_readable_like_any_file_the_user_writes(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write("clean", tmp_path)
    finally:
        os.umask(old)
    for name in REPORT_FILES:
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name


def test_normalise_cleans_every_text_cell_as_it_would_one_by_one() -> None:
    from gradverify.core.display import clean
    from gradverify.report import tables

    ops = ["svm", "a\x1bb", "svm", "", "a\x1bb"] * 3
    mixed = ["1", 1, 1.0, True, None] * 3  # one key to a hash table, four texts
    frame = tables.normalise(pd.DataFrame({"op": ops, "function": mixed}))
    assert frame["op"].tolist() == [clean(o) for o in ops]
    assert frame["function"].tolist() == ["1", "1", "1.0", "True", ""] * 3
