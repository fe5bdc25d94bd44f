"""The worker's isolation layers (``gradverify.usercode.sandbox.isolation``): each one really
holds off what it should and lets numeric code work. Every layer is applied in a child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gradverify.usercode.sandbox import isolation as iso
from gradverify.usercode.sandbox import landlock

AVAILABLE = iso.available_layers()

# Child: apply the layers, then try everything a malicious submission might.
CHILD = r"""
import json, os, socket, subprocess, sys, threading
from gradverify.usercode.sandbox import isolation as iso
arg = json.loads(sys.argv[1])
taskfd = os.open("/proc/self/task", os.O_RDONLY | os.O_DIRECTORY)  # counted after Landlock
cfg = iso.IsolationConfig(read_paths=tuple(arg["read"]), write_paths=tuple(arg["write"]),
                          hidden_paths=tuple(arg["hidden"]), disable=frozenset(arg["disable"]))
out = {"report": iso.apply_in_child(cfg)}

def check(name, fn):
    try:
        out[name] = ["ok", fn()]
    except BaseException as exc:
        out[name] = ["err", f"{type(exc).__name__}: {exc}"]

def fork():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid

def numpy():
    import numpy as np
    a = np.random.default_rng(0).random((400, 400))
    return float((a @ a.T).trace())

def thread():
    box = []
    t = threading.Thread(target=lambda: box.append(1)); t.start(); t.join()
    return box

def scratch():
    p = os.path.join(arg["write"][0], "out.txt")
    with open(p, "w") as fh:
        fh.write("hello")
    return open(p).read()

check("numpy", numpy)
check("blas_threads", lambda: len(os.listdir(taskfd)))
check("thread", thread)
check("fork", fork)
check("subprocess", lambda: subprocess.run(["true"]).returncode)
check("system", lambda: os.system("true"))
for fam in ("AF_INET", "AF_INET6", "AF_PACKET", "AF_UNIX"):
    check("socket_" + fam, lambda: socket.socket(getattr(socket, fam)).close())
check("socketpair", lambda: [s.close() for s in socket.socketpair()])
check("interfaces", lambda: sorted(n for _, n in socket.if_nameindex()))
check("read_hidden", lambda: open(arg["hidden_file"]).read())
check("list_hidden", lambda: os.listdir(os.path.dirname(arg["hidden_file"])))
check("read_submission", lambda: open(arg["submission_file"]).read())
check("read_etc_passwd", lambda: open("/etc/passwd").read(10))
check("write_outside", lambda: open(arg["outside_file"], "w").write("x"))
check("write_scratch", scratch)
check("signal_parent", lambda: os.kill(os.getppid(), 0))
check("parent_mem", lambda: open(f"/proc/{os.getppid()}/mem", "rb").close())
print(json.dumps(out), flush=True)
try:
    os.execv("/bin/true", ["true"])  # success replaces us: no second line
except OSError as exc:
    print(json.dumps({"execve": ["err", str(exc)]}), flush=True)
