"""Streaming records to disk as batches finish, so a sweep's memory does not grow with it.

``CsvSink`` appends each batch to a CSV (the ``results.csv`` layout: the public columns, in
order) and flushes it, so a crash or Ctrl-C keeps every finished case; the file gets its
final name only when the sink closes. ``Tally`` keeps what the summary needs (per op x dtype
counts of checks by status and the worst ``rel_err``, plus a bounded list of the worst
failures) in memory that does not depend on the number of cases. ``stream`` ties the two
to a sweep: ``for batch in stream(batches, sink, tally)`` passes every batch through.
"""

from __future__ import annotations

import csv
import heapq
import io
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import pandas as pd

from gradverify.core import status
from gradverify.core.display import clean_value
from gradverify.core.records import COLUMNS, Record, to_frame
from gradverify.core.status import Status

KEPT_FAILURES = 200
"""Failing records kept by a Tally for the summary's worst-failures table."""


class Rendered(list):
    """A batch of records with its CSV rows already rendered for a ``CsvSink`` with
    ``columns`` and the ``extra`` cells: made where the records are (batch mode's checker
    per submission, in parallel), so the one process that writes results.csv only copies
    text. A sink with other columns or extras renders the records itself."""

    def __init__(self, records: Iterable[Record], columns: tuple[str, ...], extra: Mapping[str, str]) -> None:
        super().__init__(records)
        self.columns = tuple(columns)
        self.extra = dict(extra)
        buffer = io.StringIO()
        _rows(csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore"), self, self.extra)
        self.text = buffer.getvalue()


def _rows(writer: csv.DictWriter, batch: Iterable[Record], extra: Mapping[str, str] | None) -> int:
    """Write ``batch`` with ``extra`` cells through ``writer``; the number of rows."""
    tags = {k: clean_value(v) for k, v in (extra or {}).items()}
    n = 0
    for record in batch:
        writer.writerow({**tags, **{k: _cell(v) for k, v in record.row().items()}})
        n += 1
    return n


class CsvSink:
    """Appends records to ``path`` as CSV, one flush per batch.

    Rows go to ``<path>.partial`` and the file is renamed to ``path`` on ``close()``, so a
    reader never sees a half-written ``results.csv``; an interrupted run's rows are still on
    disk in the ``.partial`` file (or under ``path`` when closed with ``complete=True``,
    which the report of an interrupted run does)."""

    def __init__(self, path: Path, columns: tuple[str, ...] = COLUMNS) -> None:
        self.path = Path(path)
        self.partial = self.path.with_name(self.path.name + ".partial")
        self.columns = columns
        self.rows = 0
        self._file = open(self.partial, "w", newline="", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._writer = csv.DictWriter(self._file, fieldnames=list(columns), extrasaction="ignore")
        self._writer.writeheader()

    def write(self, batch: Iterable[Record], extra: Mapping[str, str] | None = None) -> None:
        """Append ``batch`` and flush it to the operating system (a killed process loses
        nothing written). ``extra`` fills columns that are not a record's (batch mode's
        ``submission``), cleaned like the record's text."""
        if isinstance(batch, Rendered) and batch.columns == self.columns and batch.extra == dict(extra or {}):
            self._file.write(batch.text)  # the same bytes the writer below would produce
            self.rows += len(batch)
        else:
            self.rows += _rows(self._writer, batch, extra)
        self._file.flush()

    def write_rows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Append rows already in text form (read back from an earlier run's file)."""
        for row in rows:
            self._writer.writerow({k: clean_value(v) for k, v in row.items()})
            self.rows += 1
        self._file.flush()

    def close(self, complete: bool = True) -> Path:
        """Close the file; rename it to ``path`` when ``complete``. Returns where it is."""
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            if complete:
                os.replace(self.partial, self.path)
        return self.path if complete else self.partial

    def __enter__(self) -> CsvSink:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        # a Ctrl-C still completes the file: it holds every case finished so far
        self.close(complete=kind is None or issubclass(kind, KeyboardInterrupt))


def _cell(value: Any) -> Any:
    # csv writes repr() of floats (shortest round-trip form) and "" for None; NaN as ""
    # matches what pandas writes for a missing value
    if isinstance(value, float) and math.isnan(value):
        return ""
    return value


class Tally:
    """The summary of a sweep in constant memory: per op x dtype, the number of checks by
    worst status and the worst ``rel_err``; the ``keep`` failing or erroring records with the
    largest ``rel_err`` (errors first, as ``report.failures`` orders them); record and batch
    counts."""

    def __init__(self, keep: int = KEPT_FAILURES) -> None:
        self.keep = keep
        self.records = 0
        self.batches = 0
        self._counts: dict[tuple[str, str], dict[str, Any]] = {}
        self._worst: list[tuple[float, int, Record]] = []  # a min-heap of the worst
        self._seen = 0

    def add(self, batch: list[Record]) -> None:
        """Count one batch (the records of one op, case and dtype, every variant)."""
        self.batches += 1
        self.records += len(batch)
        checks: dict[tuple[Any, ...], str] = {}
        for r in batch:
            key = (r.op, r.variant, r.dtype, r.case, r.seed)
            st = r.status or Status.ERROR
            if key not in checks or st.rank > checks[key].rank:
                checks[key] = st
            row = self._row(r.op, r.dtype)
            rel = r.rel_err
            if isinstance(rel, (int, float)) and not math.isnan(rel):
                row["worst_rel_err"] = max(row["worst_rel_err"], float(rel))
            if st.failing:
                self._remember(r)
        for (op, _, dtype, _, _), st in checks.items():
            row = self._row(op, dtype)
            row["checks"] += 1
            row[st] += 1

    def _row(self, op: Any, dtype: Any) -> dict[str, Any]:
        key = (str(op), str(dtype))
        if key not in self._counts:
            self._counts[key] = {"checks": 0, **dict.fromkeys(status.ORDER, 0), "worst_rel_err": -math.inf}
        return self._counts[key]

    def _remember(self, record: Record) -> None:
        rel = record.rel_err
        # errors carry no rel_err and rank above every failure
        rank = math.inf if not isinstance(rel, (int, float)) or math.isnan(rel) else float(rel)
        self._seen += 1
        item = (rank, -self._seen, record)  # on equal rank the earlier record is kept
        if len(self._worst) < self.keep:
            heapq.heappush(self._worst, item)
        elif item[:2] > self._worst[0][:2]:
            heapq.heapreplace(self._worst, item)

    def summary(self) -> pd.DataFrame:
        """Per op x dtype, ops in first-seen order and dtypes by name, as ``report.summary_table``."""
        order = {op: i for i, op in enumerate(dict.fromkeys(op for op, _ in self._counts))}
        keys = sorted(self._counts, key=lambda k: (order[k[0]], k[1]))
        rows = [{"op": op, "dtype": dtype, **self._counts[(op, dtype)]} for op, dtype in keys]
        frame = pd.DataFrame(rows, columns=["op", "dtype", "checks", *status.ORDER, "worst_rel_err"])
        frame["worst_rel_err"] = frame["worst_rel_err"].replace(-math.inf, math.nan)
        return frame

    def failures(self) -> pd.DataFrame:
        """The kept failing and erroring records, worst first."""
        kept = [r for *_, r in sorted(self._worst, key=lambda item: item[:2], reverse=True)]
        return to_frame(kept)

    def totals(self) -> dict[str, int]:
        """Ops, checks by status and records: the keys of ``report.totals``."""
        per_status = {s: sum(c[s] for c in self._counts.values()) for s in status.ORDER}
        return {
            "ops": len({op for op, _ in self._counts}),
            "checks": sum(c["checks"] for c in self._counts.values()),
            "records": self.records,
            **per_status,
        }


def stream(
    batches: Iterable[list[Record]], sink: CsvSink | None = None, tally: Tally | None = None
) -> Iterator[list[Record]]:
    """Pass every batch through, writing it to ``sink`` and counting it in ``tally`` first."""
    for batch in batches:
        if sink is not None:
            sink.write(batch)
        if tally is not None:
            tally.add(batch)
        yield batch


def drain(batches: Iterable[list[Record]], path: Path, keep: int = KEPT_FAILURES) -> Tally:
    """Run a sweep to the end with every record on disk at ``path`` and none kept in memory
    beyond the tally's; returns the tally."""
    tally = Tally(keep)
    with CsvSink(path) as sink:
        for _ in stream(batches, sink, tally):
            pass
    return tally
