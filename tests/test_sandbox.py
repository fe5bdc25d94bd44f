"""The sandbox: the wire format decodes only plain numbers, and the worker process keeps the
user's code away from the verdict (prints, exits, patches, fake arrays, pickle payloads,
hangs, crashes, memory, forbidden imports)."""

from __future__ import annotations

import json
import pickle
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gradverify.core.adapters import LossGrad
from gradverify.core.sampling import Sample
from gradverify.usercode.check import check
from gradverify.usercode.sandbox import confine, protocol
from gradverify.usercode.sandbox.pool import Options, Pool, Submission, WorkerFault
from gradverify.usercode.sandbox.remote import NameStub, RemoteAdapter

SUBMISSIONS = Path(__file__).parent / "submissions"
FAST = dict(cases=1, dtypes="float64")


def errors(frame, column="diagnosis"):
    return dict(frame[frame["status"] == "error"].groupby(["function", column]).size())


# --- the wire format ----------------------------------------------------------------------------


def frame(header: dict, payload: bytes = b"") -> tuple[bytes, bytes]:
    return json.dumps(header).encode(), payload


@settings(max_examples=40)
@given(
    hnp.arrays(
        dtype=st.sampled_from(["f8", "f4", "f2", "i8", "i4", "u1", "?"]),
        shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4),
    )
)
def test_arrays_cross_the_pipe_exactly(a: np.ndarray) -> None:
    data = protocol.pack({"k": 1}, {"x": a})
    hlen, plen = protocol.parse_head(data[: protocol.HEAD.size], protocol.Limits())
    body = data[protocol.HEAD.size : protocol.HEAD.size + hlen]
    header, arrays = protocol.decode(body, data[protocol.HEAD.size + hlen :])
    assert header == {"k": 1} and plen == a.nbytes
    out = arrays["x"]
    assert out.dtype == a.dtype and out.shape == a.shape and out.flags.writeable
    np.testing.assert_array_equal(out, a)


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (["x", "|O", [1], 0, 8], "not a plain numeric dtype"),
        (["x", "[('a', '<f8')]", [1], 0, 8], "not a plain numeric dtype"),
        (["x", ">f8", [1], 0, 8], "not a plain numeric dtype"),
        (["x", "<f8", [2], 0, 8], "disagree"),
        (["x", "<f8", [1], 8, 8], "disagree"),
        (["x", "<f8", [-1], 0, 8], "bad shape"),
        (["x", "<f8", [True], 0, 8], "bad shape"),
        (["x", "<f8", [1] * 40, 0, 8], "bad shape"),
        (["x", "<f8", [1], 0], "bad array description"),
    ],
)
def test_decode_refuses_anything_but_plain_numbers(spec: list, words: str) -> None:
    body, payload = frame({"_arrays": [spec]}, pickle.dumps(np.array([1.0], dtype=object))[:8])
    with pytest.raises(protocol.ProtocolError, match=words):
        protocol.decode(body, payload)


@pytest.mark.parametrize(
    "head",
    [b"PK\x03\x04" + b"\0" * 12, pickle.dumps(object())[:16], protocol.HEAD.pack(b"GVP1", 1 << 30, 0)],
    ids=["zip", "pickle", "huge"],
)
def test_frame_heads_that_are_not_ours_are_refused(head: bytes) -> None:
    with pytest.raises(protocol.ProtocolError):
        protocol.parse_head(head, protocol.Limits())


