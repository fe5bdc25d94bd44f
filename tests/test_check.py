"""`gradverify check` on users' own files: discovery, --map (the seeds' classes), every fault's
diagnosis, the Python API, the command's exit codes and files, replay, and speed."""

from __future__ import annotations

import importlib.util
import json
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from generated_submissions import impl_as_one_file, seed_twolayer_with_x_fixed
from gradverify.cli import main as cli
from gradverify.core.records import COLUMNS
from gradverify.specs import registry
from gradverify.usercode.check import check
from gradverify.usercode.submission_check import NothingToCheck
from gradverify.usercode.submissions import Unreadable

SUBMISSIONS = Path(__file__).parent / "submissions"
FAST = dict(cases=1, dtypes="float64")
SEED_SVM = {"svm_loss_naive": "Multiclass_SVM().svm_loss"}


def gradverify(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gradverify", *args], capture_output=True, text=True, cwd=cwd)


def by_status(frame: pd.DataFrame) -> dict:
    return dict(frame.groupby(["function", "status"]).size())


# --- correct submissions pass, in every style ----------------------------------------------------


@pytest.mark.parametrize(
    ("target", "functions"),
    [
        ("linear_svm.py", {"svm_loss_naive", "svm_loss_vectorized"}),
        ("course_layers.py", {"affine_forward", "affine_backward", "relu_forward", "relu_backward", "svm_loss"}),
        ("loose_functions.py", {"softmax_loss_naive", "matrix_example_forward", "relu_forward"}),
        ("package", {"affine_forward", "relu_backward", "softmax_loss", "TwoLayerNet.loss"}),
    ],
)
def test_correct_submissions_pass(target: str, functions: set[str]) -> None:
    frame = check(SUBMISSIONS / target, cases=2)
    assert list(frame.columns) == list(COLUMNS)
    assert (frame["status"] == "pass").all(), frame[frame["status"] != "pass"][["function", "message"]]
    assert set(frame["function"]) >= functions
    assert set(frame["dtype"]) == {"float64", "float32"}


def test_a_forward_without_its_backward_is_checked_forward_only() -> None:
    frame = check(SUBMISSIONS / "loose_functions.py", ops="relu", **FAST)
    assert set(frame["quantity"]) == {"out"} and (frame["status"] == "pass").all()


def test_a_backward_without_its_forward_is_not_checkable(tmp_path: Path) -> None:
    user = tmp_path / "half.py"
    user.write_text("def relu_backward(dout, cache):\n    return dout * (cache > 0)\n")
    with pytest.raises(NothingToCheck, match="relu_backward cannot be checked without relu_forward"):
        check(user, **FAST)
    user.write_text(user.read_text() + "\n\ndef svm_loss(x, y):\n    raise ValueError('todo')\n")
    frame = check(user, **FAST)
    row = frame[frame["diagnosis"] == "not_checkable"].iloc[0]
    assert (row["function"], row["status"], row["op"]) == ("relu_backward", "error", "relu")
    assert "--map relu_forward=NAME" in row["message"]


def test_an_extended_api_the_code_lacks_is_skipped() -> None:
    # the course's svm_loss_vectorized(W, X, y, reg) takes no delta: svm_delta does not apply
    frame = check(SUBMISSIONS / "linear_svm.py", **FAST)
    assert set(frame["op"]) == {"svm"}


def test_a_module_name_and_a_module_object_are_submissions_too(monkeypatch) -> None:
    monkeypatch.chdir(SUBMISSIONS)
    assert (check("linear_svm", **FAST)["status"] == "pass").all()
    spec = importlib.util.spec_from_file_location("user_linear_svm", SUBMISSIONS / "linear_svm.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (check(module, **FAST)["status"] == "pass").all()


def test_unreadable_and_empty_targets_say_which(tmp_path: Path) -> None:
    with pytest.raises(Unreadable, match="no such file"):
        check(tmp_path / "missing.py")
    with pytest.raises(Unreadable, match="no module named 'no_such_module_here'"):
        check("no_such_module_here")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(Unreadable, match="not a Python file"):
        check(tmp_path / "notes.txt")
    (tmp_path / "empty.py").write_text("def helper():\n    pass\n")
    with pytest.raises(NothingToCheck, match=r"Looked for: .*svm_loss_naive.*Found: helper"):
        check(tmp_path / "empty.py")


# --- faults: each its own diagnosis, and the check goes on ---------------------------------------


@pytest.mark.parametrize(
    ("target", "function", "quantity", "diagnosis", "words"),
    [
        ("fault_exception.py", "svm_loss_naive", "(call)", "exception", "IndexError"),
        ("fault_bad_return.py", "svm_loss_naive", "(call)", "bad_return", "(loss, gradient)"),
        ("fault_bad_shape.py", "affine_backward", "db", "bad_shape", "has shape ("),
        ("fault_nonfinite.py", "relu_backward", "dx", "nonfinite", "non-finite"),
        ("fault_input_mutated.py", "svm_loss_vectorized", "X", "input_mutated", "changed its input X"),
        ("fault_timeout.py", "softmax_loss_naive", "(call)", "timeout", "took longer than 1 s"),
        ("fault_worker_died.py", "svm_loss_vectorized", "(call)", "worker_died", "SIGKILL"),
        ("fault_import_missing_module.py", "(import)", "(import)", "import_error", "No module named"),
        ("fault_import_raises.py", "(import)", "(import)", "import_error", "FileNotFoundError"),
        ("broken_syntax.py.txt", "(import)", "(import)", "import_error", "SyntaxError"),
    ],
)
def test_each_fault_has_its_diagnosis(target, function, quantity, diagnosis, words, tmp_path: Path) -> None:
    path = SUBMISSIONS / target
    if path.suffix == ".txt":  # kept out of the linters' way in the repository
        path = Path(shutil.copy(path, tmp_path / path.stem))
    frame = check(path, timeout=1, **FAST)
    rows = frame[(frame["function"] == function) & (frame["diagnosis"] == diagnosis)]
    assert len(rows), frame[["function", "quantity", "status", "diagnosis", "message"]]
    assert set(rows["quantity"]) == {quantity} and set(rows["status"]) == {"error"}
    assert words in rows["message"].iloc[0]


def test_a_faulty_function_does_not_stop_the_others() -> None:
    frame = check(SUBMISSIONS / "fault_worker_died.py", **FAST)
    assert set(frame["function"]) == {"svm_loss_naive", "svm_loss_vectorized"}
    assert set(frame["diagnosis"]) == {"worker_died"} and len(frame) > 2


# --- the seeds' classes, through --map ----------------------------------------------------------


def test_seed_multiclass_svm_passes_through_map() -> None:
    frame = check(SUBMISSIONS / "seed_multiclass_svm.py", mapping=SEED_SVM, cases=2)
    assert set(frame["function"]) == {"Multiclass_SVM.svm_loss"}
    assert (frame["status"] == "pass").all() and len(frame) > 10


def test_seed_twolayer_net_bugs_are_caught() -> None:
    frame = check(SUBMISSIONS / "seed_twolayer_softmax.py", mapping={"TwoLayerNet": "TwolayerNet"}, cases=2)
    assert frame["status"].isin(["fail", "error"]).any()
    calls = frame[frame["quantity"] == "(call)"]
    # the global x (2 x 2) meets the sample's W1: numpy's shape error names the bug
    assert (calls["diagnosis"] == "exception").all() and calls["message"].str.contains("shapes").all()
    scores = frame[frame["quantity"] == "scores"]
    assert set(scores["diagnosis"]) == {"not_checkable"} and "needs labels" in scores["message"].iloc[0]


def test_seed_twolayer_net_preactivation_bug_is_a_failure_once_x_is_fixed(tmp_path: Path) -> None:
    path = seed_twolayer_with_x_fixed(tmp_path / "seed_twolayer_softmax_x_fixed.py")
    frame = check(path, mapping={"TwoLayerNet": "TwolayerNet"}, cases=2)
    quantities = frame[frame["case"] != "discovery"]
    assert not (quantities["quantity"] == "(call)").any()
    assert (quantities[quantities["quantity"] == "loss"]["status"] == "fail").all()
    assert (quantities[quantities["quantity"].isin(["dW1", "dW2"])]["status"] == "fail").any()
    assert set(quantities["function"]) == {"TwolayerNet.loss"}


def test_seed_matrix_net_maps_onto_matrix_example() -> None:
    mapping = {"matrix_example": "TwolayerNet"}
    frame = check(SUBMISSIONS / "seed_twolayer_matrix.py", mapping=mapping, grad_keys={"X": "dx"}, cases=2)
    grads = frame[frame["quantity"].isin(["dX", "dW1", "dW2"])]
    assert len(grads) and (grads["status"] == "pass").all()
    # its loss is one value per row, not the lecture's scalar L (except when N = 1)
    loss = frame[frame["quantity"] == "loss"]
    assert set(loss[loss["status"] == "error"]["diagnosis"]) == {"bad_shape"}
    without_keys = check(SUBMISSIONS / "seed_twolayer_matrix.py", mapping=mapping, **FAST)
    assert set(without_keys["diagnosis"]) == {"bad_return"}
    assert "--grad-keys" in without_keys["message"].iloc[0] and "dx" in without_keys["message"].iloc[0]


def test_map_errors_are_reported() -> None:
    frame = check(SUBMISSIONS / "linear_svm.py", mapping={"softmax_loss_naive": "Nope().loss"}, **FAST)
    bad = frame[frame["diagnosis"] == "not_checkable"]
    assert list(bad["op"]) == ["softmax"] and "'Nope' is not defined" in bad["message"].iloc[0]
    with pytest.raises(ValueError, match="not a function, class or op name"):
        check(SUBMISSIONS / "linear_svm.py", mapping={"svm_loss_navie": "x"})
    with pytest.raises(ValueError, match="target must be"):
        check(SUBMISSIONS / "linear_svm.py", mapping={"svm_loss_naive": "os.system('x')"})


def test_hangs_while_importing_or_resolving_a_map_are_reported(tmp_path: Path) -> None:
    user = tmp_path / "slow.py"
    user.write_text("class Slow:\n    def __init__(self):\n        while True:\n            pass\n")
    frame = check(user, mapping={"svm_loss_naive": "Slow().loss"}, timeout=1, **FAST)
    assert list(frame["diagnosis"]) == ["timeout"] and "resolving --map" in frame["message"].iloc[0]
    user.write_text("while True:\n    pass\n")
    frame = check(user, timeout=1, **FAST)
    assert list(frame["diagnosis"]) == ["import_error"] and "took longer than 1 s" in frame["message"].iloc[0]


# --- the command ----------------------------------------------------------------------------------


def test_check_command_exit_codes_and_files(tmp_path: Path) -> None:
    out, js = tmp_path / "ok", tmp_path / "ok.json"
    proc = gradverify("check", str(SUBMISSIONS / "linear_svm.py"), "--cases", "1", "--out", str(out), "--json", str(js))
    assert proc.returncode == 0, proc.stderr
    assert (out / "results.csv").exists() and (out / "summary.md").exists()
    payload = json.loads(js.read_text())
    assert set(payload["records"][0]) == set(COLUMNS) and payload["summary"]["fail"] == 0
    argv = ["check", str(SUBMISSIONS / "fault_exception.py"), "--cases", "1", "-q", "--out", str(tmp_path / "f")]
    assert cli.main(argv) == 1 and (tmp_path / "f" / "results.csv").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["missing.py"], "no such file"),
        (["no_such_module_here"], "no module named"),
        ([str(SUBMISSIONS / "README.md")], "not a Python file"),
        ([str(SUBMISSIONS / "hostile_exit_at_import.py"), "--map", "nonsense"], "expected NAME=TARGET"),
        ([str(SUBMISSIONS / "linear_svm.py"), "--map", "no_such_op=x"], "not a function, class or op"),
        ([str(SUBMISSIONS / "linear_svm.py"), "--ops", "nosuchop"], "unknown op"),
        ([str(SUBMISSIONS / "linear_svm.py"), "--timeout", "0"], "--timeout"),
    ],
)
def test_check_command_usage_errors_exit_2(args: list[str], words: str, tmp_path: Path, capsys) -> None:
    assert cli.main(["check", *args, "-q", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1, err


def test_nothing_checkable_exits_2_naming_the_names(tmp_path: Path, capsys) -> None:
    user = tmp_path / "nothing.py"
    user.write_text("def my_svm(W, X, y, reg):\n    return 0.0, W\n")
    assert cli.main(["check", str(user), "-q", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "svm_loss_naive" in err and "Found: my_svm" in err and "--map" in err
    argv = ["check", str(user), "--map", "svm_loss_naive=my_svm", "--cases", "1", "-q", "--out", str(tmp_path / "m")]
    assert cli.main(argv) == 1  # now checkable, and wrong


def test_reproduce_replays_the_same_numbers(tmp_path: Path) -> None:
    path = SUBMISSIONS / "seed_multiclass_svm.py"
    args = ["check", str(path), "--map", "svm_loss_naive=Multiclass_SVM().svm_loss", "--cases", "2", "-q"]
    assert cli.main([*args, "--seed", "5", "--out", str(tmp_path / "a")]) == 0
    first = pd.read_csv(tmp_path / "a" / "results.csv")
    row = first[(first["case"] == "random") & (first["dtype"] == "float32")].iloc[0]
    argv = shlex.split(row["reproduce"])
    assert argv[:3] == ["gradverify", "check", str(path)] and "--replay" in argv
    assert cli.main([*argv[1:], "-q", "--out", str(tmp_path / "b")]) == 0
    replay = pd.read_csv(tmp_path / "b" / "results.csv")
    merged = replay.merge(first, on=["op", "variant", "dtype", "case", "seed", "quantity"], suffixes=("", "_1"))
    assert len(merged) == len(replay) > 0 and (merged["max_abs_err"] == merged["max_abs_err_1"]).all()


ASSIGNMENT_1_OPS = (
    "svm,svm_all_classes,svm_class_mean,squared_hinge,softmax,affine,relu,svm_loss,softmax_loss,"
    "affine_relu,two_layer_net,fully_connected_net,matrix_example"
)


def test_a_twenty_function_file_takes_seconds(tmp_path: Path) -> None:
    path = impl_as_one_file(tmp_path / "all_in_one.py")
    started = time.perf_counter()
    code = cli.main(["check", str(path), "--ops", ASSIGNMENT_1_OPS, "-q", "--out", str(tmp_path / "r")])
    elapsed = time.perf_counter() - started
    frame = pd.read_csv(tmp_path / "r" / "results.csv")
    print(f"assignment-1 functions of one file, default settings: {elapsed:.1f} s for {len(frame)} records")
    assert code == 0 and frame["function"].nunique() >= 19
    assert elapsed < 60


def test_a_file_with_every_course_function_is_checked_whole(tmp_path: Path) -> None:
    """Every op of the registry is discovered by its course names in one user file."""
    path = impl_as_one_file(tmp_path / "everything.py")
    code = cli.main(["check", str(path), "--cases", "1", "--dtypes", "float64", "-q", "--out", str(tmp_path / "r")])
    frame = pd.read_csv(tmp_path / "r" / "results.csv")
    assert code == 0, frame[frame["status"].isin(["fail", "error"])][["op", "quantity", "message"]]
    # neural_net's TwoLayerNet (the 2016-2020 API) cannot share a file with fc_net's: test_real_code checks it
    assert set(frame["op"]) == {s.name for s in registry.COURSES["cs231n"]} - {"neural_net"}