"""


def run_child(
    code: str, arg: dict[str, Any], prefix: list[str] | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    if env is None:  # BLAS may start its threads (other tests of this session limit them to one)
        env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
        env["OPENBLAS_NUM_THREADS"] = "2"
    return subprocess.run(
        [*(prefix or []), sys.executable, "-c", code, json.dumps(arg)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("iso")
    for d in ("submission", "scratch", "hidden", "outside"):
        (base / d).mkdir()
    (base / "hidden" / "impl.py").write_text("SECRET = 42\n")
    (base / "submission" / "student.py").write_text("def f(x): return x\n")
    return {
        "read": iso.default_read_paths() + [str(base / "submission")],
        "write": [str(base / "scratch")],
        "hidden": [str(base / "hidden")],
        "hidden_file": str(base / "hidden" / "impl.py"),
        "submission_file": str(base / "submission" / "student.py"),
        "outside_file": str(base / "outside" / "x.txt"),
        "disable": [],
    }


# mode -> (layers kept, run under bwrap)
MODES = {
    "seccomp": ({"seccomp"}, False),
    "landlock": ({"landlock"}, False),
    "inproc_all": ({"seccomp", "landlock"}, False),
    "bwrap": (set(), True),
    "bwrap_all": ({"seccomp", "landlock"}, True),
}
_results: dict[str, dict[str, Any]] = {}


def results(mode: str, tree: dict[str, Any]) -> dict[str, Any]:
    keep, under_bwrap = MODES[mode]
    for layer in keep | ({"bwrap"} if under_bwrap else set()):
        if AVAILABLE[layer] is not True:
            pytest.skip(f"{layer}: {AVAILABLE[layer]}")
    if mode not in _results:
        off = {"seccomp", "landlock"} - keep | (set() if under_bwrap else {"bwrap"})
        outside = str(Path(tree["outside_file"]).with_name(mode))  # per mode: no cross-talk
        arg = dict(tree, outside_file=outside, disable=sorted(off))
        cfg = iso.IsolationConfig(write_paths=tuple(tree["write"]), hidden_paths=tuple(tree["hidden"]))
        r = run_child(CHILD, arg, iso.bwrap_argv(cfg) if under_bwrap else None)
        lines = r.stdout.strip().splitlines()
        assert r.returncode == 0 and lines, r.stderr
        _results[mode] = json.loads(lines[0])
        _results[mode]["execve"] = json.loads(lines[1])["execve"] if len(lines) > 1 else ["ok"]
    return _results[mode]


@pytest.mark.parametrize("mode", MODES)
def test_layers_reported_as_applied(mode: str, tree: dict[str, Any]) -> None:
    keep, under_bwrap = MODES[mode]
    report = results(mode, tree)["report"]
    for layer in ("no_new_privs", "caps", *keep):
        assert report[layer] is True, (layer, report)
    for layer in {"seccomp", "landlock"} - keep:
        assert report[layer] == "off: disabled by config"
    assert (report["bwrap"] is True) == under_bwrap


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("check", ["numpy", "thread", "socketpair", "write_scratch", "read_submission"])
def test_needed_things_still_work(mode: str, check: str, tree: dict[str, Any]) -> None:
    assert results(mode, tree)[check][0] == "ok", results(mode, tree)[check]


@pytest.mark.parametrize("mode", MODES)
def test_blas_threads_start(mode: str, tree: dict[str, Any]) -> None:
    out = results(mode, tree)
    n = out["blas_threads"]
    assert n[0] == "ok" and n[1] >= min(2, os.cpu_count() or 1), n  # OpenBLAS pool started
    assert out["write_scratch"][1] == "hello"


@pytest.mark.parametrize("mode", [m for m in MODES if "seccomp" in MODES[m][0]])
@pytest.mark.parametrize(
    "check", ["fork", "subprocess", "execve", "socket_AF_INET", "socket_AF_INET6", "socket_AF_PACKET", "socket_AF_UNIX"]
)
def test_seccomp_denies(mode: str, check: str, tree: dict[str, Any]) -> None:
    assert results(mode, tree)[check][0] == "err", results(mode, tree)[check]


@pytest.mark.parametrize("mode", [m for m in MODES if "seccomp" in MODES[m][0]])
def test_os_system_fails(mode: str, tree: dict[str, Any]) -> None:
    status = results(mode, tree)["system"]
    assert status[0] == "err" or status[1] != 0, status


@pytest.mark.parametrize("mode", [m for m in MODES if MODES[m][0] & {"landlock"} or MODES[m][1]])
@pytest.mark.parametrize("check", ["read_hidden", "list_hidden", "write_outside"])
def test_files_confined(mode: str, check: str, tree: dict[str, Any]) -> None:
    outcome = results(mode, tree)[check]
    # Under bwrap alone the hidden dir is an empty tmpfs: listing it shows nothing.
    assert outcome[0] == "err" or outcome == ["ok", []], outcome
    assert not Path(tree["outside_file"]).with_name(mode).exists()


@pytest.mark.parametrize("mode", ["landlock", "inproc_all"])
@pytest.mark.parametrize("check", ["read_etc_passwd", "signal_parent", "parent_mem"])
def test_landlock_denies_rest(mode: str, check: str, tree: dict[str, Any]) -> None:
    assert results(mode, tree)[check][0] == "err", results(mode, tree)[check]


def test_bwrap_alone_has_no_network(tree: dict[str, Any]) -> None:
    assert results("bwrap", tree)["interfaces"] == ["ok", ["lo"]]


def test_unfiltered_control(tree: dict[str, Any]) -> None:
    """Sanity: with seccomp and Landlock off, the same checks succeed."""
    r = run_child(CHILD, dict(tree, disable=["bwrap", "seccomp", "landlock"]))
    out = json.loads(r.stdout.splitlines()[0])
    for check in ("fork", "socket_AF_INET", "read_hidden", "write_outside"):
        assert out[check][0] == "ok", (check, out[check])
    assert out["system"] == ["ok", 0]
    assert len(r.stdout.splitlines()) == 1  # execve succeeded
    os.unlink(tree["outside_file"])


I386_SYSCALL = r"""
import ctypes, mmap, os, sys
from gradverify.usercode.sandbox import isolation as iso
if sys.argv[1] == "filter":
    iso.apply_in_child(iso.IsolationConfig(disable=frozenset({"bwrap", "landlock"}),
                                           require=frozenset({"seccomp"})))
