"""The report folder: results.csv, run.json, summary.md and report.html, plus the optional
JSON file and the GitHub step summary.

Every file is written atomically (to a temporary name, then renamed), so an interrupted or
crashed run never leaves a half-written report where a good one was.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from gradverify.core.display import clean
from gradverify.report.tables import TEXT, markdown, normalise, totals
from gradverify.run import run_info

RESULTS_FILE, SUMMARY_FILE, HTML_FILE = "results.csv", "summary.md", "report.html"


def write_report(frame: pd.DataFrame, out_dir: Path, meta: dict[str, Any], results_written: bool = False) -> str:
    """Write results.csv (unless the run streamed it there already), run.json, summary.md and
    report.html into ``out_dir``; returns the Markdown summary. The data files go first: a
    report that cannot be drawn must not cost the results."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if not results_written:
        write_atomic(out_dir / RESULTS_FILE, frame.to_csv(index=False))
    write_atomic(out_dir / run_info.RUN_FILE, run_info.dumps(meta))
    return write_views(frame, out_dir, meta)


def write_views(frame: pd.DataFrame, out_dir: Path, meta: dict[str, Any]) -> str:
    """Write summary.md and report.html (what ``gradverify report RUN_DIR`` re-renders)."""
    summary = markdown(frame, meta)
    write_atomic(out_dir / SUMMARY_FILE, summary)
    write_atomic(out_dir / HTML_FILE, html_page(frame, meta, summary))
    return summary


def html_page(frame: pd.DataFrame, meta: dict[str, Any], summary: str) -> str:
    """report.html; if drawing it fails, a plain page with the summary (and a warning), so
    the folder never keeps a stale report beside new results."""
    from gradverify.report import html_page  # matplotlib is imported only when a page is drawn

    try:
        return clean(html_page.render(normalise(frame), meta))  # ESC is no HTML, but a browser shows it raw
    except Exception as e:  # noqa: BLE001 - the results are written; the page degrades
        print(f"gradverify: warning: report.html fell back to plain text: {type(e).__name__}: {e}", file=sys.stderr)
        return html_page.fallback(summary, f"{type(e).__name__}: {e}")


def load_results(run_dir: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The records and identity a run saved (``results.csv`` and ``run.json``)."""
    frame = pd.read_csv(run_dir / RESULTS_FILE, dtype={c: str for c in TEXT}, keep_default_na=False)
    return normalise(frame), run_info.load(run_dir)


def is_report_dir(path: Path) -> bool:
    return (path / RESULTS_FILE).is_file()


def write_json(frame: pd.DataFrame, path: Path, meta: dict[str, Any]) -> None:
    """``{"summary": {...counts...}, "records": [...]}``; NaN becomes null."""
    records = [{k: _plain(v) for k, v in r.items()} for r in frame.to_dict(orient="records")]
    payload = {"summary": {**meta, **totals(frame)}, "records": records}
    write_atomic(path, json.dumps(payload, indent=1, allow_nan=False, default=str))


def append_step_summary(text: str, environ: dict[str, str] | None = None) -> None:
    """Append ``text`` to the file GitHub Actions names in ``GITHUB_STEP_SUMMARY``, if any.
    Appending is what the file is for (every step adds to it), so this one is not atomic."""
    target = (os.environ if environ is None else environ).get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as f:
            f.write(text if text.endswith("\n") else text + "\n")
    except OSError as e:
        print(f"gradverify: warning: could not append to GITHUB_STEP_SUMMARY {target!r}: {e}", file=sys.stderr)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        # mkstemp makes the file private (0600); a report is as readable as any file the user writes
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    return None if value is pd.NA else value
