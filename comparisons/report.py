"""Views of a run's records: the per-op summary, results.csv, summary.md and the JSON file.

Every file is written atomically (to a temporary name, then renamed), so an interrupted or
crashed run never leaves a half-written report where a good one was.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from comparisons.compare import ERROR, FAIL, KINK, PASS

STATUS_ORDER = (PASS, KINK, FAIL, ERROR)
"""Worst last: the status of a check is the worst status among its records."""

CHECK_KEYS = ["op", "variant", "dtype", "case", "seed"]


def checks(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per check (op, variant, dtype, case, seed) with its worst status."""
    if frame.empty:
        return pd.DataFrame(columns=[*CHECK_KEYS, "status"])
    rank = frame["status"].map(STATUS_ORDER.index)
    worst = frame.assign(rank=rank).groupby(CHECK_KEYS, sort=False)["rank"].max()
    return worst.map(lambda r: STATUS_ORDER[r]).rename("status").reset_index()


def summary_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per op x dtype: checks, passed, kinks, failed, errors, worst rel_err."""
    columns = ["op", "dtype", "checks", *STATUS_ORDER, "worst_rel_err"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    per_check = checks(frame)
    counts = pd.crosstab([per_check["op"], per_check["dtype"]], per_check["status"])
    counts = counts.reindex(columns=list(STATUS_ORDER), fill_value=0)
    counts.insert(0, "checks", counts.sum(axis=1))
    worst = frame.groupby(["op", "dtype"])["rel_err"].max().rename("worst_rel_err")
    table = counts.join(worst).reset_index()
    order = {op: i for i, op in enumerate(dict.fromkeys(frame["op"]))}
    table = table.sort_values(["op", "dtype"], key=lambda s: s.map(order) if s.name == "op" else s)
    return table[columns].reset_index(drop=True)


def totals(frame: pd.DataFrame) -> dict[str, Any]:
    """Counts of checks by status and of records, for the JSON summary and the last line."""
    per_check = checks(frame)
    counts = per_check["status"].value_counts()
    return {
        "ops": int(frame["op"].nunique()) if not frame.empty else 0,
        "checks": int(len(per_check)),
        "records": int(len(frame)),
        **{s: int(counts.get(s, 0)) for s in STATUS_ORDER},
    }


def failures(frame: pd.DataFrame) -> pd.DataFrame:
    """Failing and erroring records, worst relative error first."""
    bad = frame[frame["status"].isin([FAIL, ERROR])]
    return bad.sort_values("rel_err", ascending=False, na_position="first")


def markdown(frame: pd.DataFrame, meta: dict[str, Any], limit: int = 20) -> str:
    """summary.md: the run's identity, the per-op table and the worst failures."""
    t = totals(frame)
    lines = [
        "# gradverify summary",
        "",
        f"`{meta.get('command', '')}`  ",
        f"seed {meta.get('seed')}, dtypes {', '.join(meta.get('dtypes', []))}"
        + (", **interrupted**" if meta.get("interrupted") else ""),
        "",
        f"**{t['checks']} checks: {t[PASS]} passed, {t[KINK]} kinks, {t[FAIL]} failed, {t[ERROR]} errors**",
        "",
    ]
    table = summary_table(frame)
    if table.empty:
        lines.append("No checks ran.")
    else:
        table["worst_rel_err"] = table["worst_rel_err"].map(_sci)
        lines.append(table.to_markdown(index=False))
    bad = failures(frame)
    if not bad.empty:
        lines += ["", f"## Failures ({len(bad)}, worst first)", ""]
        for _, r in bad.head(limit).iterrows():
            lines.append(
                f"- **{r['function']}** `{r['quantity']}` {r['dtype']} {r['case']} ({r['shape']}): "
                f"{r['message']}  \n  replay: `{r['reproduce']}`"
            )
        if len(bad) > limit:
            lines.append(f"- ... and {len(bad) - limit} more in results.csv")
    return "\n".join(lines) + "\n"


def write_report(frame: pd.DataFrame, out_dir: Path, meta: dict[str, Any]) -> str:
    """Write results.csv and summary.md into ``out_dir``; returns the Markdown summary."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = markdown(frame, meta)
    write_atomic(out_dir / "results.csv", frame.to_csv(index=False))
    write_atomic(out_dir / "summary.md", summary)
    return summary


def write_json(frame: pd.DataFrame, path: Path, meta: dict[str, Any]) -> None:
    """``{"summary": {...counts...}, "records": [...]}``; NaN becomes null."""
    records = [{k: _plain(v) for k, v in r.items()} for r in frame.to_dict(orient="records")]
    payload = {"summary": {**meta, **totals(frame)}, "records": records}
    write_atomic(path, json.dumps(payload, indent=1, allow_nan=False))


def write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    return None if value is pd.NA else value


def _sci(x: Any) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2e}"
