"""Where a run's files go, checked before any work starts.

Every output path a user names (``--out``, ``--json``, ``--junit``, ``--plot``) is checked
without creating anything: a file path that names a folder, sits under a file, or lies in a
folder that cannot be written is a usage error (exit 2), and the disk is left as it was.
Report folders go under ``reports/`` at the project root (the nearest folder up from here with
pyproject.toml or .git, else the current folder); only the ``--keep`` newest are kept.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
from pathlib import Path

from gradverify.cli.errors import UsageError

REPORTS = "reports"
DEFAULT_KEEP = 20
# what gradverify writes into a report folder: a folder without any of them is never pruned
MARKERS = ("run.json", "results.csv", "results.csv.partial", "bench.json")
RUN_FOLDER = re.compile(r"(run|check|bench)-\d{8}-\d{6}(-\d+)?")


def project_root(start: Path | None = None) -> Path:
    """The nearest folder from ``start`` (the current folder) up that holds pyproject.toml or
    .git; ``start`` itself when there is none."""
    here = (start or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() or (folder / ".git").exists():
            return folder
    return here


def reports_root(start: Path | None = None) -> Path:
    return project_root(start) / REPORTS


def new_report_dir(prefix: str, start: Path | None = None) -> Path:
    """``reports/<prefix>-<UTC time>`` at the project root, ``-2``, ``-3``... when taken."""
    path = reports_root(start) / f"{prefix}-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}"
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _writable_folder(folder: Path, flag: str, shown: Path) -> None:
    """``folder`` exists: it must be a folder a file can be created in (probed, then removed)."""
    if not folder.is_dir():
        raise UsageError(f"{flag} {str(shown)!r}: {str(folder)!r} is a file, not a folder")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise UsageError(f"{flag} {str(shown)!r}: cannot write in {str(folder)!r} ({e.strerror or e})") from None


def check_file(path: Path, flag: str) -> None:
    """``path`` can be written as a file, or ``UsageError``; creates nothing."""
    if path.is_dir():
        raise UsageError(f"{flag} {str(path)!r} is a folder; give a file name, e.g. {str(path / 'out')!r}")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise UsageError(f"{flag} {str(path)!r} is not writable")
        return
    _writable_folder(_nearest_existing(path.parent), flag, path)


def check_folder(path: Path, flag: str) -> None:
    """``path`` is or can become a writable folder, or ``UsageError``; creates nothing."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{flag} {str(path)!r} is a file, not a folder")
    _writable_folder(_nearest_existing(path), flag, path)


def shown(path: Path) -> str:
    """``path`` relative to the current folder when it lies below it (shorter to read), else whole."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def make_parent(path: Path) -> Path:
    """Create ``path``'s folder (already checked by ``check_file``) when the file is written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def prune(root: Path, keep: int, spare: Path | None = None) -> list[Path]:
    """Delete all but the ``keep`` newest report folders gradverify made under ``root`` (named
    ``run-``/``check-``/``bench-<time>`` and holding its files); never ``spare``. Returns them."""
    if not root.is_dir():
        return []
    ours = sorted(
        (p for p in root.iterdir() if p.is_dir() and RUN_FOLDER.fullmatch(p.name) and _made_by_us(p)),
        key=lambda p: (p.stat().st_mtime, p.name),
    )
    doomed = [p for p in ours[: max(0, len(ours) - keep)] if spare is None or p.resolve() != spare.resolve()]
    for p in doomed:
        shutil.rmtree(p, ignore_errors=True)
    return doomed


def _made_by_us(folder: Path) -> bool:
    return any((folder / m).exists() for m in MARKERS)
