"""Batch mode's table for teaching staff: one row per submission and function.

``table`` condenses the records of many submissions (with a ``submission`` column) into one
row per (submission, function): the worst status, the worst ``rel_err``, how many checks, and
the most common diagnosis and the first message among the records of that worst status. ``write`` saves it as
``batch.csv`` (that tidy form) and ``batch.md`` (a submission x function grid) in the report
folder.

A submission is graded as a whole: ``Inventory`` notes which course functions each one
provides and gives an ``incomplete`` record for every one that other submissions of the batch
have and it lacks (the check itself adds one for a forward whose backward is missing).
"""

from __future__ import annotations

import functools
import math
import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from gradverify.core import status
from gradverify.core.display import clean
from gradverify.core.records import Record
from gradverify.core.status import Status
from gradverify.report.files import write_atomic
from gradverify.specs import SPECS
from gradverify.usercode import course_match

"""Worst last: a function's status in a submission is the worst of its records."""

CSV_FILE, MARKDOWN_FILE = "batch.csv", "batch.md"
CHECK_KEYS = ["op", "variant", "dtype", "case", "seed"]
"""What identifies one check of a function (a record per quantity shares them)."""
COLUMNS = ["submission", "function", "status", "worst_rel_err", "checks", "diagnosis", "message"]


