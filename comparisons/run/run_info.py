"""A run's identity: when and how it ran and on what software, saved as ``run.json`` beside
``results.csv`` so that ``gradverify report RUN_DIR`` can re-render a report later; and the
lock that makes a report folder one run's at a time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import platform
import re
import sys
from pathlib import Path
from typing import Any

RUN_FILE = "run.json"
LOCK_FILE = ".gradverify.lock"


def now_utc() -> str:
    """The current time, ISO 8601 in UTC to the second."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def environment() -> dict[str, str]:
    """Versions that can change a gradient's last digits: Python, NumPy, torch, pandas, BLAS."""
    import numpy as np
    import pandas as pd
    import torch

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "pandas": pd.__version__,
        "numpy BLAS": _numpy_blas(),
        "torch BLAS": _torch_blas(torch),
        "platform": f"{platform.system()} {platform.machine()}",
    }


def _numpy_blas() -> str:
    """What NumPy runs on: threadpoolctl's runtime view when installed, else NumPy's build info."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        if pools:
            return ", ".join(
                f"{p['internal_api']} {p.get('version') or ''} ({p['num_threads']} threads)" for p in pools
            )
    try:
        import numpy as np

        blas = (np.show_config(mode="dicts") or {}).get("Build Dependencies", {}).get("blas", {})
        return f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
    except Exception:  # noqa: BLE001 - old NumPy without mode="dicts": the report just says unknown
        return "unknown"


def _torch_blas(torch: Any) -> str:
    try:
        match = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
    except Exception:  # noqa: BLE001 - a build without config info
        match = None
    return match.group(1) if match else "unknown"


def dumps(meta: dict[str, Any]) -> str:
    """The text of ``run.json`` (the caller writes it atomically with the other files)."""
    return json.dumps(meta, indent=1, default=str) + "\n"


def load(run_dir: Path) -> dict[str, Any]:
    """The saved identity of a run; an older folder without ``run.json`` gets an empty one."""
    path = run_dir / RUN_FILE
    if not path.is_file():
        return {}
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        print(f"gradverify: warning: {path} is unreadable ({e}); rendering without it", file=sys.stderr)
        return {}
    return meta if isinstance(meta, dict) else {}


class FolderInUse(Exception):
    """Another live process holds the report folder."""

    def __init__(self, holder: str) -> None:
        super().__init__(f"in use by pid {holder}")
        self.holder = holder


_LOCKS: dict[Path, int] = {}


def lock(folder: Path) -> None:
    """Hold ``folder/.gradverify.lock`` (flock) until ``release_locks`` or exit, so two runs
    never write one report folder; ``FolderInUse`` when a live process holds it. The kernel
    drops a dead process's flock, so a crashed run leaves no stale lock (only an empty file)."""
    key = folder.resolve()
    if key in _LOCKS:
        return
    path = key / LOCK_FILE
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise FolderInUse(holder) from None
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:  # not a file its last holder unlinked while we were opening it
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    _LOCKS[key] = fd


def release_locks() -> None:
    """Release every folder this process holds, removing the lock files (while still holding
    them: whoever opened one meanwhile sees it is gone and opens a new one)."""
    while _LOCKS:
        key, fd = _LOCKS.popitem()
        with contextlib.suppress(OSError):
            os.unlink(key / LOCK_FILE)
        os.close(fd)


def forget_locks() -> None:
    """In a forked child: close the inherited lock descriptors without unlocking or removing
    anything, so the lock dies with the parent that took it."""
    while _LOCKS:
        os.close(_LOCKS.popitem()[1])
