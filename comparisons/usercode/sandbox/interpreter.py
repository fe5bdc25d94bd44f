"""Parent side: the Python a worker runs in, gradverify's own or another (``--python PATH``).

A course environment pins its own NumPy (1.x for most CS231n editions): code that uses
``np.int`` or ``reshape(newshape=)`` is right there and fails under NumPy 2. ``--python PATH``
runs the checked code in that interpreter; only the worker runs there, every verdict is still
computed here, with this process's NumPy and torch.

The other interpreter needs only NumPy: gradverify is not installed there. Each worker gets
a *source tree* in its scratch folder: a ``gradverify`` folder of links to the engine's
subpackages, without ``impl`` and ``reference`` (so the course's solutions are not even named
on its path), plus the pure-Python seccomp bindings this process uses (``pyseccomp``), so
the seccomp layer works there too. The worker is started with ``-I`` (isolated mode: no
``PYTHON*`` variables, no user site-packages, neither the current folder nor a script's
folder on the path) and ``-B`` (no bytecode files), and the tree put first on its path.
The wire format (JSON plus raw bytes with explicit dtype and shape, see ``protocol``) is the
same for NumPy 1.x and 2.x: nothing is pickled.

``inspect(PATH)`` starts PATH once to learn its version, its NumPy and its installation
folders (which the worker may read), and imports the worker's modules there, so a PATH that is
missing, not executable, not Python 3, too old, or without NumPy is refused with one clear
sentence before anything runs.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gradverify.usercode.sandbox import isolation

MIN_VERSION = (3, 10)
"""The oldest Python the worker's modules run in (``zip(strict=)``, ``X | Y`` at runtime)."""

WORKER = "gradverify.usercode.sandbox.worker"
SOLUTIONS = frozenset({"impl", "reference"})
"""Subpackages of gradverify that hold correct answers: never linked into a source tree."""

PROBE_TIMEOUT_S = 60.0

# runs MODULE as __main__ with the source tree SRC first on the path: ``-c RUN SRC MODULE ARGS``
RUN = (
    "import sys, runpy; src, module = sys.argv[1], sys.argv[2]; "
    "sys.path[:] = [src] + [p for p in sys.path if p not in ('', '.')]; "
    "sys.argv = [module] + sys.argv[3:]; runpy.run_module(module, run_name='__main__', alter_sys=True)"
)

# what the other interpreter says about itself; Python 2 syntax too, so that it can say it is 2
PROBE = r"""
import sys, json
out = {"version": ".".join(str(v) for v in sys.version_info[:3])}
prefixes = [sys.prefix, sys.exec_prefix, getattr(sys, "base_prefix", sys.prefix),
            getattr(sys, "base_exec_prefix", sys.exec_prefix)]
out["prefixes"] = sorted(set(prefixes))
if tuple(sys.version_info[:2]) >= tuple(int(p) for p in sys.argv[2].split(".")):
    try:
        import numpy
        out["numpy"] = str(numpy.__version__)
        out["numpy_paths"] = [str(p) for p in numpy.__path__]
    except Exception as e:
        out["numpy_error"] = "%s: %s" % (type(e).__name__, e)
    if "numpy" in out:
        sys.path[:] = [sys.argv[1]] + [p for p in sys.path if p not in ("", ".")]
        try:
            import gradverify.usercode.sandbox.worker, gradverify.core.course_adapters
        except BaseException as e:
            out["worker_error"] = "%s: %s" % (type(e).__name__, e)
sys.stdout.write("\n" + json.dumps(out) + "\n")
"""


class InterpreterError(ValueError):
    """A ``--python`` PATH that cannot run the worker; the message says why."""


@dataclass(frozen=True)
class Interpreter:
    """The Python a worker runs in. ``executable`` is kept as given (a venv's ``bin/python``
    is a link whose target would lose the venv); ``read_paths`` are the folders the worker may
    read there (installation, NumPy); ``own``: gradverify's own interpreter."""

    executable: str
    version: str
    numpy: str
    read_paths: tuple[str, ...]
    own: bool

    def command(self, module: str, source: str | None) -> list[str]:
        """The argv that runs ``module`` as a program here; ``source``: the source tree (a
        folder made by ``source_tree``), needed unless ``own``."""
        if self.own:
            # -P: the current folder (perhaps a batch of students' files) is not put on its path
            return [self.executable, "-P", "-m", module]
        if source is None:
            raise ValueError("another interpreter needs a source tree")
        return [self.executable, "-I", "-B", "-c", RUN, source, module]

    def describe(self) -> str:
        """``Python 3.11.7 with numpy 1.26.4 (PATH)``: what the checked code ran in."""
        return f"Python {self.version} with numpy {self.numpy} ({self.executable})"

    def layers(self) -> dict[str, bool | str]:
        """Which isolation layers a worker gets in this interpreter (probed there once)."""
        if self.own:
            return isolation.available_layers()
        return dict(_foreign_layers(self.executable))


