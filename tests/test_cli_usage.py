"""Errors that help: bad usage is found before any work, says what to do, and leaves nothing behind."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import pytest

from gradverify.cli import main as cli

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def gradverify(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gradverify", *args], capture_output=True, text=True, cwd=cwd)


def one_error_line(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"gradverify {metadata.version('gradverify')}"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["chek", "x.py"], "unknown command 'chek' (did you mean 'check'?)"),
        ([], "give a command: check, run"),
        (["check"], "PATH (the file or folder to check, e.g. `gradverify check layers.py`"),
        (["run", "--ops", "sofmax"], "unknown op 'sofmax' (did you mean 'softmax'?)"),
        (["run", "--ops", "afine_backward"], "(did you mean 'affine_backward'?)"),
        (["explain", "relu_backwrd"], "(did you mean 'relu_backward'?)"),
        (["run", "--ops", ""], "--ops: expected comma-separated names, got ''"),
        (["run", "--ops", " , "], "--ops: expected comma-separated names"),
        (["check", str(EXAMPLES / "layers.py"), "--memory-mb", "10"], "--memory-mb: must be at least 256"),
        (["run", "--keep", "0"], "--keep: must be at least 1"),
    ],
)
def test_bad_usage_is_one_line_with_a_suggestion(args: list[str], words: str, capsys) -> None:
    assert cli.main(args) == 2
    assert words in one_error_line(capsys)


def test_close_but_wrong_names_get_no_false_suggestion(capsys) -> None:
    assert cli.main(["run", "--ops", "zzzzzz"]) == 2
    assert "did you mean" not in one_error_line(capsys)


def test_dtypes_and_dtype_are_the_same_flag_everywhere(tmp_path: Path, capsys) -> None:
    for command in (["run", "--ops", "relu", "--cases", "1"], ["check", str(EXAMPLES / "layers.py"), "--ops", "relu"]):
        for flag in ("--dtypes", "--dtype"):
            out = tmp_path / f"{command[0]}{flag}"
            assert cli.main([*command, flag, "float32", "--out", str(out), "-q"]) == 0
            assert (
                set((out / "results.csv").read_text().splitlines()[1:])
                and "float64" not in (out / "results.csv").read_text()
            )
    for flag in ("--dtypes", "--dtype"):
        assert cli.main(["explain", "relu", flag, "float32", "--budget", "2"]) == 0
        assert "in float32" in capsys.readouterr().out


def _everything(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*")}


@pytest.mark.parametrize(
    ("command", "flag", "where"),
    [
        (["run", "--ops", "relu"], "--json", "a folder"),
        (["run", "--ops", "relu"], "--junit", "under a file"),
        (["check", str(EXAMPLES / "layers.py")], "--json", "under a file"),
        (["check", str(EXAMPLES / "layers.py")], "--junit", "a folder"),
        (["explain", "relu"], "--json", "a folder"),
        (["explain", "relu"], "--plot", "under a file"),
        (["bench", "--quick", "--only", "losses"], "--json", "a folder"),
    ],
)
def test_an_output_that_cannot_be_written_stops_before_any_work_and_leaves_nothing(
    command: list[str], flag: str, where: str, tmp_path: Path
) -> None:
    (tmp_path / "a folder").mkdir()
    (tmp_path / "a file").write_text("in the way")
    target = tmp_path / "a folder" if where == "a folder" else tmp_path / "a file" / "out.json"
    before = _everything(tmp_path)
    started = time.monotonic()
    proc = gradverify(*command, flag, str(target), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert flag in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert ("is a folder" if where == "a folder" else "is a file, not a folder") in proc.stderr
    assert _everything(tmp_path) == before  # no report folder, no partial file
    assert time.monotonic() - started < 20  # refused at once, not after a sweep


def test_report_out_naming_a_folder_is_refused_before_reading(tmp_path: Path, capsys) -> None:
    run = tmp_path / "run"
    assert cli.main(["run", "--ops", "relu", "--cases", "1", "--out", str(run), "-q"]) == 0
    capsys.readouterr()
    assert cli.main(["report", "--compare", str(run), str(run), "--out", str(tmp_path)]) == 2
    assert "--out" in one_error_line(capsys) and not (tmp_path / "compare.html").exists()


def test_json_in_a_missing_folder_is_created_when_written(tmp_path: Path) -> None:
    target = tmp_path / "new" / "deeper" / "r.json"
    assert cli.main(["run", "--ops", "relu", "--cases", "1", "--json", str(target), "--no-report", "-q"]) == 0
    assert target.is_file()


def test_ctrl_c_during_start_up_exits_130_without_a_traceback(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gradverify", "run", "--no-report"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    time.sleep(0.4)  # numpy, pandas and torch are still being imported
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and err.strip().splitlines()[-1] == "gradverify: interrupted"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("through_entry", [True, False])
def test_an_interrupt_handled_after_it_surfaced_inside_exec_still_exits_130(
    tmp_path: Path, through_entry: bool
) -> None:
    # a Ctrl-C during start-up often surfaces inside exec() of a dataclass's generated code;
    # CPython then ends a ``python -m`` process by SIGINT although main() handled it
    (tmp_path / "interrupted_cli.py").write_text(
        "import gradverify.cli.main as cli\n"
        "def handled():\n"
        "    try:\n"
        "        exec('raise KeyboardInterrupt')\n"
        "    except KeyboardInterrupt:\n"
        "        return 130\n"
        "cli.main = handled\n" + ("cli.entry()\n" if through_entry else "raise SystemExit(cli.main())\n")
    )
    done = subprocess.run([sys.executable, "-m", "interrupted_cli"], cwd=tmp_path, capture_output=True, timeout=60)
    assert done.returncode == (130 if through_entry else -signal.SIGINT)  # the second: the quirk itself
