"""Run-to-run comparison (``gradverify report --compare OLD NEW``): what got worse, what got
better, what is new and what is gone, for functions and for single cases.

Something got worse (a regression, exit 1) when a function or a case that passed (or only
kinked) fails or errors now, a failure became an error, or a case's relative error grew by
more than ``factor`` while reaching at least ``GROWTH_FLOOR`` of its tolerance: below that,
growth is rounding noise (1e-17 -> 1e-15 in float64 is 100x and means nothing). A function
or case that is new and fails counts as worse too. Cases match by op, variant, function,
dtype, case kind, seed and quantity, so two runs share cases only when they used the same
``--seed`` (and ``--cases``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from gradverify.core import status
from gradverify.report import tables

DEFAULT_FACTOR = 10.0
GROWTH_FLOOR = 0.01  # of rtol
FUNCTION_KEYS = ["op", "variant", "function", "dtype"]
CASE_KEYS = [*FUNCTION_KEYS, "case", "seed", "quantity"]
WORSE, BETTER, NEW, GONE, SAME = "worse", "better", "new", "gone", "same"


@dataclass
class RunDiff:
    """Functions and cases of two runs side by side, each with its ``change`` and ``why``."""

    functions: pd.DataFrame
    cases: pd.DataFrame
    factor: float
    notes: list[str] = field(default_factory=list)
    incomplete: str | None = None
    """Why the new run is not a full run (interrupted, cases missing), when it is not."""
    allow_partial: bool = False

    def worse(self, level: str) -> pd.DataFrame:
        return self._pick(level, WORSE)

    def better(self, level: str) -> pd.DataFrame:
        return self._pick(level, BETTER)

    def _pick(self, level: str, change: str) -> pd.DataFrame:
        table = self.functions if level == "functions" else self.cases
        return table[table["change"] == change]

    @property
    def regressed(self) -> bool:
        """Something got worse, or the new run is incomplete: a run that stopped half-way has not
        shown that the rest still passes (unless partial runs are allowed)."""
        worse = bool((self.functions["change"] == WORSE).any() or (self.cases["change"] == WORSE).any())
        return worse or (self.incomplete is not None and not self.allow_partial)

    def counts(self) -> pd.DataFrame:
        """How many functions and cases fell in each change, as a small table."""
        rows = []
        for level, table in (("functions", self.functions), ("cases", self.cases)):
            counts = table["change"].value_counts()
            rows.append({"level": level, **{c: int(counts.get(c, 0)) for c in (WORSE, BETTER, NEW, GONE, SAME)}})
        return pd.DataFrame(rows)


def incomplete(meta: dict[str, Any]) -> str | None:
    """Why a run (its run.json) is not complete: interrupted, or fewer cases done than planned."""
    done, total = meta.get("done"), meta.get("total")
    of = f" after {done} of {total} cases" if isinstance(done, int) and isinstance(total, int) and total else ""
    if meta.get("interrupted"):
        return f"it was interrupted{of}"
    if isinstance(done, int) and isinstance(total, int) and done < total:
        return f"it finished only {done} of {total} cases"
    return None


def diff(
    old: pd.DataFrame,
    new: pd.DataFrame,
    factor: float = DEFAULT_FACTOR,
    new_meta: dict[str, Any] | None = None,
    allow_partial: bool = False,
) -> RunDiff:
    """Compare two runs' (normalised) records; ``new_meta`` (the new run.json) tells whether the
    new run is complete."""
    notes = []
    cases = _side_by_side(_per(old, CASE_KEYS), _per(new, CASE_KEYS), CASE_KEYS)
    cases[["change", "why"]] = _classify(cases, factor, growth=True)
    functions = _side_by_side(_per(old, FUNCTION_KEYS), _per(new, FUNCTION_KEYS), FUNCTION_KEYS)
    functions[["change", "why"]] = _classify(functions, factor, growth=False)
    if not old.empty and not new.empty and not (cases["change"].isin([WORSE, BETTER, SAME])).any():
        notes.append("The runs share no case (different --seed?): only functions are compared, by their worst status.")
    partial = incomplete(new_meta or {})
    if partial:
        notes.append(
            f"The new run is incomplete: {partial}."
            + (" Allowed by --allow-partial." if allow_partial else " That counts as a regression (--allow-partial).")
        )
    return RunDiff(
        functions=functions, cases=cases, factor=factor, notes=notes, incomplete=partial, allow_partial=allow_partial
    )


def _per(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per key: worst status, largest rel_err, its tolerance and a replay command."""
    columns = [*keys, "status", "rel_err", "rtol", "reproduce"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    rank = frame["status"].map(status.rank)
    ordered = frame.assign(_rank=rank).sort_values("_rank", ascending=False, kind="stable")
    grouped = ordered.groupby(keys, sort=False, dropna=False)
    table = grouped.agg(status=("status", "first"), rtol=("rtol", "max"), reproduce=("reproduce", "first"))
    table["rel_err"] = grouped["rel_err"].max()
    return table.reset_index()[columns]


def _side_by_side(old: pd.DataFrame, new: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    merged = old.merge(new, on=keys, how="outer", suffixes=("_old", "_new"), indicator=True, sort=False)
    merged["reproduce"] = merged["reproduce_new"].fillna(merged["reproduce_old"])
    merged["rtol"] = merged["rtol_new"].fillna(merged["rtol_old"])
    columns = [*keys, "status_old", "status_new", "rel_err_old", "rel_err_new", "rtol", "reproduce", "_merge"]
    return merged[columns]


def _classify(table: pd.DataFrame, factor: float, growth: bool) -> pd.DataFrame:
    if table.empty:
        return pd.DataFrame(columns=["change", "why"], index=table.index)
    return pd.DataFrame(
        [_change(r, factor, growth) for r in table.to_dict(orient="records")],
        columns=["change", "why"],
        index=table.index,
    )


def _rank(text: Any) -> int:
    return status.rank(text)


def _change(r: dict[str, Any], factor: float, growth: bool) -> tuple[str, str]:
    old, new = r["status_old"], r["status_new"]
    if r["_merge"] == "right_only":
        return (WORSE, f"new, and {new}s") if new in status.FAILING else (NEW, f"new ({new})")
    if r["_merge"] == "left_only":
        return GONE, f"gone (was {old})"
    if _rank(new) > _rank(old) and new in status.FAILING:
        return WORSE, f"{old} -> {new}"
    if _rank(new) < _rank(old) and old in status.FAILING:
        return BETTER, f"{old} -> {new}"
    if growth:
        before, after, rtol = r["rel_err_old"], r["rel_err_new"], r["rtol"]
        floor = GROWTH_FLOOR * rtol if pd.notna(rtol) else 0.0
        if pd.notna(before) and pd.notna(after):
            if after > floor and after > factor * before:
                return WORSE, f"rel_err grew {_times(after, before)}"
            if before > floor and before > factor * after:
                return BETTER, f"rel_err shrank {_times(before, after)}"
    return SAME, ""


def _times(big: float, small: float) -> str:
    return f"{big / small:.3g}x" if small > 0 else "from exactly 0"


VIEW_COLUMNS = {
    "functions": [
        "why",
        "op",
        "variant",
        "function",
        "dtype",
        "status_old",
        "status_new",
        "rel_err_old",
        "rel_err_new",
    ],
    "cases": [
        "why",
        "function",
        "quantity",
        "dtype",
        "case",
        "seed",
        "status_old",
        "status_new",
        "rel_err_old",
        "rel_err_new",
        "reproduce",
    ],
}


def view(table: pd.DataFrame, level: str) -> pd.DataFrame:
    """The columns a reader needs, largest new error first."""
    out = table.assign(_key=table["rel_err_new"].fillna(float("inf"))).sort_values("_key", ascending=False)
    out = out[VIEW_COLUMNS[level]].reset_index(drop=True)
    if "seed" in out:
        out["seed"] = out["seed"].map(lambda s: "" if pd.isna(s) else str(s))
    return out.astype(object).where(out.notna(), "")


def markdown(d: RunDiff, old_label: str, new_label: str, limit: int = 30) -> str:
    """The comparison as Markdown: counts, then what got worse, better, new and gone."""
    worse = bool((d.functions["change"] == WORSE).any() or (d.cases["change"] == WORSE).any())
    if worse:
        verdict = "**REGRESSION**: something got worse"
    elif d.regressed:
        verdict = f"**REGRESSION**: the new run is incomplete ({d.incomplete})"
    else:
        verdict = "No regression"
    lines = [
        "# gradverify comparison",
        "",
        f"old: `{old_label}`  ",
        f"new: `{new_label}`",
        "",
        f"{verdict} (error growth counts beyond {d.factor:g}x).",
        "",
        *(f"> {n}" for n in d.notes),
        "",
        d.counts().to_markdown(index=False, disable_numparse=True),
    ]
    for title, level, change in _SECTIONS:
        table = d.functions if level == "functions" else d.cases
        part = table[table["change"] == change]
        if part.empty:
            continue
        shown = view(part, level)
        for column in ("rel_err_old", "rel_err_new"):
            shown[column] = shown[column].map(tables.sci)
        table_text = shown.head(limit).to_markdown(index=False, disable_numparse=True)  # keep 1.00e-07 as written
        lines += ["", f"## {title} ({len(part)})", "", table_text]
        if len(part) > limit:
            lines.append(f"\n... and {len(part) - limit} more in compare.html")
    return "\n".join(lines) + "\n"


_SECTIONS = (
    ("Worse: functions", "functions", WORSE),
    ("Worse: cases", "cases", WORSE),
    ("Better: functions", "functions", BETTER),
    ("Better: cases", "cases", BETTER),
    ("New functions", "functions", NEW),
    ("Gone functions", "functions", GONE),
)


def sections() -> tuple[tuple[str, str, str], ...]:
    """(title, level, change) of each part of the comparison, in reading order."""
    return _SECTIONS