def test_returned_values_keep_only_their_numbers_or_type_name() -> None:
    class Liar(np.ndarray):
        def __sub__(self, other):
            return np.zeros(self.shape)

    arrays: dict = {}
    sent = {
        "sub": protocol.encode_value(np.arange(3.0).view(Liar), "a", arrays),
        "list": protocol.encode_value([1.0, 2.0], "b", arrays),
        "bool": protocol.encode_value(True, "c", arrays),
        "complex": protocol.encode_value(np.ones(2, dtype=complex), "d", arrays),
        "float": protocol.encode_value(2.5, "e", arrays),
        "int": protocol.encode_value(3, "f", arrays),
        "scalar": protocol.encode_value(np.float32(1.5), "g", arrays),
        "none": protocol.encode_value(None, "h", arrays),
    }
    data = protocol.pack(json.loads(json.dumps(sent)), arrays)
    hlen, _ = protocol.parse_head(data[:16], protocol.Limits())
    header, decoded = protocol.decode(data[16 : 16 + hlen], data[16 + hlen :])
    back = {k: protocol.decode_value(v, decoded) for k, v in header.items()}
    assert type(back["sub"]) is np.ndarray and list(back["sub"]) == [0.0, 1.0, 2.0]
    assert type(back["list"]).__name__ == "list" and isinstance(back["list"], protocol.Unsendable)
    assert isinstance(back["bool"], protocol.Unsendable) and isinstance(back["complex"], protocol.Unsendable)
    assert back["float"] == 2.5 and type(back["float"]) is float and back["int"] == 3
    assert back["scalar"] == np.float32(1.5) and back["none"] is None
    with pytest.raises(protocol.ProtocolError):
        protocol.decode_value({"t": "pickle", "data": "80"}, decoded)


def test_static_arguments_round_trip() -> None:
    static = {"conv_param": {"stride": 2, "pad": (1, 1)}, "bn_param": {"mode": "train", "mean": np.ones(3)}}
    static["dtype"] = np.dtype("float32")
    static["scalar"] = np.float64(0.5)
    arrays: dict = {}
    encoded = json.loads(json.dumps(protocol.encode_static(static, arrays, "s")))
    back = protocol.decode_static(encoded, arrays)
    assert back["conv_param"] == {"stride": 2, "pad": (1, 1)} and back["dtype"] == np.float32
    np.testing.assert_array_equal(back["bn_param"]["mean"], np.ones(3))
    assert back["scalar"] == 0.5


# --- the worker ---------------------------------------------------------------------------------


def remote(pool: Pool, name: str) -> RemoteAdapter:
    fields = {"fn": {"$target": name}, "args": {"$t": ["W", "X", "y", "reg"]}, "wrt": {"$t": ["W"]}}
    fields.update(kwargs={"$t": []}, output="loss")
    return RemoteAdapter(pool, "gradverify.core.adapters:LossGrad", fields, LossGrad(NameStub(name), (), ()), key=name)


def svm_sample() -> Sample:
    rng = np.random.default_rng(0)
    return Sample({"W": rng.normal(size=(3, 4)), "X": rng.normal(size=(5, 3)), "y": np.arange(5) % 4}, {"reg": 0.1})


def test_worker_never_imports_torch_and_pipe_is_fast(tmp_path: Path) -> None:
    user = tmp_path / "probe.py"
    user.write_text("import sys\n\ndef svm_loss_naive(W, X, y, reg):\n    return float('torch' in sys.modules), W\n")
    with Pool(Submission("probe", str(user), "file"), Options(), ["svm_loss_naive"]) as pool:
        pool.load()
        adapter = remote(pool, "svm_loss_naive")
        sample = svm_sample()
        assert adapter.run(sample, {}).outputs["loss"] == 0.0
        start, n = time.perf_counter(), 200
        for _ in range(n):
            adapter.forward(sample)
        rate = n / (time.perf_counter() - start)
    print(f"calls per second over the pipe: {rate:.0f}")
    assert rate > 100


