"""Failures grouped by (function, quantity, diagnosis): one bug, one line.

A missing division by N fails every case in every dtype; listed per record it fills a screen
with the same sentence. Grouped, it is one line that says how many cases fail, the worst
relative error, and one command that replays the worst of them. The terminal, summary.md and
report.html all list failures this way.
"""

from __future__ import annotations

import pandas as pd

from gradverify.core import status

GROUP_KEYS = ["function", "quantity", "diagnosis"]
GROUP_COLUMNS = [
    *GROUP_KEYS,
    "status",
    "cases",
    "records",
    "dtypes",
    "worst_rel_err",
    "message",
    "reproduce",
    "op",
    "worst",
]


def failure_groups(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per failing (function, quantity, diagnosis): ``status`` (error before fail),
    ``cases`` (distinct failing cases), ``records``, ``dtypes``, ``worst_rel_err``, and the
    ``message`` and ``reproduce`` command of the worst record, whose index label in ``frame``
    is ``worst``. Errors first, then by worst error."""
    bad = frame[frame["status"].isin(list(status.FAILING))]
    if bad.empty:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    bad = bad.assign(
        _rank=bad["status"].map(status.rank),
        _err=pd.to_numeric(bad["rel_err"], errors="coerce"),
        _case=bad["dtype"].astype(str) + "|" + bad["case"].astype(str) + "|" + bad["seed"].astype(str),
    )
    rows = []
    for key, part in bad.groupby([bad[k].fillna("").astype(str) for k in GROUP_KEYS], sort=False):
        worst = part.sort_values("_err", ascending=False, na_position="first", kind="stable").iloc[0]
        rows.append(
            {
                **dict(zip(GROUP_KEYS, key, strict=True)),
                "status": status.ORDER[int(part["_rank"].max())],
                "cases": int(part["_case"].nunique()),
                "records": len(part),
                "dtypes": ", ".join(dict.fromkeys(part["dtype"].astype(str))),
                "worst_rel_err": float(part["_err"].max()) if part["_err"].notna().any() else float("nan"),
                "message": str(worst["message"] or ""),
                "reproduce": str(worst["reproduce"] or ""),
                "op": str(worst["op"]),
                "worst": worst.name,
                "_rank": int(part["_rank"].max()),
            }
        )
    table = pd.DataFrame(rows).sort_values(["_rank", "worst_rel_err"], ascending=False, na_position="first")
    return table.drop(columns="_rank").reset_index(drop=True)[GROUP_COLUMNS]


def group_line(row: pd.Series | dict) -> str:
    """``function quantity [diagnosis]: N failing cases (dtypes), worst rel_err X``."""
    why = f" [{row['diagnosis']}]" if row["diagnosis"] else ""
    err = row["worst_rel_err"]
    worst = f", worst rel_err {err:.1e}" if err == err else ""  # NaN for errors, which have none
    n = row["cases"]
    what = row["function"] if row["quantity"] == row["function"] else f"{row['function']} {row['quantity']}"
    return f"{what}{why}: {n} failing case{'s' if n != 1 else ''} ({row['dtypes']}){worst}"
