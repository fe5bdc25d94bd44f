"""Start-up: the command imports only what the chosen subcommand needs. --help, an unknown
command and bad flags answer without importing torch; the sandbox worker imports numpy and
the user's code, never torch (tests/test_sandbox.py checks the worker itself)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gradverify.cli import main as cli


def _imports(*argv: str) -> tuple[int, set[str], str]:
    """Exit code, top-level modules imported, and stderr of ``gradverify ARGV`` in a fresh process."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gradverify", *argv], capture_output=True, text=True, timeout=120
    )
    modules = set()
    other = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:"):
            name = line.rsplit("|", 1)[-1].strip()
            modules.add(name.split(".")[0])
        else:
            other.append(line)
    return proc.returncode, modules, "\n".join(other)


@pytest.mark.parametrize(
    "argv, code",
    [
        (["--help"], 0),
        (["run", "--help"], 0),
        (["nope"], 2),
        (["run", "--cases", "0"], 2),
        (["run", "--dtypes", "float16"], 2),
        (["run", "--replay", "nope"], 2),
        (["bench", "--only", "nope"], 2),
    ],
)
def test_help_and_usage_errors_do_not_import_torch(argv: list[str], code: int) -> None:
    got, modules, err = _imports(*argv)
    assert got == code, err
    assert "gradverify" in modules  # the probe works: it sees the package's own imports
    assert "torch" not in modules
    if code == 2:
        assert err.startswith("gradverify: error:")


def test_a_command_imports_torch_only_when_it_runs() -> None:
    # the same command with valid flags does import it: the check above can fail
    code, modules, _ = _imports(
        "run", "--ops", "relu", "--cases", "1", "--dtypes", "float64", "-q", "--out", "/dev/null/x"
    )
    assert code == 2 and "torch" in modules  # the registry was consulted before --out failed


def test_the_help_table_names_every_command_as_its_module_does() -> None:
    full = cli.build_parser()  # every subcommand declared by its own module
    (actions,) = [a for a in full._actions if a.dest == "command"]
    declared = {a.dest: a.help for a in actions._choices_actions}
    assert declared == {name: help_text for name, (_, help_text) in cli.COMMANDS.items()}


def test_only_the_chosen_command_is_declared_in_full() -> None:
    parser = cli.build_parser(["run", "--cases", "1"])
    (actions,) = [a for a in parser._actions if a.dest == "command"]
    run, report = actions.choices["run"], actions.choices["report"]
    assert any(a.dest == "cases" for a in run._actions)
    assert not report._actions  # declared by name only: its module was not needed
