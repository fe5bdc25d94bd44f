"""`pip install gradverify` without extras is enough for check, run and explain: test-only and
distributed dependencies stay in extras, and nothing at run time imports them."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXTRAS_ONLY = ("pytest", "hypothesis", "dask", "distributed", "ruff")

# refuse the extras' modules, as in an environment where they were never installed
BLOCK = """
import sys
class _NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, _NotInstalled())
from gradverify.cli.main import main
raise SystemExit(main(sys.argv[1:]))
"""


def test_extras_hold_the_test_only_and_distributed_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    required = " ".join(project["dependencies"])
    assert "rich" in required
    for name in EXTRAS_ONLY:
        assert name not in required, name
    assert any("dask" in d for d in project["optional-dependencies"]["distributed"])


def test_check_run_and_explain_work_without_the_extras(tmp_path: Path) -> None:
    script = tmp_path / "no_extras.py"
    script.write_text(BLOCK.format(blocked=set(EXTRAS_ONLY)))
    examples = ROOT / "examples"
    for args, expected in (
        (["check", str(examples / "layers.py"), "--cases", "1"], 0),
        (["check", str(examples / "layers_buggy.py"), "--cases", "1", "--workers", "2"], 1),
        (["run", "--ops", "relu,softmax", "--cases", "1", "--workers", "2"], 0),
        (["explain", "relu", "--budget", "2"], 0),
    ):
        proc = subprocess.run(
            [sys.executable, str(script), *args, "--no-report", "-q"]
            if args[0] != "explain"
            else [sys.executable, str(script), *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert proc.returncode == expected, (args, proc.stdout[-1500:], proc.stderr[-1500:])
        assert "Traceback" not in proc.stderr


def test_ci_script_says_what_it_installs_and_why() -> None:
    text = (ROOT / ".ci" / "run").read_text()
    assert "installing chromium" in text and "for the browser tests" in text
    assert "pip install -e .[test]" in text