def own() -> Interpreter:
    """gradverify's own interpreter (the default)."""
    import numpy

    return Interpreter(sys.executable, _version(), numpy.__version__, tuple(isolation.default_read_paths()), own=True)


def resolve(python: str | None) -> Interpreter:
    """``own()`` for ``None``, else ``inspect(python)``."""
    return own() if python is None else inspect(python)


def _version() -> str:
    return ".".join(map(str, sys.version_info[:3]))


@functools.cache
def inspect(python: str) -> Interpreter:
    """The interpreter at ``python`` (a path, or a command name looked up on ``PATH``), after
    checking that it can run the worker; ``InterpreterError`` saying why not."""
    found = python if os.sep in python else shutil.which(python)
    if found is None or not os.path.exists(found):
        raise InterpreterError(f"--python {python}: no such file")
    path = os.path.abspath(found)
    if os.path.isdir(path) or not os.access(path, os.X_OK):
        what = "a folder" if os.path.isdir(path) else "not executable"
        raise InterpreterError(f"--python {python}: {what} (expected a Python interpreter, e.g. ENV/bin/python)")
    minimum = ".".join(map(str, MIN_VERSION))
    with tempfile.TemporaryDirectory(prefix="gradverify-probe-") as folder:
        tree = source_tree(folder)
        try:
            proc = subprocess.run(
                [path, "-E", "-s", "-B", "-c", PROBE, tree, minimum],  # not -I: Python 2 lacks it
                capture_output=True,
                text=True,
                timeout=PROBE_TIMEOUT_S,
                stdin=subprocess.DEVNULL,
                cwd="/",
                env=_probe_env(),
            )
            said = json.loads(proc.stdout.strip().splitlines()[-1])
            if not isinstance(said, dict) or not isinstance(said.get("version"), str):
                raise ValueError
        except (OSError, subprocess.SubprocessError, ValueError, IndexError) as e:
            why = f"{type(e).__name__}" if not isinstance(e, ValueError | IndexError) else "it did not answer"
            raise InterpreterError(f"--python {python}: not a Python interpreter ({why})") from None
    version = said["version"]
    if not version.startswith("3."):
        raise InterpreterError(f"--python {python}: Python {version} is not Python 3 (the worker needs {minimum}+)")
    if tuple(int(p) for p in version.split(".")[:2]) < MIN_VERSION:
        raise InterpreterError(f"--python {python}: Python {version} is too old (the worker needs Python {minimum}+)")
    if "numpy" not in said:
        why = str(said.get("numpy_error", "no numpy"))[:200]
        raise InterpreterError(f"--python {python}: Python {version} cannot import numpy ({why}); install it there")
    if "worker_error" in said:
        raise InterpreterError(
            f"--python {python}: gradverify's worker cannot run in Python {version} with numpy {said['numpy']} "
            f"({str(said['worker_error'])[:300]})"
        )
    folders = [str(p) for p in said.get("prefixes", [])]
    for p in said.get("numpy_paths", []):
        folders += [str(p), str(p).rstrip("/") + ".libs"]  # auditwheel-vendored .so files
    read = sorted({p for p in (*folders, *isolation.SYSTEM_READ_PATHS) if os.path.exists(p)})
    return Interpreter(path, version, str(said["numpy"]), tuple(read), own=False)


def _probe_env() -> dict[str, str]:
    """The probe's environment: none of the caller's variables but the few a Python needs."""
    return {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TZ") or k.startswith("LC_")}


def engine_folder() -> Path:
    """The folder of the ``gradverify`` package (``usercode/sandbox/`` is two levels down)."""
    return Path(os.path.realpath(__file__)).parents[2]


def seccomp_bindings() -> str | None:
    """The file of the pure-Python seccomp bindings this process has, if any."""
    spec = importlib.util.find_spec("pyseccomp")
    return os.path.realpath(spec.origin) if spec is not None and spec.origin else None


def source_tree(folder: str) -> str:
    """Make ``folder/src``, where ``import gradverify`` finds the engine without its solutions
    (links to every entry of the package but ``impl`` and ``reference``); returns its path."""
    src = Path(folder, "src")
    package = src / "gradverify"
    package.mkdir(parents=True)
    for entry in sorted(engine_folder().iterdir()):
        if entry.name in SOLUTIONS or entry.name == "__pycache__" or entry.name.startswith("."):
            continue
        (package / entry.name).symlink_to(entry)
    bindings = seccomp_bindings()
    if bindings is not None:
        (src / "pyseccomp.py").symlink_to(bindings)
    return str(src)


def tree_read_paths() -> list[str]:
    """What a worker of another interpreter reads through its source tree's links."""
    bindings = seccomp_bindings()
    return [str(engine_folder())] + ([bindings] if bindings else [])


@functools.cache
def _foreign_layers(python: str) -> tuple[tuple[str, bool | str], ...]:
    with tempfile.TemporaryDirectory(prefix="gradverify-probe-") as folder:
        launch = (python, "-I", "-B", "-c", RUN, source_tree(folder))
        return tuple(isolation.available_layers(launch).items())
