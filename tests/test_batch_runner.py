"""Batch mode's supervisor: work every checker would repeat is done once, before the checkers
are forked, and the caller's own preparation overlaps the checking."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from gradverify.core.records import Record
from gradverify.usercode import batch_runner
from gradverify.usercode.sandbox.pool import Submission

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="checkers are forked on Linux")

PREPARED: dict[str, int] = {}


def _checker(sub: Submission, options: Any, found: list[int]) -> Iterator[list[Record]]:
    found.append(1)
    # what this process sees: whether the parent's preparation happened before it was forked
    yield [Record(op=sub.name, message=f"prepared={PREPARED.get('warm', 0)} pid={os.getpid()}")]


def _died(sub: Submission, options: Any, code: int | None) -> Record:
    return Record(op=sub.name, status="error", message=f"died {code}")


def _subs(n: int) -> list[Submission]:
    return [Submission(f"s{i}", f"s{i}.py", "file") for i in range(n)]


def test_warm_runs_once_in_the_parent_and_every_checker_inherits_it() -> None:
    PREPARED.clear()

    def warm() -> None:
        PREPARED["warm"] = PREPARED.get("warm", 0) + 1

    items = list(batch_runner.run(_subs(3), None, _checker, _died, workers=2, warm=warm))
    records = [r for _, item in items if isinstance(item, list) for r in item]
    assert PREPARED["warm"] == 1
    assert sorted(r.op for r in records) == ["s0", "s1", "s2"]
    assert all(r.message.startswith("prepared=1 ") for r in records)
    assert len({r.message for r in records}) == 3  # three processes, none of them this one
    assert all(f"pid={os.getpid()}" not in r.message for r in records)


def test_without_warm_a_checker_sees_no_preparation() -> None:
    PREPARED.clear()
    items = list(batch_runner.run(_subs(1), None, _checker, _died))
    (record,) = [r for _, item in items if isinstance(item, list) for r in item]
    assert record.message.startswith("prepared=0 ")


def test_meanwhile_runs_once_after_the_first_checkers_start() -> None:
    events: list[str] = []
    run = batch_runner.run(_subs(3), None, _checker, _died, workers=2, meanwhile=lambda: events.append("meanwhile"))
    for _, item in run:
        events.append(item[0] if isinstance(item, tuple) else "records")
    assert events.count("meanwhile") == 1
    assert events[:3] == ["started", "started", "meanwhile"]
    assert events.count("records") == 3 and events.count("done") == 3
