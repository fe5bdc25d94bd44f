"""Grading mode: the user's code may not import an autograd library.

A submission that imports torch, jax, tensorflow or autograd could hand back autograd's
gradients instead of its own. Two layers keep it honest:

- in the worker, ``ImportBlocker`` (first on ``sys.meta_path``, installed before the user's
  code is imported) refuses those imports and remembers each attempt; the worker never
  imports torch itself, so nothing is already in ``sys.modules`` for the user to pick up;
- in the parent, ``native_libraries`` reads the worker's ``/proc/PID/maps``, which the worker
  cannot forge: code that removed the blocker and imported torch, jax or tensorflow anyway
  still shows their shared libraries there. (``autograd`` is pure Python and leaves no such
  trace; only the blocker covers it.)
"""

from __future__ import annotations

import contextlib
import importlib.abc
import sys
from collections.abc import Iterator
from pathlib import Path

FORBIDDEN: tuple[str, ...] = ("torch", "jax", "jaxlib", "tensorflow", "autograd")
"""Top-level packages the user's code may not import in grading mode (with their submodules)."""

NATIVE_MARKERS: dict[str, tuple[str, ...]] = {
    "torch": ("/torch/lib/", "libtorch"),
    "jax": ("/jaxlib/",),
    "tensorflow": ("/tensorflow/", "libtensorflow"),
}
"""Substrings of mapped file paths that show a library was loaded."""


class ForbiddenImport(ModuleNotFoundError):
    """Raised in the worker for an import that grading mode refuses."""


class ImportBlocker(importlib.abc.MetaPathFinder):
    """A finder that refuses the forbidden packages and records every attempt."""

    def __init__(self) -> None:
        self.attempts: list[str] = []  # every refused import, in order

    def find_spec(self, fullname: str, path=None, target=None):  # noqa: ANN001 - the finder protocol
        root = fullname.partition(".")[0]
        if root in FORBIDDEN:
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


def install() -> ImportBlocker:
    """Put a blocker first on ``sys.meta_path`` (before any user code runs)."""
    for name in list(sys.modules):
        if name.partition(".")[0] in FORBIDDEN:  # never the case: the worker does not import them
            del sys.modules[name]
    blocker = ImportBlocker()
    sys.meta_path.insert(0, blocker)
    return blocker


def native_libraries(pid: int) -> list[str]:
    """The forbidden libraries whose shared objects are mapped into process ``pid``."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text(errors="replace")
    except OSError:  # not Linux, or the process is gone: nothing to see
        return []
    return [name for name, markers in NATIVE_MARKERS.items() if any(m in maps for m in markers)]
