"""Views of a run's records as tables: the per-op summary, failures, timings, the one-line
verdict and the Markdown summary. Pure: ``files`` writes them."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from gradverify.core import status
from gradverify.core.display import clean
from gradverify.core.records import COLUMNS
from gradverify.core.status import Status
from gradverify.report.groups import failure_groups, group_line

CHECK_KEYS = ["op", "variant", "dtype", "case", "seed"]
# seeds stay text: exact at any size, and the same key whether read from memory or from the CSV
NUMERIC = ("max_abs_err", "rel_err", "cs231n_rel_err", "atol", "rtol", "fd_err", "time_s", "bad_fraction")
TEXT = tuple(c for c in COLUMNS if c not in NUMERIC)


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """The same frame whether it came from memory or from results.csv: every public column
    present, text columns as strings ("" when missing), numbers as floats (NaN when missing).
    Extra columns (``error_map``, ``worst_elements``, ...) are kept."""
    frame = frame.copy()
    for column in COLUMNS:
        if column not in frame:
            frame[column] = None
    for column in frame.columns:
        if column in NUMERIC:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
        elif column in TEXT or frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = _texts(frame[column])
    return frame


def _texts(column: pd.Series) -> pd.Series:
    """``column.map(_text)``, each distinct string cleaned once (a run repeats its op names,
    statuses and commands thousands of times); other values one by one, since 1, 1.0 and True
    are one key to a hash table but three texts."""
    values = column.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=False) != "string":
        return column.map(_text).astype(object)
    codes, uniques = pd.factorize(values)
    cleaned = np.array([_text(u) for u in uniques], dtype=object)
    return pd.Series(cleaned[codes], index=column.index, name=column.name, dtype=object)


def _text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return clean(str(value))  # also a results.csv written by an older gradverify, or by hand


def is_gradient(frame: pd.DataFrame) -> pd.Series:
    """Gradient records: those the finite difference looked at (it looks at every gradient)."""
    return frame["fd_verdict"].fillna("").astype(str) != ""


def checks(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per check (op, variant, dtype, case, seed) with its worst status."""
    if frame.empty:
        return pd.DataFrame(columns=[*CHECK_KEYS, "status"])
    rank = frame["status"].map(status.ORDER.index)
    keys = [*CHECK_KEYS, "submission"] if "submission" in frame else CHECK_KEYS  # a batch: each student's own
    worst = frame.assign(rank=rank).groupby(keys, sort=False, dropna=False)["rank"].max()
    return worst.map(lambda r: status.ORDER[r]).rename("status").reset_index()


