"""Imports the user's code may not make: gradverify's own solutions, always, and in grading
mode an autograd library.

A submission that imports ``gradverify.impl`` could re-export the course's correct solutions;
in grading mode, one that imports torch, jax, tensorflow or autograd could hand back autograd's
gradients instead of its own. Several layers keep it honest:

- in the worker, ``ImportBlocker`` (first on ``sys.meta_path``, installed before the user's
  code is imported) refuses those imports and remembers each attempt; the worker never
  imports torch itself, so nothing is already in ``sys.modules`` for the user to pick up;
- below it, the isolation layers (``confine``): the solutions' folders are unreadable
  (Landlock) or empty (bubblewrap), and no process can be started (seccomp), so removing
  the blocker does not help, nor does running torch in a child process;
- in the parent, ``native_libraries`` reads the maps of the worker's processes
  (``/proc/PID/maps``), which the worker cannot forge: code that removed the blocker and
  imported torch, jax or tensorflow anyway still shows their shared libraries there.
  (``autograd`` is pure Python and leaves no such trace; only the blocker covers it.)
"""

from __future__ import annotations

import contextlib
import importlib.abc
import sys
from collections.abc import Iterator
from pathlib import Path

FORBIDDEN: tuple[str, ...] = ("torch", "jax", "jaxlib", "tensorflow", "autograd")
"""Top-level packages the user's code may not import in grading mode (with their submodules)."""

OWN_SOLUTIONS: tuple[str, ...] = ("gradverify.impl", "gradverify.reference")
"""gradverify's correct solutions and references: never importable by the user's code."""

NATIVE_MARKERS: dict[str, tuple[str, ...]] = {
    "torch": ("/torch/lib/", "libtorch"),
    "jax": ("/jaxlib/",),
    "tensorflow": ("/tensorflow/", "libtensorflow"),
}
"""Substrings of mapped file paths that show a library was loaded."""


class ForbiddenImport(ModuleNotFoundError):
    """Raised in the worker for an import that grading mode refuses."""


def own_solution(fullname: str) -> bool:
    """Whether ``fullname`` is (inside) one of gradverify's solution packages."""
    return any(fullname == p or fullname.startswith(p + ".") for p in OWN_SOLUTIONS)


class ImportBlocker(importlib.abc.MetaPathFinder):
    """A finder that refuses gradverify's solutions (and with ``autograd`` the autograd
    libraries) and records every attempt."""

    def __init__(self, autograd: bool = True) -> None:
        self.autograd = autograd
        self.attempts: list[str] = []  # every refused import, in order

    def find_spec(self, fullname: str, path=None, target=None):  # noqa: ANN001 - the finder protocol
        if own_solution(fullname):
            self.attempts.append(fullname)
            raise ForbiddenImport(f"importing gradverify's own solutions ({fullname}) is not allowed", name=fullname)
        if self.autograd and fullname.partition(".")[0] in FORBIDDEN:
            self.attempts.append(fullname)
            raise ForbiddenImport(f"grading mode: importing {fullname} is not allowed", name=fullname)
        return None


class _NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path=None, target=None):  # noqa: ANN001 - the finder protocol
        if fullname.partition(".")[0] in FORBIDDEN:
            raise ImportError(f"the sandbox worker does not import {fullname}", name=fullname)
        return None


@contextlib.contextmanager
def no_torch() -> Iterator[None]:
    """While gradverify's own modules are imported in the worker: refuse the forbidden
    packages without counting it against the user (those modules must not need them)."""
    finder = _NoTorch()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


def install(autograd: bool = True) -> ImportBlocker:
    """Put a blocker first on ``sys.meta_path`` (before any user code runs)."""
    for name in list(sys.modules):
        if name.partition(".")[0] in FORBIDDEN or own_solution(name):  # never the case: not imported
            del sys.modules[name]
    blocker = ImportBlocker(autograd)
    sys.meta_path.insert(0, blocker)
    return blocker


def why(modules: str) -> str:
    """Why importing ``modules`` (a comma-separated list of attempts) was refused."""
    if any(own_solution(m.strip()) for m in modules.split(",")):
        return "gradverify's own solutions are never importable by checked code"
    return "grading mode forbids autograd libraries"


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (e.g. the worker inside bwrap), from ``/proc``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])  # after "pid (comm) state"
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo += children.get(p, [])
    return tree


def native_libraries(pids: list[int]) -> list[str]:
    """The forbidden libraries whose shared objects are mapped into any of ``pids``."""
    maps = ""
    for pid in pids:
        try:
            maps += Path(f"/proc/{pid}/maps").read_text(errors="replace")
        except OSError:  # not Linux, or the process is gone: nothing to see
            continue
    return [name for name, markers in NATIVE_MARKERS.items() if any(m in maps for m in markers)]
