"""What a batch run has done so far, on disk beside its results, so a killed run loses nothing.

``batch.journal`` in the report folder gets one JSON line when the run starts (the batch's
identity: its submissions and options), one when a submission's check starts and one when it
is done, each flushed before the next step. Rows stream to ``results.csv.partial`` as they
arrive. If gradverify itself is killed (by a submission that kills its ancestors, the OOM
killer or ``kill -9``), running the same command again with the same ``--out`` resumes: the
rows of the submissions that were done are kept, the others are checked again; a submission
that was already being checked twice when the run died is not tried a third time: it gets an
``error`` record (``checker_died``) instead, so it cannot stop the batch again.
``gradverify report DIR`` uses the same journal to say which submission was being checked.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gradverify.core.records import Record
from gradverify.usercode.sandbox.pool import Submission
from gradverify.usercode.submission_check import CheckOptions, submission_record

JOURNAL_FILE = "batch.journal"
RETRIES = 1
"""How many times a submission that was being checked when the run died is checked again."""


def identity(subs: Sequence[Submission], options: CheckOptions) -> dict[str, Any]:
    """What makes two batch runs the same batch (and so one can resume the other)."""
    return {
        "submissions": [[s.name, s.target] for s in subs],
        "options": [*options.flags(), f"ops={options.ops}", f"cases={options.cases}", f"seed={options.seed}"]
        + [f"dtypes={','.join(options.dtypes)}", f"replay={options.replay}"],
    }


@dataclass
class State:
    """What an earlier run of a batch left: submissions done, and how often each started."""

    batch: dict[str, Any] | None = None
    started: dict[str, int] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
    finished: bool = False

    @property
    def unfinished(self) -> list[str]:
        """Submissions that were being checked when the run stopped."""
        return [name for name in self.started if name not in self.done]


def read(out_dir: Path) -> State:
    """The journal of ``out_dir`` (an empty state when there is none); a torn last line, as a
    kill can leave, is ignored."""
    state = State()
    try:
        lines = (out_dir / JOURNAL_FILE).read_text(encoding="utf-8").splitlines()
    except OSError:
        return state
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict):
            continue
        if "batch" in entry:
            state.batch = entry["batch"]
        elif "started" in entry:
            state.started[str(entry["started"])] = state.started.get(str(entry["started"]), 0) + 1
        elif "done" in entry:
            state.done.add(str(entry["done"]))
        elif entry.get("finished"):
            state.finished = True
    return state


class Journal:
    """Appends a batch run's progress to ``out_dir/batch.journal``."""

    def __init__(self, out_dir: Path, batch: dict[str, Any], previous: State | None = None) -> None:
        self.path = out_dir / JOURNAL_FILE
        self._file = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._write({"batch": batch})
        for name, count in (previous.started if previous else {}).items():
            for _ in range(count):
                self._write({"started": name})
        for name in previous.done if previous else ():
            self._write({"done": name})

    def started(self, name: str) -> None:
        self._write({"started": name})

    def done(self, name: str) -> None:
        self._write({"done": name})

    def close(self, finished: bool) -> None:
        if not self._file.closed:
            if finished:
                self._write({"finished": True})
            self._file.close()

    def _write(self, entry: dict[str, Any]) -> None:
        self._file.write(json.dumps(entry) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())


def read_partial(path: Path) -> pd.DataFrame:
    """The rows of a results file that a killed run left, as text; a torn last row is dropped."""
    text = path.read_text(encoding="utf-8", errors="replace")
    rows = list(csv.reader(text.splitlines(keepends=True)))
    if not rows:
        return pd.DataFrame()
    header, body = rows[0], rows[1:]
    if not text.endswith("\n") and body:
        body = body[:-1]  # cut mid-row
    body = [r for r in body if len(r) == len(header)]
    return pd.DataFrame(body, columns=header)


def gave_up(name: str, target: str, reproduce: str | None = None) -> Record:
    """The record of a submission that was being checked each time the run died."""
    message = (
        f"gradverify stopped while checking {target}, also when it was checked again: the submission may "
        f"kill the process that checks it; it is not checked a third time (check it alone to see)"
    )
    return submission_record("checker_died", message, reproduce)


def was_running(target: str) -> Record:
    """For ``gradverify report``: the submission a stopped run was checking."""
    message = f"the run stopped while checking {target}; run the same command again to resume"
    return submission_record("run_stopped", message)