# mov eax, 20 (i386 getpid); int 0x80; ret -- the 32-bit ABI has other numbers
code = bytes([0xB8, 20, 0, 0, 0, 0xCD, 0x80, 0xC3])
m = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
m.write(code)
fn = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(m)))
print(fn() == os.getpid())
"""


@pytest.mark.skipif(AVAILABLE["seccomp"] is not True, reason=str(AVAILABLE["seccomp"]))
def test_other_abi_syscalls_kill() -> None:
    control = subprocess.run([sys.executable, "-c", I386_SYSCALL, "none"], capture_output=True, text=True)
    if control.returncode != 0 or control.stdout.strip() != "True":
        pytest.skip("no 32-bit syscall entry on this kernel")
    r = subprocess.run([sys.executable, "-c", I386_SYSCALL, "filter"], capture_output=True, text=True)
    assert r.returncode == -31, (r.returncode, r.stdout, r.stderr)  # SIGSYS


# ------------------------------------------------------------ degrade paths
DEGRADE = r"""
import json, os, sys
if sys.argv[1] == "no_bindings":
    sys.modules["seccomp"] = sys.modules["pyseccomp"] = None  # import now fails
from gradverify.usercode.sandbox import isolation as iso
from gradverify.usercode.sandbox import landlock
if sys.argv[1] == "no_landlock":
    landlock.landlock_abi = lambda: 0
req = frozenset(json.loads(sys.argv[2]))
try:
    rep = iso.apply_in_child(iso.IsolationConfig(disable=frozenset({"bwrap"}), require=req))
except iso.IsolationError as exc:
    rep = {"error": str(exc)}
