"""``--python PATH``: the checked code runs in another interpreter (a course environment with
NumPy 1.x) that has only NumPy, with every isolation layer, and the verdicts stay gradverify's.

The virtual environments are real: ``python -m venv`` and ``pip install`` from the index, once
per session. Without the index these tests fail with a message saying so (they are the only
proof that the worker runs in another NumPy); deselect them with ``-m "not venv"`` offline.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from gradverify.cli import main as cli
from gradverify.usercode.check import check
from gradverify.usercode.sandbox import confine, interpreter

SUBMISSIONS = Path(__file__).parent / "submissions"
FAST = ["--cases", "1", "--dtypes", "float64", "-q"]
LAYERS = confine.layers()

pytestmark = pytest.mark.venv
pytest_plugins = ["pytester"]


def make_venv(root: Path, *requirements: str, base: str = sys.executable) -> str:
    """A virtual environment of ``base`` at ``root`` with ``requirements`` installed; its python."""
    subprocess.run([base, "-m", "venv", *([] if requirements else ["--without-pip"]), str(root)], check=True)
    python = root / "bin" / "python"
    if requirements:
        proc = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *requirements],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if proc.returncode != 0:
            pytest.fail(
                f"pip could not install {' '.join(requirements)} into a test venv (is the package index "
                f"reachable?): {proc.stderr.strip()[-800:]}. Offline, deselect these tests with -m 'not venv'",
                pytrace=False,
            )
    return str(python)


@pytest.fixture(scope="session")
def numpy1(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A course environment: NumPy 1.23, the last with ``np.int`` and ``np.float``."""
    return make_venv(tmp_path_factory.mktemp("venv") / "numpy1", "numpy>=1.23,<1.24")


@pytest.fixture(scope="session")
def numpy2(tmp_path_factory: pytest.TempPathFactory) -> str:
    """NumPy 2 and nothing else: no torch, no pandas, no gradverify."""
    return make_venv(tmp_path_factory.mktemp("venv") / "numpy2", "numpy>=2")


