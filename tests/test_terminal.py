"""Short output: one line per failing (function, quantity, diagnosis) group, the same groups in
summary.md and report.html, full tables with -v, colour only where it belongs."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd

from gradverify.cli import main as cli
from gradverify.core.records import to_frame
from gradverify.report.groups import failure_groups
from report_checks import records

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
BUGGY = str(EXAMPLES / "layers_buggy.py")


def run_cli(args: list[str], capsys) -> tuple[int, str]:
    code = cli.main(args)
    return code, capsys.readouterr().out


def test_one_bug_is_one_line_with_its_count_worst_error_and_replay(tmp_path: Path, capsys) -> None:
    code, out = run_cli(["check", BUGGY, "--out", str(tmp_path / "r"), "-q"], capsys)
    assert code == 1
    frame = pd.read_csv(tmp_path / "r" / "results.csv")
    bad = frame[frame["status"] == "fail"]
    assert set(bad["function"]) == {"softmax_loss"} and set(bad["quantity"]) == {"dx"}
    n_cases = len(bad[["dtype", "case", "seed"]].drop_duplicates())
    assert n_cases > 6  # the same slip fails every case in both dtypes...
    group_lines = [line for line in out.splitlines() if line.startswith("FAIL ")]
    assert group_lines == [  # ...and is printed once
        f"FAIL  softmax_loss dx [grad_scale]: {n_cases} failing cases (float64, float32), "
        f"worst rel_err {bad['rel_err'].max():.1e}"
    ]
    assert "| op" not in out and len(out.splitlines()) <= 8
    assert "the average over N is missing" in out
    (replay,) = [line.split("replay: ", 1)[1] for line in out.splitlines() if "replay: " in line]
    worst = bad.sort_values("rel_err", ascending=False).iloc[0]
    assert replay == worst["reproduce"]
    argv = shlex.split(replay)
    assert cli.main([*argv[1:], "--no-report", "-q"]) == 1  # the printed command replays the failure
    capsys.readouterr()
    (explain,) = [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("explain the first")]
    assert cli.main([*shlex.split(explain)[1:], "--budget", "5"]) == 1
    assert "grad_scale" in capsys.readouterr().out


def test_a_passing_run_prints_two_lines(tmp_path: Path, capsys) -> None:
    code, out = run_cli(["check", str(EXAMPLES / "layers.py"), "--out", str(tmp_path / "r"), "-q"], capsys)
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("OK ") and lines[1] == f"report: {tmp_path / 'r' / 'report.html'}"


def test_verbose_prints_the_full_tables(tmp_path: Path, capsys) -> None:
    code, out = run_cli(["check", BUGGY, "--out", str(tmp_path / "r"), "-q", "-v"], capsys)
    assert code == 1 and "| op" in out and "## Failures" in out
    assert out.count("FAIL  softmax_loss dx") == 1


def test_summary_md_and_report_html_list_the_same_groups(tmp_path: Path, capsys) -> None:
    run_cli(["check", BUGGY, "--out", str(tmp_path / "r"), "-q"], capsys)
    summary = (tmp_path / "r" / "summary.md").read_text()
    page = (tmp_path / "r" / "report.html").read_text()
    assert "## Failures (1 groups of" in summary and summary.count("replay: `") == 1
    assert "Failures (1 groups of" in page and page.count('class="replay"') == 1


def test_groups_split_by_diagnosis_and_put_errors_first() -> None:
    frame = to_frame(records("failing"))
    groups = failure_groups(frame)
    bad = frame[frame["status"].isin(["fail", "error"])]
    assert len(groups) == len(bad[["function", "quantity", "diagnosis"]].drop_duplicates())
    assert list(groups["status"]) == sorted(groups["status"], key=lambda s: s != "error")
    assert groups["records"].sum() == len(bad)
    assert failure_groups(to_frame(records("clean"))).empty


def _colour_run(env: dict[str, str]) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    proc = subprocess.run(
        [sys.executable, "-m", "gradverify", "check", BUGGY, "--no-report", "-q", "--dtypes", "float64"],
        capture_output=True,
        text=True,
        env={**clean, **env},
    )
    assert proc.returncode == 1, proc.stderr
    return proc.stdout


def test_colour_follows_force_color_and_no_color() -> None:
    red = "\x1b[1;31m"
    assert red not in _colour_run({}) and "\x1b[" not in _colour_run({})  # a pipe gets plain text
    assert red + "FAIL" in _colour_run({"FORCE_COLOR": "1"})
    assert red not in _colour_run({"FORCE_COLOR": "1", "NO_COLOR": "1"})
