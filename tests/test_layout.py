"""The package's shape: one installed name, layers that import one way, no cycles, a facade
whose ``__all__`` is the public API, and a wheel that holds exactly the package."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from import_graph import ROOT, cycles, graph, imports, modules

import gradverify

# a module may import its own layer and the layers listed before it
LAYERS = [
    "impl",
    "reference",
    "core",
    "specs",
    "run",
    "ownops",
    "report",
    "usercode",
    "explanation",
    "bench",
    "cli",
    "facade",
]
SAME_RANK = {"bench": "explanation", "pytest_plugin": "cli"}


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return "facade"
    return parts[1]


def rank(module: str) -> int:
    name = layer(module)
    return LAYERS.index(SAME_RANK.get(name, name))


def test_the_import_graph_has_no_cycle() -> None:
    assert cycles(graph()) == []


def test_imports_flow_down_the_layers() -> None:
    upward = [
        (a, b)
        for a, targets in graph().items()
        for b in targets
        if not b.startswith(a + ".") and layer(a) != layer(b) and rank(b) >= rank(a)
    ]
    assert upward == []


def test_a_cycle_and_an_upward_import_are_seen() -> None:
    """The two checks above can fail."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert rank("gradverify.core.engine") < rank("gradverify.run.sweep") < rank("gradverify.cli.run")


@pytest.mark.parametrize("tree, allowed", [("impl", "numpy"), ("reference", "torch")])
def test_impl_imports_only_numpy_and_reference_only_torch(tree: str, allowed: str) -> None:
    stdlib = set(sys.stdlib_module_names)
    for name, path in modules().items():
        if not name.startswith(f"gradverify.{tree}"):
            continue
        outside = {
            m.split(".")[0]
            for m in imports(name, path)
            if not m.startswith(f"gradverify.{tree}") and m.split(".")[0] not in stdlib
        }
        assert outside <= {allowed}, (name, outside)


COURSE_INPUTS = {"X", "W", "y", "reg", "delta", "dout", "bn_param", "conv_param", "W1", "dW"}


def test_the_engine_names_no_course_input() -> None:
    """Only specs/, impl/ and reference/ know what the course calls its inputs; the engine is
    told by each spec (``Roles``, ``ModelLoss.data``). The benchmarks time concrete CS231n
    layers and are exempt."""
    found = []
    for name, path in modules().items():
        if layer(name) in ("specs", "impl", "reference", "bench"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in COURSE_INPUTS:
                found.append((name, node.lineno, node.value))
    assert found == []


def test_the_public_api_is_all_and_loads_lazily() -> None:
    for name in gradverify.__all__:
        assert getattr(gradverify, name) is not None, name
    assert sorted(gradverify.__all__, key=str.lower) == gradverify.__all__
    code = "import sys, gradverify; assert 'torch' not in sys.modules; gradverify.Status; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert out.stdout.strip() == "ok", out.stderr


def test_every_package_folder_is_listed_for_setuptools() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {name for name, path in modules().items() if path.name == "__init__.py"}
    assert listed == found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("gradverify-*.whl")
    return built


def test_the_wheel_holds_one_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"gradverify"}
    expected = {
        f"gradverify/{p.relative_to(tree).as_posix()}" for tree in (ROOT / "comparisons",) for p in tree.rglob("*.py")
    }
    expected |= {
        f"gradverify/{t}/{p.relative_to(ROOT / t).as_posix()}"
        for t in ("impl", "reference")
        for p in (ROOT / t).rglob("*.py")
    }
    assert expected <= set(names)


def test_the_installed_wheel_imports_from_anywhere_and_nothing_else_does(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    code = (
        "import importlib.util as u, gradverify, gradverify.impl.cs231n.layers\n"
        f"assert gradverify.__file__.startswith({str(target)!r}), gradverify.__file__\n"
        "print(*[n for n in ('impl', 'reference', 'comparisons') if u.find_spec(n) is not None])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=scratch, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""  # impl, reference and comparisons are not importable


def test_python_dash_m_gradverify_is_the_command() -> None:
    out = subprocess.run([sys.executable, "-m", "gradverify", "--help"], capture_output=True, text=True, cwd="/")
    assert out.returncode == 0 and "usage: gradverify" in out.stdout


def test_the_layout_page_lists_every_module_and_no_other() -> None:
    """docs/layout.md names each module under its folder; a module added, moved or removed
    without the page being updated fails here."""
    listed, folder = set(), None
    for line in (ROOT / "docs" / "layout.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("### `"):
            folder = line.split("`")[1].rstrip("/")
        elif line.startswith("| `") and folder is not None:
            listed.add(f"{folder}/{line.split('`')[1]}")
    tree = {
        p.relative_to(ROOT).as_posix() for t in ("comparisons", "impl", "reference") for p in (ROOT / t).rglob("*.py")
    }
    assert sorted(tree - listed) == [] and sorted(listed - tree) == []


def test_the_course_choices_of_the_command_line_are_the_registry_s() -> None:
    from gradverify.cli import common
    from gradverify.specs import registry

    assert common.COURSES == (*registry.COURSES, registry.ALL)