def table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (submission, function), in the order they were checked."""
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    keys = ["submission", "function"]
    # grouped reductions, not a loop over groups: a class has thousands of (submission, function)
    frame = frame.assign(
        rank=frame["status"].map(status.ORDER.index), rel=pd.to_numeric(frame["rel_err"], errors="coerce")
    )
    groups = frame.groupby(keys, sort=False)
    out = groups["rank"].max().to_frame()
    out["rel"] = groups["rel"].max()
    out["checks"] = frame.drop_duplicates([*keys, *CHECK_KEYS]).groupby(keys, sort=False).size()
    worst = frame[frame["rank"] == groups["rank"].transform("max")]
    # the diagnosis of the worst kind (e.g. timeout for an error): the most frequent, the
    # smallest of equals, as Series.mode()[0] gives
    counts = worst.dropna(subset=["diagnosis"]).groupby([*keys, "diagnosis"]).size().rename("n").reset_index()
    counts = counts.sort_values([*keys, "n", "diagnosis"], ascending=[True, True, False, True], kind="stable")
    out["diagnosis"] = counts.drop_duplicates(keys).set_index(keys)["diagnosis"] if not counts.empty else None
    said = worst[[isinstance(m, str) and bool(m) for m in worst["message"]]]
    out["message"] = said.groupby(keys, sort=False)["message"].first()
    rows = [
        {
            "submission": submission,
            "function": function,
            "status": status.ORDER[int(r.rank)],
            "worst_rel_err": None if pd.isna(r.rel) else float(r.rel),
            "checks": int(r.checks),
            "diagnosis": None if _missing(r.diagnosis) else r.diagnosis,
            "message": None if _missing(r.message) else r.message,
        }
        for (submission, function), r in zip(out.index, out.itertuples(index=False), strict=True)
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


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
    if r.status in (Status.ERROR, Status.INCOMPLETE):
        return f"{r.status}: {r.diagnosis or r.status}"
    rel = r.worst_rel_err
    return r.status if rel is None or (isinstance(rel, float) and math.isnan(rel)) else f"{r.status} {rel:.1e}"


def markdown(long: pd.DataFrame) -> str:
    """batch.md: the grid, then the first problem of every failing cell."""
    lines = ["# gradverify batch", ""]
    wide = grid(long)
    lines.append(wide.to_markdown(index=False) if not wide.empty else "No submissions were checked.")
    bad = long[long["status"].isin([*status.FAILING, Status.NOT_IMPLEMENTED, Status.NOT_CHECKED])]
    if not bad.empty:
        lines += ["", "## Problems", ""]
        lines += [f"- **{r.submission}** `{r.function}` {r.status}: {r.message}" for r in bad.itertuples()]
    return clean("\n".join(lines) + "\n")  # submission and function names come from students


def write(long: pd.DataFrame, out_dir: Path) -> str:
    """Write batch.csv and batch.md into ``out_dir``; returns the Markdown."""
    out_dir.mkdir(parents=True, exist_ok=True)
    text = markdown(long)
    write_atomic(out_dir / CSV_FILE, long.to_csv(index=False))
    write_atomic(out_dir / MARKDOWN_FILE, text)
    return text


class Inventory:
    """Which course functions each submission of a batch provides, to find the ones it lacks.

    Functions are compared by the course's names for them (the slots of the op variants a
    submission's records come from), not by the names its code uses: a class method bound
    with ``--map`` provides the same function as a plain one, and a function checked under
    several ops (with and without an extended API) counts once."""

    def __init__(self) -> None:
        self.provided: dict[str, dict[str, Record]] = {}  # submission -> course name -> a record of it
        self.lacking: dict[str, set[str]] = {}  # submission -> course names it is known to lack
        self.broken: set[str] = set()  # submissions with an error about the whole file

    def see(self, submission: str, batch: Iterable[Record]) -> None:
        mine = self.provided.setdefault(submission, {})
        lacking = self.lacking.setdefault(submission, set())
        for record in batch:
            name = record.function
            if not name or name.startswith("("):  # (import): about the whole file
                if record.status == Status.ERROR:
                    self.broken.add(submission)
            elif record.status == Status.INCOMPLETE:
                lacking.add(name)
            else:
                for course_name in _course_names(record):
                    mine.setdefault(course_name, record)

    def see_frame(self, frame: pd.DataFrame) -> None:
        """The same from rows read back from results.csv (``submission``, ``op``, ``family``,
        ``variant``, ``function``, ``status`` columns)."""
        columns = ["submission", "op", "family", "variant", "function", "status"]
        for row in frame[columns].itertuples(index=False):
            record = Record(op=row.op, family=row.family, variant=row.variant, function=row.function, status=row.status)
            self.see(str(row.submission), [record])

    def missing(self, targets: Mapping[str, str] | None = None) -> list[tuple[str, Record]]:
        """``(submission, incomplete record)`` for each course function other submissions have
        and it lacks; a submission that could not be imported or checked already has an error.
        ``targets`` (submission -> path) gives the records a command that checks the op."""
        where: dict[str, Record] = {}
        for submission, mine in self.provided.items():
            for name, record in mine.items():
                if name not in self.lacking[submission]:  # a forward checked alone provides no backward
                    where.setdefault(name, record)
        out = []
        for submission, mine in self.provided.items():
            if submission in self.broken:
                continue
            for name in sorted(set(where) - set(mine) - self.lacking[submission]):
                like = where[name]
                message = f"{name} is missing: other submissions of the batch define it"
                record = missing_record(like, name, message)
                if targets and submission in targets:
                    command = ["gradverify", "check", targets[submission], "--ops", f"{like.op}:{like.variant}"]
                    record = record.replace(reproduce=shlex.join(command))
                out.append((submission, record))
        return out


def _course_names(record: Record) -> tuple[str, ...]:
    """The course's names of the functions behind ``record``'s op variant (its own function
    name when the op is not in the registry)."""
    return _names(record.op, record.variant, str(record.function))


@functools.lru_cache(maxsize=4096)
def _names(op: str | None, variant_name: str | None, function: str) -> tuple[str, ...]:
    # looked up once per op variant: a batch sees thousands of records of each
    spec = next((s for s in SPECS if s.name == op), None)
    variant = next((v for v in spec.variants if v.name == variant_name), None) if spec is not None else None
    names = tuple(slot.name for slot in course_match.slots(variant.adapter)) if variant is not None else ()
    return names or (function,)


def missing_record(like: Record, function: str, message: str) -> Record:
    """An ``incomplete`` record for ``function`` of ``like``'s op."""
    return Record(
        op=like.op,
        family=like.family,
        variant=like.variant,
        function=function,
        dtype="all",
        case="batch",
        seed=0,
        quantity="(missing)",
        status=Status.INCOMPLETE,
        diagnosis="missing_function",
        message=message,
    )