print(json.dumps(rep))
"""


def degrade(how: str, require: list[str]) -> dict[str, Any]:
    r = subprocess.run([sys.executable, "-c", DEGRADE, how, json.dumps(require)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def test_missing_bindings_reported() -> None:
    rep = degrade("no_bindings", [])
    assert rep["seccomp"].startswith("off: unavailable: no seccomp bindings")
    assert rep["landlock"] is True


def test_missing_landlock_reported() -> None:
    rep = degrade("no_landlock", [])
    assert rep["landlock"].startswith("off: unavailable: kernel has no Landlock")
    assert degrade("no_landlock", ["landlock"])["error"].startswith("required layer landlock")


def test_disabled_layer_is_off_and_really_off(tree: dict[str, Any]) -> None:
    r = run_child(CHILD, dict(tree, disable=["bwrap", "landlock"]))
    out = json.loads(r.stdout.splitlines()[0])
    assert out["report"]["landlock"] == "off: disabled by config"
    assert out["read_hidden"] == ["ok", "SECRET = 42\n"]  # nothing pretends otherwise
    if AVAILABLE["seccomp"] is True:
        assert out["fork"][0] == "err"  # the other layers still hold


def test_require_bwrap_outside_bwrap_raises() -> None:
    assert "required layer bwrap" in degrade("plain", ["bwrap"])["error"]


def test_available_layers_has_no_side_effects() -> None:
    assert set(AVAILABLE) == set(iso.LAYERS)
    assert all(v is True or isinstance(v, str) for v in AVAILABLE.values())
    # in a fresh process: this one may already be a non-dumpable parent of check workers
    code = (
        "from pathlib import Path\nfrom gradverify.usercode.sandbox import isolation as iso\n"
        "iso._probe_cached.cache_clear(); iso.available_layers()\n"
        "s = Path('/proc/self/status').read_text()\n"
        "print('NoNewPrivs:\\t0' in s, 'Seccomp:\\t0' in s, iso._prctl(iso.PR_GET_DUMPABLE))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.split() == ["True", "True", "1"], r.stderr


def test_probe_info() -> None:
    info = iso.probe_info()
    if AVAILABLE["landlock"] is True:
        assert int(str(info["landlock_abi"])) >= 1
    if AVAILABLE["seccomp"] is True:
        assert "libseccomp 2." in str(info["seccomp"])


# ------------------------------------------------- hidden inside a read tree
def test_split_read_tree(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b.txt").write_text("b")
    (tmp_path / "sub" / "hidden").mkdir(parents=True)
    (tmp_path / "sub" / "keep.txt").write_text("k")
    (tmp_path / "sub" / "sneaky").symlink_to(tmp_path / "sub" / "hidden")
    full, listed = landlock.split_read_tree(str(tmp_path), (str(tmp_path / "sub" / "hidden"),))
    assert sorted(full) == sorted([str(tmp_path / "a"), str(tmp_path / "b.txt"), str(tmp_path / "sub" / "keep.txt")])
    assert sorted(listed) == [str(tmp_path), str(tmp_path / "sub")]
    with pytest.raises(landlock.BadPaths):
        landlock.split_read_tree(str(tmp_path / "sub" / "hidden"), (str(tmp_path / "sub"),))


INSIDE = r"""
import json, os, sys
from gradverify.usercode.sandbox import isolation as iso
root = sys.argv[1]
iso.apply_in_child(iso.IsolationConfig(
    read_paths=tuple(iso.default_read_paths()) + (root,),
    hidden_paths=(os.path.join(root, "pkg", "impl"),), disable=frozenset({"bwrap"}),
    require=frozenset({"landlock"})))
out = {}
for name, p in [("keep", "pkg/api.py"), ("other", "numpy_like/x.py"),
                ("hidden", "pkg/impl/ref.py")]:
    try:
        out[name] = open(os.path.join(root, p)).read()
    except OSError as exc:
        out[name] = type(exc).__name__
