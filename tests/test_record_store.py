"""Records go to results.csv as they finish; past a bound, memory holds only a sample, and the
report's counts stay exact."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from gradverify.cli import main as cli
from gradverify.core.records import Record
from gradverify.report import files
from gradverify.run import record_store
from gradverify.run.record_store import RecordStore


def fake_batch(i: int, status: str = "pass") -> list[Record]:
    return [
        Record(
            op="relu",
            variant="vectorized",
            dtype="float64",
            case="random",
            seed=i,
            quantity=q,
            status=status,
            rel_err=1e-16 * i,
        )
        for q in ("out", "dx")
    ]


def test_every_record_reaches_disk_and_memory_stays_bounded(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "results.csv", keep_all=20, sample_per_group=5)
    for i in range(200):
        store.add(fake_batch(i, "fail" if i % 50 == 0 else "pass"))
    kept = store.records()
    store.close()
    assert store.bounded
    assert len(pd.read_csv(tmp_path / "results.csv")) == 400
    problems = [r for r in kept if r.status != "pass"]
    assert len(problems) == 8 and len(kept) == 8 + 5  # every failure, and the sample of passes
    assert [r.seed for r in kept] == sorted(r.seed for r in kept)  # in the order they finished
    assert store.tally.totals()["checks"] == 200 and store.tally.totals()["fail"] == 4


def test_small_runs_keep_everything_in_order(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "results.csv")
    for i in range(10):
        store.add(fake_batch(i))
    assert not store.bounded and [r.seed for r in store.records()] == [i for i in range(10) for _ in (0, 1)]
    store.close()


def test_a_sampled_run_reports_the_same_counts_as_a_full_one(tmp_path: Path, monkeypatch) -> None:
    argv = ["run", "--ops", "relu,affine", "--cases", "30", "--quiet"]
    assert cli.main([*argv, "--out", str(tmp_path / "full")]) == 0
    monkeypatch.setattr(record_store, "KEEP_ALL", 40)
    monkeypatch.setattr(record_store, "SAMPLE_PER_GROUP", 10)
    assert cli.main([*argv, "--out", str(tmp_path / "sampled"), "--json", str(tmp_path / "s.json")]) == 0
    full, sampled = (pd.read_csv(tmp_path / d / "results.csv") for d in ("full", "sampled"))
    pd.testing.assert_frame_equal(full.drop(columns="time_s"), sampled.drop(columns="time_s"))

    def table(d: str) -> list[str]:
        text = (tmp_path / d / "summary.md").read_text()
        return [line for line in text.splitlines() if line.startswith("|") or "checks:" in line]

    assert table("full") == table("sampled")
    meta = json.loads((tmp_path / "sampled" / "run.json").read_text())
    assert meta["sampled"]["records"] == len(full) > meta["sampled"]["in_report"]
    assert len(json.loads((tmp_path / "s.json").read_text())["records"]) == len(full)
    assert "relu" in (tmp_path / "sampled" / "report.html").read_text()


def test_a_sampled_run_never_reads_its_records_back_unless_asked(tmp_path: Path, monkeypatch) -> None:
    """Reading results.csv back would cost memory in proportion to the run: only --json and
    --junit, which list every record, may do it."""

    monkeypatch.setattr(record_store, "KEEP_ALL", 20)
    monkeypatch.setattr(record_store, "SAMPLE_PER_GROUP", 5)

    def forbidden(*args, **kwargs):
        raise AssertionError("results.csv was read back")

    monkeypatch.setattr(files, "load_results", forbidden)
    assert cli.main(["run", "--ops", "relu", "--cases", "20", "--quiet", "--out", str(tmp_path)]) == 0
    assert len(pd.read_csv(tmp_path / "results.csv")) == 2 * 2 * (20 + 3)  # 2 records, 2 dtypes, cases + edges
