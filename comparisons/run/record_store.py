"""Where a run's records go while it runs: to ``results.csv`` as each batch finishes, and into
a bounded set in memory for the report.

Up to ``keep_all`` records everything is also kept in memory, so an ordinary run's report is
drawn from every record. Past that, memory stops growing with the number of cases: every
record is on disk, the counts come from a ``Tally`` (exact), the failures, errors and kinks
are kept (up to ``keep_problems``), and the passing records are a fixed-size random sample
per op and dtype (enough for the error plots and the timing medians).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from gradverify.core.records import Record
from gradverify.core.status import Status
from gradverify.run.sinks import CsvSink, Tally

KEEP_ALL = 50_000
"""Records kept in full before the store switches to a bounded sample (~1.6 KB each)."""

SAMPLE_PER_GROUP = 500
"""Passing records sampled per (op, dtype) once the store is bounded."""

KEEP_PROBLEMS = 20_000
"""Failing, erroring and kink records kept for the report once the store is bounded."""


class RecordStore:
    """Streams records to ``path`` and keeps a bounded, representative set in memory."""

    def __init__(
        self,
        path: Path,
        keep_all: int | None = None,
        sample_per_group: int | None = None,
        keep_problems: int | None = None,
    ) -> None:
        self.sink = CsvSink(path)
        self.tally = Tally()
        self.keep_all = KEEP_ALL if keep_all is None else keep_all
        # the module's bounds are read here, not at import, so they can be tuned (and tested)
        self.sample_per_group = SAMPLE_PER_GROUP if sample_per_group is None else sample_per_group
        self.keep_problems = KEEP_PROBLEMS if keep_problems is None else keep_problems
        # (arrival index, record): the report lists records in the order they finished
        self.problems: list[tuple[int, Record]] = []
        self.passes: dict[tuple[Any, Any], list[tuple[int, Record]]] = {}
        self.arrived = 0
        self.seen: dict[tuple[Any, Any], int] = {}
        self.bounded = False
        self._rng = np.random.default_rng(0)  # the sample is reproducible, like everything else

    def add(self, batch: list[Record]) -> None:
        self.sink.write(batch)
        self.tally.add(batch)
        for record in batch:
            self._keep(record)
        if not self.bounded and self.tally.records > self.keep_all:
            self._bound()

    def _keep(self, record: Record) -> None:
        item = (self.arrived, record)
        self.arrived += 1
        if record.status != Status.PASS:
            if not self.bounded or len(self.problems) < self.keep_problems:
                self.problems.append(item)
            return
        key = (record.op, record.dtype)
        group = self.passes.setdefault(key, [])
        self.seen[key] = self.seen.get(key, 0) + 1
        if not self.bounded or len(group) < self.sample_per_group:
            group.append(item)
            return
        # reservoir sampling: every passing record of the group is kept with equal chance
        slot = int(self._rng.integers(self.seen[key]))
        if slot < self.sample_per_group:
            group[slot] = item

    def _bound(self) -> None:
        self.bounded = True
        self.problems = self.problems[: self.keep_problems]
        for key, group in self.passes.items():
            if len(group) > self.sample_per_group:
                picks = self._rng.choice(len(group), size=self.sample_per_group, replace=False)
                self.passes[key] = [group[i] for i in sorted(picks)]

    def records(self) -> list[Record]:
        """The kept records in the order they finished: all of them, or (bounded) the
        problems and the sample of passes."""
        kept = self.problems + [item for group in self.passes.values() for item in group]
        return [record for _, record in sorted(kept, key=lambda item: item[0])]

    def close(self) -> Path:
        """Finish ``results.csv`` (also after Ctrl-C: it holds every case that finished)."""
        return self.sink.close(complete=True)
