"""``gradverify bench``: the rows' structure and files, never absolute times; the check's cost
counted in forward evaluations."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_info

import gradverify.impl.cs231n.layers as impl
from gradverify.bench import GROUPS, startup, timing, verification
from gradverify.bench.output import ENVIRONMENT_FILE, JSON_FILE, MARKDOWN_FILE
from gradverify.cli import main as cli
from gradverify.run import threads

KEYS = {"benchmark", "subject", "baseline", "subject_s", "baseline_s", "ratio", "params"}


@pytest.fixture(scope="module")
def quick_bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    tmp = tmp_path_factory.mktemp("bench")
    out, js = tmp / "report", tmp / "rows.json"
    code = cli.main(["bench", "--quick", "--out", str(out), "--json", str(js)])
    return out, js, code


def test_quick_bench_rows_and_files(quick_bench: tuple[Path, Path, int]) -> None:
    out, js, code = quick_bench
    assert code == 0
    rows = json.loads(js.read_text())
    assert rows == json.loads((out / JSON_FILE).read_text())
    assert {r["benchmark"] for r in rows} == {
        "svm_loss",
        "softmax_loss",
        "conv",
        "max_pool",
        "verification",
        "verification_scaling",
        "sweep_throughput",
        "memory",
        "passing_case",
        "run_vs_own",
        "thorough",
        "check_startup",
        "batch_grading",
    }
    for r in rows:
        assert set(r) == KEYS
        assert r["subject_s"] > 0 and r["baseline_s"] > 0
        assert math.isclose(r["ratio"], r["subject_s"] / r["baseline_s"])
        assert isinstance(r["params"], dict)
    # the pairs: torch and naive baselines, gradcheck and element-by-element, 1 vs 2 workers
    pairs = {(r["benchmark"], r["baseline"].split()[0]) for r in rows}
    assert {("svm_loss", "torch"), ("svm_loss", "svm_loss_naive"), ("softmax_loss", "softmax_loss_naive")} <= pairs
    assert {("conv", "torch"), ("conv", "conv_forward_naive+conv_backward_naive"), ("max_pool", "torch")} <= pairs
    assert {("verification", "torch.autograd.gradcheck"), ("verification", "element-by-element")} <= pairs
    dtypes = {r["params"]["dtype"] for r in rows if r["benchmark"] in ("svm_loss", "conv")}
    assert dtypes == {"float32", "float64"}
    scaling = [r["params"]["parameters"] for r in rows if r["benchmark"] == "verification_scaling"]
    assert min(scaling) < 2_000 and max(scaling) > 900_000
    goals = [r for r in rows if "goal" in r["params"]]
    assert goals and all(isinstance(r["params"]["met"], bool) for r in goals)
    # the fast-feedback pairs: a passing case vs its own work, default vs thorough, start-up, batch
    by = {r["benchmark"]: r for r in rows}
    assert by["thorough"]["baseline"] == "gradverify run --thorough" and "goal" in by["thorough"]["params"]
    assert by["check_startup"]["params"]["import_s"] > 0 and by["check_startup"]["params"]["checks_s"] > 0
    assert by["batch_grading"]["params"]["identical_records"] is True
    assert by["batch_grading"]["params"]["records"] > 3 * 20  # each copy is checked, not refused
    batch = by["batch_grading"]["params"]
    assert 0 < batch["import_floor_s"] < by["batch_grading"]["baseline_s"]
    assert 1 < batch["attainable_speedup"] <= 2
    assert {r["params"]["op"] for r in rows if r["benchmark"] == "passing_case"} >= {"svm", "affine"}


def test_quick_bench_states_threads_and_blas(quick_bench: tuple[Path, Path, int]) -> None:
    out, _, _ = quick_bench
    env = json.loads((out / ENVIRONMENT_FILE).read_text())
    assert env["torch_threads"] == 1
    assert env["threadpools"] and all(p["num_threads"] == 1 for p in env["threadpools"])
    text = (out / MARKDOWN_FILE).read_text()
    assert "threads while timing: torch 1" in text and "BLAS environment" in text and "| benchmark" in text


def test_bench_restores_thread_settings() -> None:
    before = (torch.get_num_threads(), [p["num_threads"] for p in threadpool_info()])
    with threads.pinned():
        assert torch.get_num_threads() == 1
    assert (torch.get_num_threads(), [p["num_threads"] for p in threadpool_info()]) == before


def test_unknown_group_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["bench", "--only", "nope"]) == 2
    assert "unknown group nope" in capsys.readouterr().err
    assert set(GROUPS) == {"losses", "conv", "verification", "throughput", "memory", "feedback", "startup"}


def test_attainable_speedup_keeps_the_start_up_serial() -> None:
    assert startup.attainable_speedup(10.0, 0.0, 2.0) == 2.0  # nothing serial: the machine's own 2x
    assert startup.attainable_speedup(10.0, 10.0, 2.0) == 1.0  # all start-up: no gain
    assert math.isclose(startup.attainable_speedup(11.2, 1.2, 2.0), 11.2 / 6.2)
    assert startup.attainable_speedup(10.0, 0.0, 2.3) == 2.0  # two processes never do more than twice the work
    assert math.isclose(startup.attainable_speedup(10.0, 0.0, 1.5), 1.5)  # a busy machine's lower speed-up


def test_pair_times_both_and_the_ratio_is_subject_over_baseline() -> None:
    calls = {"s": 0, "b": 0}

    def bump(key: str) -> None:
        calls[key] += 1

    settings = timing.Settings(quick=True, warmup=2, repeat=5)
    times = timing.pair(lambda: bump("s"), lambda: bump("b"), settings)
    assert calls == {"s": 7, "b": 7}
    assert times.subject_s >= 0 and times.baseline_cpu_s >= 0
    r = timing.row("x", "s", "b", (2.0, 4.0), n=1)
    assert r.ratio == 0.5 and r.params == {"n": 1}
    assert timing.with_goal(r, 0.6).params["met"] is True
    r = timing.row("x", "s", "b", timing.Times(1.0, 4.0, 1.0, 2.0).scaled(10))
    assert r.ratio == 1 / 40 and r.params == {"cpu_ratio": 1 / 20}


def test_check_cost_is_flat_in_forward_evaluations() -> None:
    counts = [verification.forward_evaluations(d, 100) for d in (10, 1_000, 10_000)]
    # one forward+backward, then five evaluations per probe: a direction and two coordinates
    # for each of x, w and b; independent of the number of parameters
    assert [c["check"] for c in counts] == [counts[0]["check"]] * 3
    assert counts[0]["check"] <= 50
    # a passing case by default: the one forward+backward, no third opinion
    assert [c["check_default"] for c in counts] == [1, 1, 1]
    # element-by-element spends two per entry: a thousand times more parameters, a thousand
    # times more evaluations
    entries = [verification.N * d + d * 100 + 100 for d in (10, 1_000, 10_000)]
    assert [c["elementwise"] for c in counts] == [2 * e for e in entries]


def test_elementwise_baseline_is_the_course_numerical_gradient() -> None:
    sample = verification.affine_sample(6, 4)
    x, w, b = (sample[k].copy() for k in ("x", "w", "b"))
    dout = np.random.default_rng(3).standard_normal((x.shape[0], 4))
    numeric = verification.elementwise(lambda v: impl.affine_forward(x, v, b)[0], w, dout, limit=w.size)
    _, dw, _ = impl.affine_backward(dout, (x, w, b))
    np.testing.assert_allclose(numeric, dw, rtol=1e-6, atol=1e-8)
    partial = verification.elementwise(lambda v: impl.affine_forward(x, v, b)[0], w, dout, limit=5)
    assert np.count_nonzero(partial) <= 5 and np.allclose(partial.flat[:5], dw.flat[:5])
