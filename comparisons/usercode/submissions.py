"""Which submissions the paths a user gives name, before anything is imported.

A ``.py`` file, a package folder (with ``__init__.py``, or whose files import each other as
the package, as CS231n's ``cs231n/`` does when its ``__init__.py`` was not committed) and an
importable module name are one submission each; any other folder is a batch: every ``.py``
file and every subfolder in it is one submission (one per student). A file of a batch is
marked ``alone``: its worker may read only that file and has no folder on its import path, so
students never see, nor import, each other's files. Nothing is executed here: a module name
is only looked up by the worker that imports it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from gradverify.usercode.sandbox.loader import imports_itself
from gradverify.usercode.sandbox.pool import Submission

MODULE_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


class CheckError(ValueError):
    """Nothing could be checked: the message says why (``gradverify check`` exits 2)."""


class Unreadable(CheckError):
    """A path that does not exist or cannot be read, or a module that does not exist."""


def submissions(paths: Sequence[str | Path | ModuleType]) -> list[Submission]:
    """The submissions ``paths`` name. A ``.py`` file, a package folder (with ``__init__.py``)
    and a module name are one submission each; a folder without ``__init__.py`` is a batch:
    each ``.py`` file and each subfolder in it is one submission."""
    out: list[Submission] = []
    for p in paths:
        if isinstance(p, ModuleType):
            p = _module_path(p)
        text, path = str(p), Path(p)
        if path.is_file():
            out.append(_file(path, text))
        elif path.is_dir():
            if (path / "__init__.py").is_file() or (path.name.isidentifier() and imports_itself(path)):
                out.append(Submission(path.resolve().name, text, "folder"))
                continue
            entries = [
                e
                for e in sorted(path.iterdir())
                if not e.name.startswith((".", "_")) and (e.is_dir() or e.suffix == ".py") and not _not_a_submission(e)
            ]
            if not entries:
                raise Unreadable(f"{text}: the folder holds no .py file and no subfolder to check")
            out += [
                _file(e, str(e), alone=True) if e.is_file() else Submission(e.name, str(e), "folder") for e in entries
            ]
        elif MODULE_NAME.fullmatch(text) and not text.endswith(".py"):
            out.append(Submission(text, text, "module"))
        else:
            raise Unreadable(f"{text}: no such file, folder or module")
    names: dict[str, int] = {}
    for i, s in enumerate(out):  # two students named alike (alice.py, alice/) stay apart
        names[s.name] = names.get(s.name, 0) + 1
        if names[s.name] > 1:
            out[i] = Submission(f"{s.name}-{names[s.name]}", s.target, s.kind, s.alone)
    return out


REPORT_FILES = ("run.json", "results.csv", "results.csv.partial", "bench.json")
NOT_SUBMISSIONS = ("reports", "node_modules", "site-packages")


def _not_a_submission(entry: Path) -> bool:
    """Folders in a batch that are no student's work: gradverify's own report folders, virtual
    environments, caches and build output (hidden and ``_`` folders are skipped already)."""
    if not entry.is_dir():
        return False
    if entry.name in NOT_SUBMISSIONS or entry.name.endswith(".egg-info") or (entry / "pyvenv.cfg").exists():
        return True
    inside = [entry, *(c for c in entry.iterdir() if c.is_dir())] if os.access(entry, os.R_OK) else [entry]
    return any((folder / name).exists() for folder in inside for name in REPORT_FILES)


def _file(path: Path, text: str, alone: bool = False) -> Submission:
    if path.suffix != ".py":
        raise Unreadable(f"{text}: not a Python file (.py)")
    try:
        with path.open("rb"):
            pass
    except OSError as e:
        raise Unreadable(f"{text}: cannot be read ({e.strerror})") from None
    return Submission(path.stem, text, "file", alone)


def _module_path(module: ModuleType) -> str:
    file = getattr(module, "__file__", None)
    if not file:
        return module.__name__
    return str(Path(file).parent) if Path(file).name == "__init__.py" else file


def one_submission(target: str | Path | ModuleType) -> list[Submission]:
    """``[submission]`` for a target that names exactly one; ``CheckError`` for a batch."""
    found = submissions([target])
    if len(found) != 1:
        raise CheckError(f"{target} is a folder of {len(found)} submissions: use check_many")
    return found