def test_timeout_kills_and_replaces_the_worker() -> None:
    options = Options(timeout=0.5)
    path = SUBMISSIONS / "fault_timeout.py"
    with Pool(Submission("t", str(path), "file"), options, ["softmax_loss_naive"]) as pool:
        pool.load()
        hung = remote(pool, "softmax_loss_naive")
        started = time.perf_counter()
        with pytest.raises(Exception, match="took longer than 0.5 s") as e:
            hung.run(svm_sample(), {})
        assert e.value.code == "timeout" and time.perf_counter() - started < 5
        assert pool.worker is None  # killed; the next request starts a fresh one
        with pytest.raises(Exception, match="was not called again") as again:
            hung.run(svm_sample(), {})
        assert again.value.code == "timeout"
        reply, _ = pool.request({"cmd": "resolve", "targets": ["softmax_loss_naive"]})
        assert reply["ok"] and pool.starts == 2


def test_a_dead_worker_is_reported_with_its_signal() -> None:
    path = SUBMISSIONS / "fault_worker_died.py"
    with Pool(Submission("d", str(path), "file"), Options(), ["svm_loss_naive"]) as pool:
        pool.load()
        with pytest.raises(Exception, match="SIGSEGV") as e:
            remote(pool, "svm_loss_naive").run(svm_sample(), {})
        assert e.value.code == "worker_died"


def test_worker_builds_only_adapters_it_can_import_without_torch() -> None:
    # a spec's adapter class or helper in a module that imports torch cannot run in the worker
    refs = ["gradverify.core.adapters:LossGrad", "gradverify.explanation.stages:capture", "os:system"]
    with Pool(Submission("s", str(SUBMISSIONS / "linear_svm.py"), "file"), Options(), []) as pool:
        pool.load()
        reply, _ = pool.request({"cmd": "probe", "refs": refs})
    assert sorted(reply["failed"]) == ["gradverify.explanation.stages:capture", "os:system"]
    assert "do not import torch" in reply["failed"]["gradverify.explanation.stages:capture"]


def test_worker_that_does_not_start_is_a_fault(monkeypatch) -> None:
    monkeypatch.setattr("gradverify.usercode.sandbox.interpreter.sys.executable", "/bin/false")
    with pytest.raises(WorkerFault) as e:
        Pool(Submission("x", "x.py", "file"), Options(), []).load()
    assert e.value.code == "worker_died"


# --- hostile submissions -----------------------------------------------------------------------


def test_patching_numpy_and_gradverify_in_the_worker_changes_nothing() -> None:
    frame = check(SUBMISSIONS / "hostile_patch_numpy.py", **FAST)
    dW = frame[frame["quantity"] == "dW"]
    assert len(dW) and (dW["status"] == "fail").all()
    assert (frame[frame["quantity"] == "loss"]["status"] == "pass").all()


def test_exiting_in_a_call_is_an_error_not_a_pass() -> None:
    frame = check(SUBMISSIONS / "hostile_exit.py", **FAST)
    assert set(frame["status"]) == {"error"}
    assert set(errors(frame)) == {("svm_loss_naive", "exception"), ("svm_loss_vectorized", "worker_died")}
    assert "SystemExit: 0" in frame[frame["function"] == "svm_loss_naive"]["message"].iloc[0]


def test_exiting_while_imported_is_an_import_error() -> None:
    frame = check(SUBMISSIONS / "hostile_exit_at_import.py", **FAST)
    assert list(frame["diagnosis"]) == ["import_error"]
    assert "exited with status 0" in frame["message"].iloc[0]


def test_prints_and_fake_frames_on_stdout_do_not_reach_the_parent() -> None:
    frame = check(SUBMISSIONS / "hostile_print.py", **FAST)
    naive = frame[frame["function"] == "svm_loss_naive"]
    assert len(naive) and (naive["status"] == "pass").all()
    vectorized = frame[(frame["function"] == "svm_loss_vectorized") & (frame["quantity"] == "dW")]
    assert (vectorized["status"] == "fail").all()


