"""Red team: hostile submissions graded in a batch beside an honest one. Each attack must be held
off, the honest student must keep every pass, and the report must say which isolation layers
were on. Each attack also runs with layers forced off (``GRADVERIFY_ISOLATION_OFF``): the
layers that remain still hold it, or, once the layers that held it are off, it succeeds and the
report says those layers were off (degraded explicitly, never silently)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gradverify.cli import main as cli
from gradverify.usercode.sandbox import confine, protocol

SUBMISSIONS = Path(__file__).parent / "submissions"
LAYERS = confine.layers()
FAST = ["--cases", "1", "--dtypes", "float64", "-q"]


def needs(*layers: str) -> pytest.MarkDecorator:
    missing = [f"{name} {LAYERS[name]}" for name in layers if LAYERS[name] != "on"]
    return pytest.mark.skipif(bool(missing), reason="; ".join(missing))


def classroom(tmp_path: Path, **students: str) -> Path:
    """A batch folder: ``honest.py`` (every function of course_layers.py, correct) and the given
    students (file name -> fixture)."""
    root = tmp_path / "batch"
    root.mkdir()
    shutil.copy(SUBMISSIONS / "course_layers.py", root / "honest.py")
    for name, fixture in students.items():
        shutil.copy(SUBMISSIONS / fixture, root / name)
    return root


def grade(root: Path, tmp_path: Path, *flags: str, ops: str = "relu") -> tuple[int, pd.DataFrame, dict]:
    """``gradverify check ROOT``: the exit code, batch.csv and run.json."""
    out = tmp_path / "out"
    code = cli.main(["check", str(root), "--ops", ops, *FAST, *flags, "--out", str(out)])
    table = pd.read_csv(out / "batch.csv") if (out / "batch.csv").exists() else pd.DataFrame()
    meta = json.loads((out / "run.json").read_text()) if (out / "run.json").exists() else {}
    return code, table, meta


def rows(table: pd.DataFrame, submission: str) -> dict[str, tuple[str, str]]:
    part = table[table["submission"] == submission]
    return {r.function: (r.status, r.diagnosis if isinstance(r.diagnosis, str) else "") for r in part.itertuples()}


def honest_keeps_passing(table: pd.DataFrame) -> None:
    statuses = {f: s for f, (s, _) in rows(table, "honest").items()}
    assert statuses and set(statuses.values()) == {"pass"}, statuses


def reported_off(meta: dict, off: str) -> None:
    for layer in filter(None, off.split(",")):
        assert meta["isolation"][layer] == f"off: forced off ({confine.OFF_ENV})", meta["isolation"]


@pytest.fixture
def forced(monkeypatch: pytest.MonkeyPatch):
    def force(off: str) -> None:
        monkeypatch.setenv(confine.OFF_ENV, off)

    return force


# --- 1: gradverify's own solutions -------------------------------------------------------------


@pytest.mark.parametrize(
    "off", ["", pytest.param("landlock", marks=needs("bwrap")), pytest.param("bwrap", marks=needs("landlock"))]
)
def test_own_solutions_are_out_of_reach(tmp_path: Path, forced, off: str) -> None:
    forced(off)
    root = classroom(tmp_path, **{"reexport.py": "redteam_reexport_impl.py", "bypass.py": "redteam_impl_bypass.py"})
    code, table, meta = grade(root, tmp_path)
    assert code == 1
    assert rows(table, "reexport") == {"(import)": ("error", "forbidden_import")}
    bypass = rows(table, "bypass")
    assert bypass and all(status == "error" for status, _ in bypass.values()), bypass
    honest_keeps_passing(table)
    reported_off(meta, off)


@needs("landlock", "bwrap")
def test_without_the_file_layers_the_bypass_works_and_the_report_says_so(tmp_path: Path, forced) -> None:
    # proves the layers above are what holds the attack: with both off, it succeeds
    forced("landlock,bwrap")
    root = classroom(tmp_path, **{"bypass.py": "redteam_impl_bypass.py"})
    _, table, meta = grade(root, tmp_path)
    assert {s for s, _ in rows(table, "bypass").values()} == {"pass"}
    reported_off(meta, "landlock,bwrap")
    honest_keeps_passing(table)


# --- 2: processes, the network -----------------------------------------------------------------


@needs("seccomp")
@pytest.mark.parametrize("off", ["", "landlock,bwrap"])
def test_no_process_and_no_socket_can_be_made(tmp_path: Path, forced, off: str) -> None:
    forced(off)
    root = classroom(tmp_path, **{"procs.py": "redteam_processes.py"})
    code, table, meta = grade(root, tmp_path, "--grading", ops="affine,relu,svm_loss,softmax_loss")
    assert code == 1
    procs = rows(table, "procs")
    assert set(procs) == {"affine_forward", "relu_forward", "svm_loss", "softmax_loss"}
    assert {s for s, _ in procs.values()} == {"error"}, procs
    honest_keeps_passing(table)
    assert meta["isolation"]["seccomp"] == "on"
    reported_off(meta, off)


def test_grading_refuses_to_start_without_seccomp(tmp_path: Path, forced, capsys) -> None:
    forced("seccomp")
    root = classroom(tmp_path, **{"procs.py": "redteam_processes.py"})
    assert cli.main(["check", str(root), *FAST, "--grading", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--allow-weak-isolation" in err[0] and "seccomp" in err[0], err
    assert not (tmp_path / "out").exists()


def test_weak_isolation_when_allowed_is_reported(tmp_path: Path, forced) -> None:
    forced("seccomp")
    root = classroom(tmp_path, **{"procs.py": "redteam_processes.py"})
    _, table, meta = grade(root, tmp_path, "--grading", "--allow-weak-isolation")
    reported_off(meta, "seccomp")
    assert rows(table, "procs")["relu_forward"][0] == "pass"  # fork works now: the layer was what held it
    honest_keeps_passing(table)


# --- 3: private import paths -------------------------------------------------------------------


@pytest.mark.parametrize("off", ["", "landlock,bwrap,seccomp"])
def test_a_students_module_never_shadows_anothers_import(tmp_path: Path, forced, monkeypatch, off: str) -> None:
    forced(off)
    root = classroom(tmp_path, **{"colorsys.py": "redteam_shadow_module.py", "victim.py": "redteam_shadow_victim.py"})
    monkeypatch.chdir(root)  # graders often run from the batch folder itself
    _, table, meta = grade(root, tmp_path)
    assert {s for s, _ in rows(table, "victim").values()} == {"pass"}, rows(table, "victim")
    honest_keeps_passing(table)
    reported_off(meta, off)


# --- 7: reply frames ----------------------------------------------------------------------------


def hostile_frame(specs: list[list], payload: bytes) -> tuple[bytes, bytes]:
    return json.dumps({"ok": True, "_arrays": specs}).encode(), payload


def test_a_frame_whose_arrays_all_point_at_one_payload_is_refused_before_copying() -> None:
    payload = bytes(8 << 20)  # 8 MB; 200 descriptions of it would decode to 1.6 GB
    body, payload = hostile_frame([[f"a{i}", "<f8", [1 << 20], 0, 8 << 20] for i in range(200)], payload)
    tracemalloc.start()
    try:
        with pytest.raises(protocol.ProtocolError, match="more bytes than the payload"):
            protocol.decode(body, payload)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20  # nothing was copied


@pytest.mark.parametrize(
    ("specs", "words"),
    [
        ([["a", "<f8", [2], 0, 16], ["b", "<f8", [2], 8, 16]], "overlap"),  # fits in 24 bytes, shares 8
        ([["a", "<f8", [3], 0, 24], ["b", "<f8", [2], 16, 16]], "more bytes"),
        ([["a", "<f8", [1], 0, 8], ["a", "<f8", [1], 8, 8]], "twice"),
    ],
)
def test_overlapping_or_oversized_arrays_are_refused(specs: list, words: str) -> None:
    with pytest.raises(protocol.ProtocolError, match=words):
        protocol.decode(*hostile_frame(specs, bytes(32)))


def test_decoded_bytes_never_exceed_the_payload() -> None:
    arrays = {f"a{i}": np.full(i + 1, float(i)) for i in range(5)}
    data = protocol.pack({}, arrays)
    size = protocol.parse_head(data[: protocol.HEAD.size], protocol.Limits())[0]
    payload = data[protocol.HEAD.size + size :]
    _, back = protocol.decode(data[protocol.HEAD.size : protocol.HEAD.size + size], payload)
    assert sum(a.nbytes for a in back.values()) <= len(payload)
    assert all(np.array_equal(back[k], v) for k, v in arrays.items())  # an honest frame still decodes
    with pytest.raises(protocol.ProtocolError, match="overlap"):  # the shared input file too
        protocol.shared_arrays([["x", "<f8", [2], 0, 16], ["y", "<f8", [1], 8, 8]], bytearray(24))


# --- 8: a wall budget per submission -----------------------------------------------------------


def test_a_slow_submission_ends_at_its_budget(tmp_path: Path) -> None:
    root = classroom(tmp_path, **{"slow.py": "redteam_slow.py"})
    started = time.monotonic()
    _, table, _ = grade(root, tmp_path, "--timeout", "0.6", "--submission-timeout", "2", "--cases", "3")
    elapsed = time.monotonic() - started
    assert rows(table, "slow")["relu_forward"] == ("error", "timeout")
    assert elapsed < 30, elapsed  # every call at 0.5 s: without the budget, minutes
    results = pd.read_csv(tmp_path / "out" / "results.csv")
    spent = results[results["message"].str.contains("time budget of 2 s", na=False)]
    assert len(spent) >= 3 and set(spent["diagnosis"]) == {"timeout"} and set(spent["status"]) == {"error"}
    honest_keeps_passing(table)


# --- 11: changed inputs are seen by the parent -------------------------------------------------


@pytest.mark.parametrize("off", ["", "seccomp,landlock,bwrap,caps,no_new_privs"])
def test_patching_the_reply_does_not_hide_a_changed_input(tmp_path: Path, forced, off: str) -> None:
    forced(off)
    root = classroom(tmp_path, **{"mutant.py": "redteam_hide_mutation.py"})
    _, table, meta = grade(root, tmp_path)
    assert rows(table, "mutant")["relu_forward"] == ("error", "input_mutated")
    honest_keeps_passing(table)
    reported_off(meta, off)


def test_the_graders_environment_does_not_reach_the_worker(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SECRET_TOKEN", "hunter2")
    root = classroom(tmp_path, **{"env.py": "redteam_environment.py"})
    _, table, _ = grade(root, tmp_path)
    assert {s for s, _ in rows(table, "env").values()} == {"pass"}, rows(table, "env")


# --- 13: the parent's memory ---------------------------------------------------------------------


def grade_in_a_fresh_process(root: Path, tmp_path: Path, off: str) -> tuple[pd.DataFrame, dict]:
    """In a new process: the parent's non-dumpable flag is per process, and this test process
    may already have set it."""
    env = {**os.environ, confine.OFF_ENV: off}
    code = "import os, sys; os.environ['GRADVERIFY_TEST_PARENT'] = str(os.getpid()); "
    code += "from gradverify.cli.main import main; sys.exit(main(sys.argv[1:]))"
    argv = ["check", str(root), "--ops", "relu", *FAST, "--out", str(tmp_path / "out")]
    subprocess.run([sys.executable, "-c", code, *argv], env=env, capture_output=True, timeout=300)
    meta = json.loads((tmp_path / "out" / "run.json").read_text())
    return pd.read_csv(tmp_path / "out" / "batch.csv"), meta


@pytest.mark.parametrize(
    "off",
    [
        "",
        pytest.param("landlock,bwrap", marks=needs("caps", "dumpable")),  # caps and the non-dumpable parent
        pytest.param("landlock,bwrap,dumpable", marks=needs("caps")),  # a worker with fewer capabilities
    ],
)
def test_the_parents_memory_is_out_of_reach(tmp_path: Path, off: str) -> None:
    root = classroom(tmp_path, **{"peek.py": "redteam_parent_memory.py"})
    table, meta = grade_in_a_fresh_process(root, tmp_path, off)
    peek = rows(table, "peek")
    assert peek and {s for s, _ in peek.values()} == {"error"}, peek
    honest_keeps_passing(table)
    reported_off(meta, off)


@pytest.mark.skipif(os.geteuid() != 0, reason="for a root grader; a non-root worker is held by the non-dumpable flag")
def test_a_root_worker_with_its_capabilities_reads_the_parent(tmp_path: Path) -> None:
    # the control: CAP_SYS_PTRACE overrides the non-dumpable flag, so for a root grader the
    # caps layer is what holds the attack, and without it the attack succeeds (reported)
    root = classroom(tmp_path, **{"peek.py": "redteam_parent_memory.py"})
    table, meta = grade_in_a_fresh_process(root, tmp_path, "landlock,bwrap,caps")
    assert {s for s, _ in rows(table, "peek").values()} == {"pass"}
    reported_off(meta, "landlock,bwrap,caps")
