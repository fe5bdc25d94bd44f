"""Streaming records to disk: the same rows as the in-memory report, in flat memory."""

from __future__ import annotations

import pickle
import tracemalloc
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from bugzoo import MUTANTS
from gradverify.core.adapters import LossGrad
from gradverify.core.records import COLUMNS, Record, to_frame
from gradverify.core.spec import Variant
from gradverify.report import tables
from gradverify.run import sinks
from gradverify.run.sweep import sweep
from gradverify.specs import registry


def explode(W: Any, X: Any, y: Any, reg: float) -> Any:
    raise ValueError("boom")


@pytest.fixture(scope="module")
def mixed_batches() -> list[list[dict[str, Any]]]:
    """A sweep with passes, kinks, failures and errors: correct ops, two mutants, a crash."""
    spec = registry.select(["svm"])[0]
    variants = [Variant(m.name, m.adapter) for m in MUTANTS if m.op == "svm"][:2]
    variants.append(Variant("explodes", LossGrad(explode, ("W", "X", "y", "reg"), wrt=("W",))))
    specs = [*registry.select(["relu", "affine"]), spec.with_variants(*variants)]
    return list(sweep(specs, ["float64", "float32"], 0, 3))


def test_csv_sink_writes_what_the_report_writes(tmp_path: Path, mixed_batches: list[list[dict[str, Any]]]) -> None:
    batches = mixed_batches
    path = tmp_path / "results.csv"
    with sinks.CsvSink(path) as sink:
        for batch in batches:
            sink.write(batch)
            assert not path.exists()  # only the .partial file until it is complete
    records = [r for b in batches for r in b]
    streamed = pd.read_csv(path)
    assert list(streamed.columns) == list(COLUMNS) and sink.rows == len(records)
    pd.testing.assert_frame_equal(tables.normalise(streamed), tables.normalise(to_frame(records)))


def test_rows_rendered_where_the_records_are_made_are_the_rows_the_sink_writes(
    tmp_path: Path, mixed_batches: list[list[Record]]
) -> None:
    columns, tag = (*COLUMNS, "submission"), {"submission": "ana\x1b"}  # the tag is cleaned alike
    paths = [tmp_path / "plain.csv", tmp_path / "rendered.csv", tmp_path / "other.csv"]
    sinks_ = [sinks.CsvSink(p, columns) for p in paths]
    for batch in mixed_batches:
        rendered = pickle.loads(pickle.dumps(sinks.Rendered(batch, columns, tag)))  # as a checker sends it
        assert repr(list(rendered)) == repr(batch) and rendered.text  # repr: NaN != NaN
        sinks_[0].write(batch, tag)
        sinks_[1].write(rendered, tag)
        sinks_[2].write(sinks.Rendered(batch, columns, {"submission": "someone else"}), tag)  # rendered again
    for sink in sinks_:
        sink.close()
    plain = paths[0].read_bytes()
    assert paths[1].read_bytes() == plain and paths[2].read_bytes() == plain
    assert sinks_[1].rows == sum(len(b) for b in mixed_batches) and b"ana\\x1b" in plain


def test_a_failed_stream_leaves_a_partial_file_and_ctrl_c_a_complete_one(tmp_path: Path) -> None:
    batch = [Record(op="relu", status="pass")]
    with pytest.raises(RuntimeError), sinks.CsvSink(tmp_path / "a.csv") as sink:
        sink.write(batch)
        raise RuntimeError("boom")
    assert not (tmp_path / "a.csv").exists() and (tmp_path / "a.csv.partial").exists()
    with pytest.raises(KeyboardInterrupt), sinks.CsvSink(tmp_path / "b.csv") as sink:
        sink.write(batch)
        raise KeyboardInterrupt
    assert len(pd.read_csv(tmp_path / "b.csv")) == 1


def test_tally_matches_the_report_summary(mixed_batches: list[list[dict[str, Any]]]) -> None:
    batches = mixed_batches
    tally = sinks.Tally(keep=5)
    for _ in sinks.stream(batches, tally=tally):
        pass
    frame = to_frame([r for b in batches for r in b])
    expected = tables.summary_table(frame)
    got = tally.summary()
    assert list(got.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert tally.totals() == tables.totals(frame)
    failures = tables.failures(frame)
    assert failures.shape[0] > 5  # the mutants fail often enough to test the bound
    kept = tally.failures()
    assert len(kept) == 5
    pd.testing.assert_frame_equal(
        kept[["op", "variant", "quantity", "status"]].reset_index(drop=True),
        failures[["op", "variant", "quantity", "status"]].head(5).reset_index(drop=True),
    )


def synthetic(n: int) -> Any:
    """``n`` batches shaped like real ones (three records, long messages), made on the fly."""
    for i in range(n):
        yield [
            Record(
                op="affine",
                family="layers",
                variant="vectorized",
                function="affine_backward",
                dtype="float64",
                case="random",
                seed=i,
                quantity=q,
                status="fail" if i % 97 == 0 else "pass",
                rel_err=1e-9 * (i % 13),
                message="x" * 300,
                reproduce=f"gradverify run --ops affine:vectorized --dtypes float64 --replay random:{i}",
            )
            for q in ("out", "dx", "dw")
        ]


def peak_bytes(n: int, tmp_path: Path) -> int:
    tracemalloc.start()
    try:
        tally = sinks.drain(synthetic(n), tmp_path / f"r{n}.csv", keep=50)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        assert tally.batches == n


def test_memory_stays_flat_as_the_cases_grow(tmp_path: Path) -> None:
    small, large = peak_bytes(500, tmp_path), peak_bytes(10_000, tmp_path)
    # 20x the cases: the peak is the kept failures and buffers, not the records
    assert large < 1.5 * small + 200_000
    assert len(pd.read_csv(tmp_path / "r10000.csv")) == 30_000