@pytest.fixture(scope="session")
def bare(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Python without NumPy."""
    return make_venv(tmp_path_factory.mktemp("venv") / "bare")


def statuses(frame: pd.DataFrame) -> dict[str, set[str]]:
    diagnoses = frame["diagnosis"].fillna("")
    return {
        f: set(frame.loc[frame["function"] == f, "status"] + ":" + diagnoses[frame["function"] == f])
        for f in frame["function"].unique()
    }


# --- (a) NumPy 1.x code: passes in its own environment, a named diagnosis in ours ---------------


def test_numpy1_code_passes_in_its_environment_and_is_diagnosed_in_ours(numpy1: str, tmp_path: Path) -> None:
    target = str(SUBMISSIONS / "numpy1_layers.py")
    out = tmp_path / "out"
    assert cli.main(["check", target, *FAST, "--python", numpy1, "--out", str(out)]) == 0
    frame = pd.read_csv(out / "results.csv")
    assert set(frame["function"]) >= {"affine_forward", "affine_backward", "relu_forward", "relu_backward"}
    assert set(frame["status"]) == {"pass"}
    meta = json.loads((out / "run.json").read_text())
    assert meta["environment"]["checked code"] == f"Python {_version(numpy1)} with numpy 1.23.5 ({numpy1})"
    assert "numpy 1.23.5" in (out / "summary.md").read_text()
    assert all(f"--python={numpy1}" in r for r in frame["reproduce"])  # a replay runs where the check ran

    ours = check(target, cases=1, dtypes="float64")
    assert set(ours["diagnosis"]) == {"numpy2_removed"}
    by_op = ours.groupby("op")["message"].first()
    assert "np.float was removed in NumPy 2" in by_op["relu"]  # the API is named
    assert "reshape(newshape=...) was removed in NumPy 2" in by_op["affine"]
    assert all("gradverify check --python" in m for m in ours["message"])


def _version(python: str) -> str:
    return subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"], capture_output=True, text=True
    ).stdout.strip()


# --- (b) the worker needs only NumPy ----------------------------------------------------------------


def test_the_worker_needs_only_numpy(numpy2: str, tmp_path: Path) -> None:
    installed = subprocess.run(
        [numpy2, "-m", "pip", "list", "--format=json"], capture_output=True, text=True, check=True
    ).stdout
    assert {p["name"].lower() for p in json.loads(installed)} <= {"numpy", "pip", "setuptools"}
    frame = check(SUBMISSIONS / "course_layers.py", cases=1, dtypes="float64", python=numpy2, ops="affine,relu")
    assert set(frame["status"]) == {"pass"}, statuses(frame)


@pytest.mark.parametrize("target", ["fastpkg", "optim_course.py", "neural_net_2018.py"])
def test_course_code_gets_the_same_verdicts_in_numpy_1(numpy1: str, target: str) -> None:
    # a course package with the im2col stand-in, in-place update rules, an old model class
    path = SUBMISSIONS / "real_code" / target
    here = check(path, cases=1, dtypes="float64")
    there = check(path, cases=1, dtypes="float64", python=numpy1)
    columns = ["op", "variant", "function", "quantity", "status", "diagnosis"]
    assert here[columns].fillna("").values.tolist() == there[columns].fillna("").values.tolist()


def test_a_batch_runs_every_submission_in_that_interpreter(numpy1: str, tmp_path: Path) -> None:
    root = tmp_path / "batch"
    root.mkdir()
    shutil.copy(SUBMISSIONS / "numpy1_layers.py", root / "old.py")
    shutil.copy(SUBMISSIONS / "course_layers.py", root / "new.py")
    out = tmp_path / "out"
    assert cli.main(["check", str(root), "--ops", "affine,relu", *FAST, "--python", numpy1, "--out", str(out)]) == 0
    table = pd.read_csv(out / "results.csv")
    assert set(table["submission"]) == {"old", "new"} and set(table["status"]) == {"pass"}


def test_the_pytest_plugin_runs_the_code_there_too(numpy1: str, pytester: pytest.Pytester) -> None:
    options = ["--gradverify-cases", "1", "--gradverify-dtypes", "float64", "--gradverify-ops", "affine,relu"]
    plugin = ["-p", "gradverify.pytest_plugin", "--gradverify-python", numpy1, *options]
    right = pytester.runpytest(*plugin, "--gradverify", str(SUBMISSIONS / "numpy1_layers.py"))
    assert right.ret == pytest.ExitCode.OK and right.parseoutcomes()["passed"] >= 4
    wrong = pytester.path / "layers.py"  # a bug that only shows where the code runs: NumPy 1.x
    text = (SUBMISSIONS / "numpy1_layers.py").read_text()
    wrong.write_text(text.replace("db = np.sum(dout, axis=0)", "db = 2 * np.sum(dout, axis=0)"))
    result = pytester.runpytest(*plugin, "--gradverify", str(wrong))
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*db*grad_scale*"])


# --- (d) the check can still fail ------------------------------------------------------------------


def test_a_wrong_implementation_still_fails(numpy1: str, tmp_path: Path) -> None:
    wrong = tmp_path / "layers.py"
    text = (SUBMISSIONS / "numpy1_layers.py").read_text()
    wrong.write_text(text.replace("db = np.sum(dout, axis=0)", "db = np.sum(dout, axis=0) / dout.shape[0]"))
    frame = check(wrong, cases=1, dtypes="float64", python=numpy1, ops="affine")
    failing = frame[frame["status"] != "pass"]
    assert set(failing["quantity"]) == {"db"} and set(failing["status"]) == {"fail"}, statuses(frame)
    assert cli.main(["check", str(wrong), "--ops", "affine", *FAST, "--python", numpy1, "--no-report"]) == 1


def test_explain_runs_the_function_there_too(numpy1: str, tmp_path: Path, capsys) -> None:
    wrong = tmp_path / "layers.py"
    text = (SUBMISSIONS / "numpy1_layers.py").read_text()
    wrong.write_text(text.replace("db = np.sum(dout, axis=0)", "db = 2 * np.sum(dout, axis=0)"))
    assert cli.main(["explain", "affine_backward", "--file", str(wrong), "--python", numpy1]) == 1
    out = capsys.readouterr().out
    assert "db [grad_scale]: db is 2 times the reference" in out and f"--python={numpy1}" in out


# --- (e) isolation: every layer, and gradverify's solutions stay out of reach -----------------------


def test_every_isolation_layer_applies_in_the_other_interpreter(numpy1: str) -> None:
    assert confine.layers(python=interpreter.inspect(numpy1)) == LAYERS


def test_grading_refuses_gradverifys_own_solutions(numpy1: str, tmp_path: Path) -> None:
    root = tmp_path / "batch"
    root.mkdir()
    shutil.copy(SUBMISSIONS / "course_layers.py", root / "honest.py")
    shutil.copy(SUBMISSIONS / "redteam_reexport_impl.py", root / "reexport.py")
    shutil.copy(SUBMISSIONS / "redteam_impl_bypass.py", root / "bypass.py")
    out = tmp_path / "out"
    flags = ["--grading", "--allow-weak-isolation", "--python", numpy1, "--out", str(out)]
    assert cli.main(["check", str(root), "--ops", "relu", *FAST, *flags]) == 1
    table = pd.read_csv(out / "results.csv")
    by = {s: table[table["submission"] == s] for s in ("honest", "reexport", "bypass")}
    assert set(by["reexport"]["diagnosis"]) == {"forbidden_import"}
    assert len(by["bypass"]) and set(by["bypass"]["status"]) == {"error"}
    assert set(by["honest"]["status"]) == {"pass"}


def needs(*layers: str) -> pytest.MarkDecorator:
    missing = [f"{name} {LAYERS[name]}" for name in layers if LAYERS[name] != "on"]
    return pytest.mark.skipif(bool(missing), reason="; ".join(missing))


@pytest.mark.parametrize(
    ("off", "held"),
    [
        pytest.param("", True),
        pytest.param("landlock", True, marks=needs("bwrap")),
        pytest.param("bwrap", True, marks=needs("landlock")),
        pytest.param("landlock,bwrap", False, marks=needs("landlock", "bwrap")),
    ],
)
def test_the_solutions_real_folder_is_out_of_reach(
    numpy1: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, off: str, held: bool
) -> None:
    # each file layer alone holds it in the other interpreter; with both off it succeeds, and says so
    monkeypatch.setenv(confine.OFF_ENV, off)
    target = tmp_path / "realpath.py"
    shutil.copy(SUBMISSIONS / "redteam_impl_realpath.py", target)
    out = tmp_path / "out"
    cli.main(["check", str(target), "--ops", "relu", *FAST, "--python", numpy1, "--out", str(out)])
    frame = pd.read_csv(out / "results.csv")
    assert set(frame["status"]) == ({"error"} if held else {"pass"}), statuses(frame)
    meta = json.loads((out / "run.json").read_text())
    assert all(meta["isolation"][layer].startswith("off: forced off") for layer in filter(None, off.split(",")))


@pytest.fixture
def no_seccomp_bindings(monkeypatch: pytest.MonkeyPatch):
    """gradverify's environment without pure-Python seccomp bindings to lend the worker."""
    monkeypatch.setattr(interpreter, "seccomp_bindings", lambda: None)
    interpreter._foreign_layers.cache_clear()
    yield
    interpreter._foreign_layers.cache_clear()


@needs("seccomp")
def test_a_layer_that_cannot_apply_there_is_off_with_its_reason(
    numpy2: str, no_seccomp_bindings, tmp_path: Path, capsys
) -> None:
    layers = confine.layers(python=interpreter.inspect(numpy2))
    assert layers["seccomp"].startswith("off: unavailable: no seccomp bindings"), layers
    assert layers["landlock"] == "on"
    target = str(SUBMISSIONS / "course_layers.py")
    out = tmp_path / "out"
    assert cli.main(["check", target, "--grading", "--python", numpy2, "--out", str(out)]) == 2  # as without seccomp
    assert "seccomp" in capsys.readouterr().err and not out.exists()
    flags = ["--grading", "--allow-weak-isolation", "--python", numpy2, "--out", str(out)]
    assert cli.main(["check", target, "--ops", "relu", *FAST, *flags]) == 0
    assert json.loads((out / "run.json").read_text())["isolation"]["seccomp"] == layers["seccomp"]


def test_the_source_tree_holds_no_solutions(tmp_path: Path) -> None:
    package = Path(interpreter.source_tree(str(tmp_path))) / "gradverify"
    names = {p.name for p in package.iterdir()}
    assert {"core", "usercode", "__init__.py"} <= names and not names & {"impl", "reference"}


# --- (c) a PATH that cannot run the worker: one clear line, exit 2, nothing written --------------------


def _refused(tmp_path: Path, capsys: pytest.CaptureFixture, python: str) -> str:
    out = tmp_path / "out"
    assert cli.main(["check", str(SUBMISSIONS / "course_layers.py"), "--python", python, "--out", str(out)]) == 2
    assert not out.exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"gradverify: error: --python {python}: "), err
    return err[0]