def test_objects_that_pretend_to_be_arrays_are_judged_by_their_numbers() -> None:
    frame = check(SUBMISSIONS / "hostile_fake_arrays.py", **FAST)
    frame = frame[frame["case"] != "gap"]  # a robustness case: a mismatch there is a warning
    grads = frame[frame["quantity"] == "dW"].groupby("function")
    assert set(grads["diagnosis"].first().items()) >= {
        ("svm_loss_naive", "bad_return"),
        ("softmax_loss_naive", "bad_return"),
    }
    assert grads["status"].unique().to_dict() == {
        "svm_loss_naive": ["error"],
        "softmax_loss_naive": ["error"],
        "svm_loss_vectorized": ["fail"],
        "softmax_loss_vectorized": ["fail"],
    }
    assert "ArrayLike" in frame[frame["function"] == "svm_loss_naive"]["message"].str.cat()
    assert (frame[frame["quantity"] == "loss"]["status"] == "fail").all()


def test_a_pickle_payload_in_the_reply_is_never_unpickled(tmp_path: Path, monkeypatch) -> None:
    sentinel, payload = tmp_path / "pwned", tmp_path / "payload"
    monkeypatch.setenv("GRADVERIFY_TEST_SENTINEL", str(sentinel))
    monkeypatch.setenv("GRADVERIFY_TEST_PAYLOAD", str(payload))
    # the fixture keeps its payload and a counter outside its scratch folder, across workers:
    # the file-confining layers are forced off (this test is about the reply decoder)
    monkeypatch.setenv(confine.OFF_ENV, "landlock,bwrap")
    frame = check(SUBMISSIONS / "hostile_pickle_reply.py", cases=2, dtypes="float64")
    assert set(frame["diagnosis"]) == {"bad_reply"} and len(frame) >= 3  # all three kinds of reply
    assert not sentinel.exists()
    # the payload was live: unpickling it (in another process) creates the sentinel
    code = f"import pickle, pathlib; pickle.loads(pathlib.Path({str(payload)!r}).read_bytes())"
    subprocess.run([sys.executable, "-c", code], check=True, env={"GRADVERIFY_TEST_SENTINEL": str(sentinel)})
    assert sentinel.exists()


def test_memory_limit_is_a_memory_exceeded_error() -> None:
    frame = check(SUBMISSIONS / "fault_memory.py", memory_mb=1024, **FAST)
    assert set(errors(frame)) == {("relu_forward", "memory_exceeded")}
    assert "1024 MB" in frame["message"].iloc[0]


# --- grading mode -------------------------------------------------------------------------------


def test_grading_forbids_importing_torch_at_import_time() -> None:
    frame = check(SUBMISSIONS / "grading_import_torch.py", grading=True, **FAST)
    assert list(frame["diagnosis"]) == ["forbidden_import"] and "torch" in frame["message"].iloc[0]


def test_grading_catches_an_import_inside_a_call() -> None:
    frame = check(SUBMISSIONS / "grading_lazy_import.py", grading=True, **FAST)
    calls = frame[frame["quantity"] == "(call)"]
    assert len(calls) and set(calls["diagnosis"]) == {"forbidden_import"}
    assert "jax" in calls["message"].iloc[0]


def test_without_grading_the_lazy_import_is_allowed() -> None:
    frame = check(SUBMISSIONS / "grading_lazy_import.py", **FAST)
    assert (frame["status"] == "pass").all()


def test_grading_sees_torch_loaded_behind_the_blockers_back() -> None:
    frame = check(SUBMISSIONS / "grading_bypass.py", grading=True, memory_mb=16384, timeout=60, **FAST)
    assert list(frame["diagnosis"]) == ["forbidden_import"]
    assert "loaded torch" in frame["message"].iloc[0]


def test_fake_reply_struct_is_what_the_hostile_print_fixture_uses() -> None:
    # the fixture's fake frame must be a well-formed frame, or the test above proves less
    fake = json.dumps({"ok": True}).encode()
    data = b"GVP1" + struct.pack(">IQ", len(fake), 0) + fake
    assert protocol.parse_head(data[:16], protocol.Limits()) == (len(fake), 0)