out["hidden_names"] = os.listdir(os.path.join(root, "pkg", "impl"))
import numpy
print(json.dumps(out))
"""


@pytest.mark.skipif(AVAILABLE["landlock"] is not True, reason=str(AVAILABLE["landlock"]))
def test_hidden_inside_granted_tree(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "impl").mkdir(parents=True)
    (tmp_path / "numpy_like").mkdir()
    (tmp_path / "pkg" / "api.py").write_text("api")
    (tmp_path / "pkg" / "impl" / "ref.py").write_text("secret")
    (tmp_path / "numpy_like" / "x.py").write_text("x")
    r = subprocess.run([sys.executable, "-c", INSIDE, str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["keep"] == "api" and out["other"] == "x"
    assert out["hidden"] == "PermissionError"
    assert out["hidden_names"] == ["ref.py"]  # documented caveat: names stay listable


def test_write_path_overlapping_hidden_rejected(tmp_path: Path) -> None:
    cfg = iso.IsolationConfig(write_paths=(str(tmp_path),), hidden_paths=(str(tmp_path / "h"),))
    hidden = str(tmp_path / "h")
    code = (
        "from gradverify.usercode.sandbox import isolation as iso\n"
        f"cfg = iso.IsolationConfig(write_paths=({str(tmp_path)!r},), hidden_paths=({hidden!r},))\n"
        "try:\n    iso.apply_in_child(cfg)\nexcept iso.IsolationError as e:\n    print('rejected')"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip() == "rejected", r.stderr
    with pytest.raises(iso.IsolationError):
        iso.bwrap_argv(cfg)


# --------------------------------------------------------------- dumpable
DUMPABLE = r"""
import ctypes, os, subprocess, sys
from gradverify.usercode.sandbox import isolation as iso
if sys.argv[2] == "parent_without_caps":  # model an ordinary (non-root) user
    iso._drop_caps()
secret = ctypes.create_string_buffer(b"parent-secret-123")
if sys.argv[1] == "harden":
    iso.make_parent_nondumpable()
reader = '''
import os, sys
from gradverify.usercode.sandbox import isolation as iso
iso.apply_in_child(iso.IsolationConfig(disable=frozenset({"bwrap", "landlock", "seccomp"}),
                                       require=frozenset({"caps"})))  # a plain same-uid process
try:
    with open(f"/proc/{os.getppid()}/mem", "rb") as fh:
        fh.seek(int(sys.argv[1]))
        print(fh.read(17).decode())
except OSError as exc:
    print(type(exc).__name__)
'''
r = subprocess.run([sys.executable, "-c", reader, str(ctypes.addressof(secret))],
                   capture_output=True, text=True)
print(r.stdout.strip() or r.stderr)
"""


def read_parent_mem(mode: str, parent: str) -> str:
    return subprocess.run([sys.executable, "-c", DUMPABLE, mode, parent], capture_output=True, text=True).stdout.strip()


def test_parent_nondumpable_blocks_proc_mem() -> None:
    yama = Path("/proc/sys/kernel/yama/ptrace_scope")
    if not yama.exists() or yama.read_text().strip() == "0":
        # control: without the flag a same-user child really reads the parent's memory
        assert read_parent_mem("plain", "parent_without_caps") == "parent-secret-123"
    assert read_parent_mem("harden", "parent_without_caps") == "PermissionError"


@pytest.mark.skipif(os.geteuid() != 0, reason="only meaningful for a root parent")
def test_caps_layer_alone_protects_root_parent() -> None:
    # A child with fewer capabilities than its root parent may not access it at all.
    assert read_parent_mem("plain", "parent_root") == "PermissionError"


def test_bwrap_argv_shape(tmp_path: Path) -> None:
    (tmp_path / "h").mkdir()
    (tmp_path / "f").write_text("")
    cfg = iso.IsolationConfig(
        write_paths=(str(tmp_path / "s"),), hidden_paths=(str(tmp_path / "h"), str(tmp_path / "f"))
    )
    argv = iso.bwrap_argv(cfg)
    joined = " ".join(argv)
    assert argv[0] == "bwrap" and argv[-1] == "--"
    for flag in (
        "--unshare-all",
        "--die-with-parent",
        "--ro-bind / /",
        "--proc /proc",
        f"--tmpfs {tmp_path / 'h'}",
        f"--ro-bind /dev/null {tmp_path / 'f'}",
        f"--bind {tmp_path / 's'} {tmp_path / 's'}",
    ):
        assert flag in joined
    assert joined.index("--ro-bind / /") < joined.index("--tmpfs " + str(tmp_path / "h"))