def summary_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per op x dtype: checks, passed, kinks, failed, errors, worst rel_err (from
    ``frame.attrs["summary"]`` when the frame is a sample of a larger run)."""
    if "summary" in frame.attrs:
        return frame.attrs["summary"].copy()
    columns = ["op", "dtype", "checks", *status.ORDER, "worst_rel_err"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    per_check = checks(frame)
    counts = pd.crosstab([per_check["op"], per_check["dtype"]], per_check["status"])
    counts = counts.reindex(columns=list(status.ORDER), fill_value=0)
    counts.insert(0, "checks", counts.sum(axis=1))
    worst = frame.groupby(["op", "dtype"])["rel_err"].max().rename("worst_rel_err")
    table = counts.join(worst).reset_index()
    order = {op: i for i, op in enumerate(dict.fromkeys(frame["op"]))}
    table = table.sort_values(["op", "dtype"], key=lambda s: s.map(order) if s.name == "op" else s)
    return table[columns].reset_index(drop=True)


def totals(frame: pd.DataFrame) -> dict[str, Any]:
    """Counts of checks by status and of records, for the JSON summary and the last line
    (from ``frame.attrs["totals"]`` when the frame is a sample of a larger run)."""
    if "totals" in frame.attrs:
        return dict(frame.attrs["totals"])
    per_check = checks(frame)
    counts = per_check["status"].value_counts()
    return {
        "ops": int(frame["op"].nunique()) if not frame.empty else 0,
        "checks": int(len(per_check)),
        "records": int(len(frame)),
        **{s: int(counts.get(s, 0)) for s in status.ORDER},
    }


def failures(frame: pd.DataFrame) -> pd.DataFrame:
    """Failing, erroring and incomplete records, worst relative error first (errors, which have
    none, lead)."""
    bad = frame[frame["status"].isin(list(status.FAILING))]
    return bad.sort_values("rel_err", ascending=False, na_position="first", kind="stable")


def timings(frame: pd.DataFrame) -> pd.DataFrame:
    """Median implementation time per op, one column per variant and dtype, in microseconds,
    and the naive / vectorized ratio where an op has both.

    ``time_s`` is measured once per call and repeated on each of the call's records, so the
    median is taken over calls. Only the implementations are timed, not the torch reference.
    """
    timed = frame.dropna(subset=["time_s"])
    if timed.empty:
        return pd.DataFrame()
    calls = timed.groupby(CHECK_KEYS, sort=False)["time_s"].first().reset_index()
    table = calls.pivot_table(index="op", columns=["dtype", "variant"], values="time_s", aggfunc="median", sort=False)
    table = table * 1e6
    columns = {}
    for dtype in dict.fromkeys(calls["dtype"]):
        variants = [v for d, v in table.columns if d == dtype]
        for variant in variants:
            columns[f"{variant} {dtype} (us)"] = table[(dtype, variant)]
        if {"naive", "vectorized"} <= set(variants):
            columns[f"naive / vectorized {dtype}"] = table[(dtype, "naive")] / table[(dtype, "vectorized")]
    out = pd.DataFrame(columns)
    out.index.name = "op"
    return out.reset_index()


def identity_line(meta: dict[str, Any]) -> str:
    """``date, seed, cases, dtypes, versions`` in one line of Markdown."""
    env = meta.get("environment") or {}
    parts = [
        meta.get("started", ""),
        f"seed {meta.get('seed')}" if meta.get("seed") is not None else "",
        f"{meta.get('cases')} random cases per op" if meta.get("cases") is not None else "",
        f"dtypes {', '.join(meta.get('dtypes') or [])}" if meta.get("dtypes") else "",
        ", ".join(f"{k} {v}" for k, v in env.items() if k != "platform"),
    ]
    return "; ".join(p for p in parts if p)


def verdict(frame: pd.DataFrame, meta: dict[str, Any]) -> str:
    """The run in one sentence, for the top of every view."""
    t = totals(frame)
    text = f"{t['checks']} checks: {t['pass']} passed, {t['kink']} kinks, {t['fail']} failed, {t['error']} errors"
    for s in (Status.NOT_IMPLEMENTED, Status.NOT_CHECKED, Status.WARNING):
        if t.get(s):
            plural = "s" if s == Status.WARNING and t[s] != 1 else ""
            text += f", {t[s]} {s.replace('_', ' ')}{plural}"
    if t.get(Status.INCOMPLETE):
        text += f", {t[Status.INCOMPLETE]} incomplete"
    if meta.get("interrupted"):
        done, total = meta.get("done"), meta.get("total")
        of = f" after {done} of {total} cases" if done is not None and total else ""
        text += f" (INTERRUPTED{of}: only the cases that finished are included)"
    return text


def apart_lines(frame: pd.DataFrame) -> list[str]:
    """The lines that count what is neither passing nor failing: functions still a template
    stub, course functions not checked (with why), warnings; in distinct functions."""
    lines = []
    for kind, text in (
        (Status.NOT_IMPLEMENTED, "not implemented"),
        (Status.NOT_CHECKED, "not checked"),
        (Status.WARNING, "with warnings"),
    ):
        rows = frame[frame["status"] == kind]
        if not rows.empty:
            names = sorted({_apart_name(r.function, r.message) for r in rows.itertuples()} - {None})
            shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
            lines.append(f"{len(names)} {text}: {shown}")
    return lines


def _apart_name(function: Any, message: Any) -> str | None:
    """A function's name; for a file that could not be imported, the file (``gan_pytorch.py``)."""
    if not isinstance(function, str):
        return None
    if function == "(import)" and isinstance(message, str):
        found = re.match(r"(\S+) cannot be imported", message)
        return f"{found.group(1)} (file)" if found else function
    return function


def markdown(frame: pd.DataFrame, meta: dict[str, Any], limit: int = 20) -> str:
    """summary.md: the run's identity, the per-op table and the worst failures."""
    frame = normalise(frame)
    lines = [
        "# gradverify summary",
        "",
        f"`{meta.get('command', '')}`  ",
        identity_line(meta) + (", **interrupted**" if meta.get("interrupted") else ""),
        "",
        f"**{verdict(frame, meta)}**",
        "",
    ]
    apart = apart_lines(frame)
    if apart:
        lines += [f"- {line}" for line in apart] + [""]
    if meta.get("incomplete"):  # re-rendered from what a killed run left
        lines[-1:-1] = [f"Incomplete: {meta['incomplete']}.", ""]
    table = summary_table(frame)
    if table.empty:
        lines.append("No checks ran.")
    else:
        table["worst_rel_err"] = table["worst_rel_err"].map(sci)
        lines.append(table.to_markdown(index=False))
    groups = failure_groups(frame)
    if not groups.empty:
        n = int(groups["records"].sum())
        lines += ["", f"## Failures ({len(groups)} groups of {n} failing records, worst first)", ""]
        for _, g in groups.head(limit).iterrows():
            lines.append(f"- **{g['status']}** {group_line(g)}: {g['message']}  \n  replay: `{g['reproduce']}`")
        if len(groups) > limit:
            lines.append(f"- ... and {len(groups) - limit} more groups in report.html and results.csv")
    return clean("\n".join(lines) + "\n")  # also the command and notes, which can name a student's file


def sci(x: Any) -> str:
    """A float as ``1.23e-07``; "" when missing."""
    if x is None or x is pd.NA or x == "":
        return ""
    x = float(x)
    return "" if math.isnan(x) else f"{x:.2e}"
