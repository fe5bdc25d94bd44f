"""`gradverify run` and `gradverify list` as a user calls them: files, exit codes, replay."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bugzoo import MUTANTS
from gradverify.cli import main as cli
from gradverify.core.records import COLUMNS
from gradverify.core.spec import Variant
from gradverify.specs import registry


def gradverify(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gradverify", *args], capture_output=True, text=True, cwd=cwd)


def test_run_writes_report_and_json(tmp_path: Path) -> None:
    out, js = tmp_path / "rep", tmp_path / "r.json"
    proc = gradverify("run", "--ops", "relu,linear_svm", "--cases", "2", "--out", str(out), "--json", str(js))
    assert proc.returncode == 0, proc.stderr
    assert "82 passed" in proc.stdout and "| op" not in proc.stdout  # short by default: no tables
    frame = pd.read_csv(out / "results.csv")
    assert list(frame.columns) == list(COLUMNS)
    assert set(frame["op"]) == {"relu", "svm", "svm_delta", "svm_all_classes", "svm_class_mean", "squared_hinge"}
    assert set(frame["dtype"]) == {"float64", "float32"}
    assert (frame["status"] == "pass").all()
    payload = json.loads(js.read_text())
    assert payload["summary"]["pass"] == payload["summary"]["checks"] > 0
    assert payload["summary"]["records"] == len(frame) == len(payload["records"])
    assert set(payload["records"][0]) == set(COLUMNS)
    assert "| svm " in (out / "summary.md").read_text()


def test_default_run_covers_every_op_and_both_dtypes(tmp_path: Path) -> None:
    assert cli.main(["run", "--out", str(tmp_path), "--cases", "1"]) == 0
    frame = pd.read_csv(tmp_path / "results.csv")
    assert set(frame["op"]) == {s.name for s in registry.COURSES["cs231n"]}
    assert set(frame["function"]) >= {
        "svm_loss_naive",
        "svm_loss_vectorized",
        "softmax_loss_naive",
        "softmax_loss_vectorized",
        "affine_forward",
        "affine_backward",
        "relu_forward",
        "relu_backward",
        "svm_loss",
        "softmax_loss",
        "affine_relu_forward",
        "affine_relu_backward",
        "TwoLayerNet.loss",
        "FullyConnectedNet.loss",
        "matrix_example_forward",
        "matrix_example_backward",
    }


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "--ops", "nosuchop"], "unknown op 'nosuchop'"),
        (["run", "--cases", "0"], "--cases"),
        (["run", "--cases", "many"], "--cases"),
        (["run", "--dtypes", "float16"], "unknown dtype float16"),
        (["run", "--replay", "garbage"], "KIND:SEED"),
        (["run", "--seed", "-1"], "--seed"),
        (["frobnicate"], "unknown command 'frobnicate'"),
    ],
)
def test_bad_usage_exits_2_with_one_line(args: list[str], words: str, tmp_path: Path) -> None:
    proc = gradverify(*args, "--out", str(tmp_path)) if args[0] == "run" else gradverify(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], proc.stderr


def test_unwritable_out_exits_2_before_running(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    proc = gradverify("run", "--ops", "relu", "--out", str(blocker / "sub"))
    assert proc.returncode == 2
    assert "--out" in proc.stderr and "is a file, not a folder" in proc.stderr


def test_disagreement_exits_1_and_reports_are_still_written(tmp_path: Path, monkeypatch) -> None:
    (mutant,) = [m for m in MUTANTS if m.name == "sign_flip"]
    (spec,) = registry.select(["svm:vectorized"])
    monkeypatch.setattr(registry, "select", lambda names: [spec.with_variants(Variant("bad", mutant.adapter))])
    assert cli.main(["run", "--out", str(tmp_path), "--cases", "1", "--json", str(tmp_path / "r.json")]) == 1
    summary = (tmp_path / "summary.md").read_text()
    assert "## Failures" in summary and "gradverify run --ops svm:bad" in summary
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["fail"] > 0


def test_reproduce_command_replays_the_same_numbers(tmp_path: Path) -> None:
    assert cli.main(["run", "--ops", "two_layer_net", "--cases", "2", "--seed", "7", "--out", str(tmp_path / "a")]) == 0
    first = pd.read_csv(tmp_path / "a" / "results.csv")
    row = first[(first["case"] == "random") & (first["dtype"] == "float32")].iloc[0]
    argv = shlex.split(row["reproduce"])
    assert argv[:2] == ["gradverify", "run"]
    assert cli.main([*argv[1:], "--out", str(tmp_path / "b")]) == 0
    replay = pd.read_csv(tmp_path / "b" / "results.csv")
    assert len(replay) == len(first[(first["seed"] == row["seed"]) & (first["dtype"] == "float32")])
    merged = replay.merge(first, on=["op", "variant", "dtype", "case", "seed", "quantity"], suffixes=("", "_first"))
    assert len(merged) == len(replay)
    assert (merged["max_abs_err"] == merged["max_abs_err_first"]).all()


def test_same_seed_same_numbers_and_other_seed_other_cases(tmp_path: Path) -> None:
    frames = []
    for name, seed in (("a", "1"), ("b", "1"), ("c", "2")):
        cli.main(["run", "--ops", "softmax", "--cases", "2", "--seed", seed, "--out", str(tmp_path / name)])
        frames.append(pd.read_csv(tmp_path / name / "results.csv"))
    a, b, c = frames
    pd.testing.assert_frame_equal(a.drop(columns="time_s"), b.drop(columns="time_s"))
    assert set(a["seed"]).isdisjoint(set(c["seed"]))


def test_list_names_every_op(capsys) -> None:
    assert cli.main(["list"]) == 0
    text = capsys.readouterr().out
    for spec in registry.select(None):
        assert spec.name in text


@pytest.mark.skipif(shutil.which("gradverify") is None, reason="console script not installed")
def test_console_script_is_the_same_command() -> None:
    proc = subprocess.run(["gradverify", "list"], capture_output=True, text=True)
    assert proc.returncode == 0 and "svm_loss_naive" in proc.stdout
