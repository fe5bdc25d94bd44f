"""Ops declared in the user's own module: ``gradverify run --module``, ``check --declarations``
(the submission in the sandbox worker, the declarations and torch in the parent), ``explain``
and the pytest plugin treat them as they treat the built-in ops."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from gradverify.cli.main import main
from gradverify.usercode import declared
from gradverify.usercode.check import check

pytest_plugins = ["pytester"]

HERE = Path(__file__).parent
DECORATED = str(HERE / "own_decorated.py")
DECLARATIONS = str(HERE / "own_declarations.py")
LAYERS = HERE / "own_layers.py"

STUDENT = """
import numpy as np


def swish_forward(x, beta):
    s = 1 / (1 + np.exp(-beta * x))
    return x * s, (x, beta, s)


def swish_backward(dout, cache):
    x, beta, s = cache
    return -dout * (s + beta * x * s * (1 - s))  # the sign slipped


def helper():
    return 1
"""


def results(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "results.csv")


def run_cli(argv: list[str]) -> int:
    return main([str(a) for a in argv])


def test_a_module_declares_ops_by_decorator_and_by_list() -> None:
    specs = declared.in_process_specs(DECORATED)
    assert [s.name for s in specs] == ["double", "huber", "swish", "swish_doubled", "relu6", "mse_loss"]
    assert {s.family for s in specs} == {"own_decorated"}
    assert {s.variants[0].adapter.primary for s in specs} >= {"swish_forward", "huber_loss", "mse_loss"}


def test_run_module_checks_the_declared_ops_and_every_failure_replays(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert run_cli(["run", "--module", DECORATED, "--cases", "2", "--out", out, "-q"]) == 1
    frame = results(out)
    bad = frame[frame["status"].isin(["fail", "error"])]
    assert set(bad["op"]) == {"swish_doubled"} and set(bad["diagnosis"]) == {"grad_scale"}
    assert set(frame["dtype"]) == {"float64", "float32"} and "kink" in set(frame["status"])  # relu6 ties
    record = bad.iloc[0]
    assert record["reproduce"].startswith(f"gradverify run --module {shlex.quote(DECORATED)} --ops swish_doubled:own")
    again = tmp_path / "again"
    argv = [*shlex.split(record["reproduce"])[1:], "--out", str(again), "-q"]
    assert run_cli(argv) == 1
    replayed = results(again)
    same = replayed[replayed["quantity"] == record["quantity"]].iloc[0]
    assert (same["seed"], same["max_abs_err"]) == (record["seed"], record["max_abs_err"])


def test_run_module_gives_the_same_records_on_two_workers(tmp_path: Path) -> None:
    frames = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        run_cli(["run", "--module", DECORATED, "--cases", "2", "--workers", workers, "--out", out, "-q"])
        frames.append(results(out).drop(columns=["time_s"]))
    pd.testing.assert_frame_equal(*frames)


def test_run_module_runs_a_declaration_file_in_process(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert run_cli(["run", "--module", DECLARATIONS, "--cases", "1", "--out", out, "-q", "--ops", "glu"]) == 0
    assert set(results(out)["function"]) == {"glu_forward", "glu_backward"}


def test_explain_finds_a_declared_function_as_module_colon_function(capsys, monkeypatch) -> None:
    monkeypatch.chdir(HERE)
    assert run_cli(["explain", "own_decorated:swish_doubled_forward", "--budget", "12"]) == 1
    text = capsys.readouterr().out
    assert "[grad_scale]" in text and "backward" in text
    replay = re.search(r"Replay it: (gradverify run .*)", text).group(1)
    again = re.search(r"Explain this case again: (gradverify explain .*)", text).group(1)
    assert "--ops swish_doubled:own" in replay and replay.endswith("--module own_decorated")
    assert again.startswith("gradverify explain swish_doubled:own") and again.endswith("--module own_decorated")
    assert run_cli(shlex.split(again)[1:]) == 1  # the printed command explains the same case
    assert run_cli(["explain", "swish", "--module", "own_decorated", "--budget", "5"]) == 0


def test_explain_names_what_a_module_lacks(capsys, monkeypatch) -> None:
    monkeypatch.chdir(HERE)
    assert run_cli(["explain", "own_decorated:nothing"]) == 2
    assert "own_decorated declares no op or function 'nothing'" in capsys.readouterr().err
    assert run_cli(["explain", "no_such_module:thing"]) == 2
    assert "no module named 'no_such_module'" in capsys.readouterr().err


def test_check_runs_declared_ops_on_a_submission_in_the_worker(tmp_path: Path) -> None:
    student = tmp_path / "student_swish.py"
    student.write_text(STUDENT)
    frame = check(student, declarations=DECLARATIONS, cases=2)
    assert "student_swish" not in sys.modules  # the parent imported the declarations, never the code
    assert set(frame["op"]) == {"swish"}  # the student wrote no glu and no loss
    bad = frame[frame["status"] == "fail"]
    assert set(bad["function"]) == {"swish_backward"} and set(bad["diagnosis"]) == {"grad_sign"}
    assert set(bad["blame"]) == {"backward"}
    assert (frame.loc[frame["quantity"] == "out", "status"] == "pass").all()
    correct = check(LAYERS, declarations=DECLARATIONS, cases=1, ops="swish,glu,smoothed_ce")
    assert set(correct["op"]) == {"swish", "glu", "smoothed_ce"} and (correct["status"] == "pass").all()


def test_check_cli_replays_a_declared_op_with_its_declarations(tmp_path: Path) -> None:
    student = tmp_path / "student.py"
    student.write_text(STUDENT)
    out, log = tmp_path / "check", tmp_path / "records.json"
    argv = ["check", student, "--declarations", DECLARATIONS, "--cases", "1", "--out", out, "--json", log, "-q"]
    assert run_cli(argv) == 1
    records = json.loads(log.read_text())["records"]
    failure = next(r for r in records if r["status"] == "fail")
    assert f"--declarations={DECLARATIONS}" in failure["reproduce"]
    again = tmp_path / "again"
    assert run_cli([*shlex.split(failure["reproduce"])[1:], "--out", again, "-q"]) == 1
    replayed = results(again)
    assert replayed.loc[replayed["quantity"] == "dx", "max_abs_err"].iloc[0] == pytest.approx(failure["max_abs_err"])


def test_bad_declarations_are_usage_errors(tmp_path: Path, capsys) -> None:
    student = tmp_path / "student.py"
    student.write_text(STUDENT)
    clash = tmp_path / "clash.py"
    clash.write_text(
        "import torch, gradverify\n"
        "GRADVERIFY_OPS = [gradverify.op('relu', forward='f', backward='g', reference=torch.relu,"
        " inputs={'x': ('N',)})]\n"
    )
    empty = tmp_path / "empty.py"
    empty.write_text("X = 1\n")
    for path, message in [
        (clash, "'relu' is a built-in op"),
        (empty, "declares no op"),
        (tmp_path / "missing.py", "no such file"),
    ]:
        assert run_cli(["check", student, "--declarations", path, "--out", tmp_path / "o"]) == 2
        assert message in capsys.readouterr().err
    broken = tmp_path / "broken.py"
    broken.write_text("import gradverify\nGRADVERIFY_OPS = [gradverify.op('b', loss='f', reference=len, inputs={})]\n")
    assert run_cli(["run", "--module", broken, "--out", tmp_path / "o"]) == 2
    assert "inputs must name at least one argument" in capsys.readouterr().err


def test_pytest_plugin_adds_the_declared_ops_as_tests(pytester: pytest.Pytester, tmp_path: Path) -> None:
    student = tmp_path / "student.py"
    student.write_text(STUDENT)
    args = ["-p", "gradverify.pytest_plugin", "--gradverify", str(student), "--gradverify-cases", "1"]
    result = pytester.runpytest(*args, "--gradverify-declarations", DECLARATIONS, "--gradverify-dtypes", "float64")
    result.assert_outcomes(failed=3)  # N=1, D=1 and one random case, each with the wrong sign
    result.stdout.fnmatch_lines(["*swish_backward dx: fail [[]grad_sign[]]*", "*replay: gradverify check*"])
    correct = pytester.runpytest(
        "-p", "gradverify.pytest_plugin", "--gradverify", str(LAYERS), "--gradverify-cases", "1",
        "--gradverify-declarations", DECLARATIONS, "--gradverify-dtypes", "float64",
    )  # fmt: skip
    correct.assert_outcomes(passed=3 + 2 + 3)  # swish and smoothed_ce: N=1, D=1 / C=2, random; glu: N=1, random


def test_list_shows_a_modules_declared_ops(capsys) -> None:
    assert run_cli(["list", "--module", DECORATED]) == 0
    text = capsys.readouterr().out
    assert "swish_backward, swish_forward" in text and "N=1, D=1, ties" in text  # relu6 declares kinks
    assert run_cli(["list", "--module", str(HERE / "nothing_here.py")]) == 2


def test_importing_gradverify_imports_no_torch() -> None:
    """The sandbox worker imports gradverify's adapters, and a decorated module may be imported
    there too: neither may pull torch in."""
    code = (
        "import sys, gradverify, gradverify.core.adapters\n"
        "@gradverify.op(reference=abs, inputs={'x': ('N',)}, backward='g')\n"
        "def f(x):\n    return abs(x), x\n"
        "assert 'torch' not in sys.modules and f.__gradverify__[0].name == 'f'\n"
        "gradverify.verify\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_batch_of_submissions_shares_one_declaration_file(tmp_path: Path) -> None:
    batch = tmp_path / "class"
    batch.mkdir()
    (batch / "alice.py").write_text(LAYERS.read_text())
    (batch / "bob.py").write_text(STUDENT)
    out = tmp_path / "out"
    argv = ["check", batch, "--declarations", DECLARATIONS, "--workers", "2", "--cases", "1", "--ops", "swish"]
    assert run_cli([*argv, "--dtypes", "float64", "--out", out, "-q"]) == 1
    table = pd.read_csv(out / "batch.csv").set_index(["submission", "function"])["status"]
    assert table.to_dict() == {
        ("alice", "swish_forward"): "pass",
        ("alice", "swish_backward"): "pass",
        ("bob", "swish_forward"): "pass",
        ("bob", "swish_backward"): "fail",
    }
