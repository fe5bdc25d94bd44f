"""Start-up: the command imports only what the chosen subcommand needs. --help, `list`, an
unknown command, bad flags and an unknown function to explain answer without importing torch
(specs name their references, imported at the first case); the sandbox worker imports numpy
and the user's code, never torch (tests/test_sandbox.py checks the worker itself)."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from gradverify.cli import main as cli
from gradverify.core.references import Reference, references
from gradverify.specs import registry


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
        (["list", "--course", "nope"], 2),
        (["check"], 2),
        (["check", "--cases", "0", "x.py"], 2),
        (["check", "--course", "nope", "x.py"], 2),
        (["check", "--workers", "0", "x.py"], 2),
        (["check", "/nonexistent/submission.py"], 2),
        (["explain"], 2),
        (["explain", "relu", "--budget", "0"], 2),
        (["explain", "no_such_function"], 2),
    ],
)
def test_help_and_usage_errors_do_not_import_torch(argv: list[str], code: int) -> None:
    got, modules, err = _imports(*argv)
    assert got == code, err
    assert "gradverify" in modules  # the probe works: it sees the package's own imports
    assert "torch" not in modules
    if code == 2:
        assert err.startswith("gradverify: error:")


def test_a_command_imports_torch_only_when_it_runs(tmp_path: Path) -> None:
    # the same command with valid flags does import it: the check above can fail
    code, modules, err = _imports(
        "run", "--ops", "relu", "--cases", "1", "--dtypes", "float64", "-q", "--out", str(tmp_path / "out")
    )
    assert code == 0, err
    assert "torch" in modules  # a case evaluated its torch reference


@pytest.mark.parametrize("course", [None, "mytorch", "cs231n"])
def test_list_answers_without_importing_torch(course: str | None) -> None:
    argv = ["list", *(["--course", course] if course else [])]
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gradverify", *argv], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "gradverify.specs.cs231n.layers" in imported  # the probe sees the registry load
    assert not {m for m in imported if m.split(".")[0] == "torch"}
    assert not {m for m in imported if m.startswith("gradverify.reference")}
    # unchanged: every op of the course (every course by default) and the table the registry describes
    specs = registry.course(course)
    table = pd.DataFrame(registry.describe(specs)).to_markdown(index=False, tablefmt="simple")
    assert proc.stdout.strip() == table.strip()
    ops = {line.split()[1] for line in proc.stdout.splitlines()[2:]}
    assert ops == {s.name for s in specs}


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


def test_a_named_reference_imports_its_module_at_the_first_call() -> None:
    missing = references("gradverify_no_such_module").affine  # naming imports nothing
    assert isinstance(missing, Reference)
    with pytest.raises(ModuleNotFoundError, match="gradverify_no_such_module"):
        missing(1)
    import gradverify.reference.cs231n.layers as direct

    named = references("gradverify.reference.cs231n.layers")
    assert named.affine.resolve() is direct.affine
    assert inspect.signature(named.affine) == inspect.signature(direct.affine)
    assert named.relu(direct.torch.tensor([-1.0, 2.0])).tolist() == [0.0, 2.0]
    with pytest.raises(AttributeError, match="'gradverify.reference.cs231n.layers' has no function 'afine'"):
        named.afine(1)


def test_warm_up_imports_torch_and_the_references_it_evaluates() -> None:
    # what batch mode does before forking a checker per submission, in a fresh process
    code = (
        "import dataclasses, sys\n"
        "from gradverify.core.reference_eval import warm_up\n"
        "from gradverify.specs import registry\n"
        "assert 'torch' not in sys.modules\n"
        "(affine,) = registry.select(['affine'])\n"
        "broken = dataclasses.replace(affine, reference=lambda s: 1 / 0)\n"
        "warm_up([broken, affine])  # a failing reference is left to its case\n"
        "print('torch' in sys.modules, 'gradverify.reference.cs231n.layers' in sys.modules,"
        " 'gradverify.reference.cs231n.conv_layers' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "True", "False"]


@pytest.mark.parametrize("command", ["run", "check"])
def test_torch_is_imported_before_the_first_case_runs(command: str, tmp_path: Path) -> None:
    # a Ctrl-C inside a half-finished `import torch` leaves a module that cannot be imported
    # again: it must come at start-up (exit 130), never mid-run, where the report needs torch
    target = tmp_path / "layers.py"
    target.write_text("import numpy as np\n\ndef relu_forward(x):\n    return np.maximum(x, 0), x\n")
    argv = {"run": ["run", "--ops", "relu"], "check": ["check", str(target)]}[command]
    argv += ["--cases", "1", "--dtypes", "float64", "-q", "--out", str(tmp_path / "out")]
    code = (
        "import sys\n"
        "from gradverify.cli import common, main\n"
        "collect = common.collect\n"
        "def watched(*a, **k):\n"
        "    print('torch loaded when the cases start:', 'torch' in sys.modules)\n"
        "    return collect(*a, **k)\n"
        "common.collect = watched\n"
        f"sys.exit(main.main({argv!r}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "torch loaded when the cases start: True" in proc.stdout
