"""Batch mode's table for teaching staff: one row per submission and function.

``table`` condenses the records of many submissions (with a ``submission`` column) into one
row per (submission, function): the worst status, the worst ``rel_err``, how many checks, and
the most common diagnosis and the first message among the records of that worst status. ``write`` saves it as
``batch.csv`` (that tidy form) and ``batch.md`` (a submission x function grid) in the report
folder.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from gradverify.core import status
from gradverify.core.status import Status
from gradverify.report.files import write_atomic

"""Worst last: a function's status in a submission is the worst of its records."""

CSV_FILE, MARKDOWN_FILE = "batch.csv", "batch.md"
COLUMNS = ["submission", "function", "status", "worst_rel_err", "checks", "diagnosis", "message"]


def table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (submission, function), in the order they were checked."""
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    frame = frame.assign(rank=frame["status"].map(status.ORDER.index))
    rows = []
    for (submission, function), part in frame.groupby(["submission", "function"], sort=False):
        worst = part[part["rank"] == part["rank"].max()]
        errors = worst["diagnosis"].dropna()  # the diagnosis of the worst kind, e.g. timeout for an error
        rel = pd.to_numeric(part["rel_err"], errors="coerce").max()
        rows.append(
            {
                "submission": submission,
                "function": function,
                "status": status.ORDER[int(part["rank"].max())],
                "worst_rel_err": None if pd.isna(rel) else float(rel),
                "checks": int(part[["op", "variant", "dtype", "case", "seed"]].drop_duplicates().shape[0]),
                "diagnosis": errors.mode().iloc[0] if not errors.empty else None,
                "message": next((m for m in worst["message"] if isinstance(m, str) and m), None),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def grid(long: pd.DataFrame) -> pd.DataFrame:
    """Submissions as rows, functions as columns: ``pass 3.1e-09``, ``fail 2.0e-01``,
    ``error: timeout``; an ``overall`` column holds each submission's worst status."""
    if long.empty:
        return pd.DataFrame(columns=["submission", "overall"])
    cells = long.assign(cell=[_cell(r) for r in long.itertuples()])
    wide = cells.pivot(index="submission", columns="function", values="cell").fillna("-")
    wide = wide.reindex(index=list(dict.fromkeys(long["submission"])), columns=list(dict.fromkeys(long["function"])))
    rank = long.assign(rank=long["status"].map(status.ORDER.index)).groupby("submission", sort=False)["rank"].max()
    wide.insert(0, "overall", [status.ORDER[int(rank[s])] for s in wide.index])
    return wide.reset_index()


def _cell(r: object) -> str:
    if r.status == Status.ERROR:
        return f"error: {r.diagnosis or 'error'}"
    rel = r.worst_rel_err
    return r.status if rel is None or (isinstance(rel, float) and math.isnan(rel)) else f"{r.status} {rel:.1e}"


def markdown(long: pd.DataFrame) -> str:
    """batch.md: the grid, then the first problem of every failing cell."""
    lines = ["# gradverify batch", ""]
    wide = grid(long)
    lines.append(wide.to_markdown(index=False) if not wide.empty else "No submissions were checked.")
    bad = long[long["status"].isin([Status.FAIL, Status.ERROR, Status.NOT_IMPLEMENTED, Status.NOT_CHECKED])]
    if not bad.empty:
        lines += ["", "## Problems", ""]
        lines += [f"- **{r.submission}** `{r.function}` {r.status}: {r.message}" for r in bad.itertuples()]
    return "\n".join(lines) + "\n"


def write(long: pd.DataFrame, out_dir: Path) -> str:
    """Write batch.csv and batch.md into ``out_dir``; returns the Markdown."""
    out_dir.mkdir(parents=True, exist_ok=True)
    text = markdown(long)
    write_atomic(out_dir / CSV_FILE, long.to_csv(index=False))
    write_atomic(out_dir / MARKDOWN_FILE, text)
    return text
