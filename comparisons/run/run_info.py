"""A run's identity: when and how it ran and on what software, saved as ``run.json`` beside
``results.csv`` so that ``gradverify report RUN_DIR`` can re-render a report later.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import re
import sys
from pathlib import Path
from typing import Any

RUN_FILE = "run.json"


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