def test_a_missing_path_is_a_usage_error(tmp_path: Path, capsys) -> None:
    assert "no such file" in _refused(tmp_path, capsys, str(tmp_path / "nowhere" / "python"))


def test_a_folder_or_a_file_that_cannot_run_is_a_usage_error(tmp_path: Path, capsys) -> None:
    assert "a folder" in _refused(tmp_path, capsys, str(tmp_path))
    text = tmp_path / "python"
    text.write_text("not a program")
    assert "not executable" in _refused(tmp_path, capsys, str(text))


def test_a_program_that_is_not_python_is_a_usage_error(tmp_path: Path, capsys) -> None:
    assert "not a Python interpreter" in _refused(tmp_path, capsys, shutil.which("echo") or "/bin/echo")


def test_python_without_numpy_is_a_usage_error(bare: str, tmp_path: Path, capsys) -> None:
    message = _refused(tmp_path, capsys, bare)
    assert "cannot import numpy" in message and "No module named 'numpy'" in message


def _pythons() -> dict[str, str]:
    """Other interpreters of this machine, by ``major.minor`` (pyenv's, /usr/bin's)."""
    found = {}
    candidates = [*Path.home().glob(".pyenv/versions/*/bin/python"), *Path("/usr/bin").glob("python[23]*")]
    for path in candidates:
        if path.name.endswith("-config") or not os.access(path, os.X_OK):
            continue
        try:
            version = subprocess.run(
                [str(path), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
        if version:
            found.setdefault(version, str(path))
    return found


PYTHONS = _pythons()
OLD = sorted(
    (v for v in PYTHONS if v.startswith("3.") and int(v.split(".")[1]) < interpreter.MIN_VERSION[1]),
    key=lambda v: int(v.split(".")[1]),
)
PYTHON2 = [v for v in PYTHONS if v.startswith("2.")]


@pytest.mark.skipif(not OLD, reason="no Python 3 older than the worker needs on this machine")
def test_a_python_too_old_for_the_worker_is_a_usage_error(tmp_path: Path, capsys) -> None:
    message = _refused(tmp_path, capsys, PYTHONS[OLD[-1]])
    assert f"Python {OLD[-1]}." in message and "too old" in message and "3.10+" in message


@pytest.mark.skipif(not PYTHON2, reason="no Python 2 on this machine")
def test_python_2_is_a_usage_error(tmp_path: Path, capsys) -> None:
    assert "is not Python 3" in _refused(tmp_path, capsys, PYTHONS[PYTHON2[0]])


OLDEST = ".".join(map(str, interpreter.MIN_VERSION))


@pytest.mark.skipif(OLDEST not in PYTHONS, reason=f"no Python {OLDEST} on this machine")
def test_the_oldest_python_the_docs_promise_runs_the_worker(tmp_path_factory: pytest.TempPathFactory) -> None:
    python = make_venv(tmp_path_factory.mktemp("venv") / "oldest", "numpy<2", base=PYTHONS[OLDEST])
    frame = check(SUBMISSIONS / "real_code" / "fastpkg", cases=1, dtypes="float64", python=python)
    assert len(frame) and set(frame["status"]) == {"pass"}, statuses(frame)


def test_the_api_raises_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such file"):
        check(SUBMISSIONS / "course_layers.py", python=str(tmp_path / "python"))
