"""Layered OS isolation for gradverify's worker process (Linux only).

Child layers, applied by ``apply_in_child`` in this order (seccomp last, so our
own setup syscalls are not filtered): ``bwrap`` (namespaces set up by the
parent's ``bwrap_argv``; the child only reports it), ``no_new_privs`` (needed
by Landlock and seccomp), ``caps`` (drop all capabilities: a root worker would
keep CAP_SYS_PTRACE and bypass the parent's non-dumpable flag), ``landlock``
(file access, see ``landlock``), ``seccomp`` (no fork/exec/sockets/ptrace).
Parent layer: ``dumpable`` (make_parent_nondumpable).

Each layer is reported as True (on) or a str saying why it is off; a layer in
``IsolationConfig.require`` that cannot be applied raises IsolationError.

This module imports only the standard library (and the seccomp bindings, lazily): the worker
applies it before it imports anything else.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import importlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import NoReturn

from gradverify.usercode.sandbox import landlock

Report = dict[str, bool | str]  # True = on; a str = off, and why
CHILD_LAYERS = ("bwrap", "no_new_privs", "caps", "landlock", "seccomp")
LAYERS = CHILD_LAYERS + ("dumpable",)
BWRAP_ENV = "GRADVERIFY_IN_BWRAP"  # set by bwrap_argv so the child can tell


class IsolationError(RuntimeError):
    """Bad configuration, or a required layer could not be applied."""


_Unavailable = landlock.Unavailable  # the mechanism behind a layer is missing on this machine


@dataclass(frozen=True)
class IsolationConfig:
    read_paths: tuple[str, ...] = ()  # read-only trees (see default_read_paths)
    write_paths: tuple[str, ...] = ()  # read-write trees: the private scratch dir
    hidden_paths: tuple[str, ...] = ()  # must stay unreadable, even if inside a read tree
    disable: frozenset[str] = frozenset()  # layers forced off (reported as such)
    require: frozenset[str] = frozenset()  # layers whose absence raises
    allow_unix_sockets: bool = False  # see _seccomp(): off by default


# ---------------------------------------------------------------- libc helpers
_libc = ctypes.CDLL(None, use_errno=True)
if hasattr(_libc, "prctl"):  # Linux; elsewhere every layer reports itself off
    _libc.prctl.restype = ctypes.c_int
    _libc.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4

PR_GET_DUMPABLE, PR_SET_DUMPABLE = 3, 4
PR_CAPBSET_READ, PR_CAPBSET_DROP = 23, 24
PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS = 38, 39
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4


def _prctl(option: int, arg: int = 0) -> int:
    return int(_libc.prctl(option, arg, 0, 0, 0))


def _raise_errno(what: str) -> NoReturn:
    e = ctypes.get_errno()
    raise OSError(e, f"{what}: {os.strerror(e)}")


# --------------------------------------------------------------------- seccomp
CLONE_THREAD, AF_UNIX = 0x10000, 1
# Process creation/exec, cross-process memory access, and kernel surface that
# numeric code never needs (namespaces, mounts, bpf, keyrings, io_uring -- the
# latter can open sockets without the socket() syscall, bypassing our rule).
_DENY = (
    "fork",
    "vfork",
    "execve",
    "execveat",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "pidfd_getfd",
    "unshare",
    "setns",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "open_by_handle_at",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "keyctl",
    "add_key",
    "request_key",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "kexec_load",
    "init_module",
    "finit_module",
    "delete_module",
)


def seccomp_backend() -> ModuleType:
    """libseccomp's own bindings if installed, else the API-compatible pyseccomp."""
    for name in ("seccomp", "pyseccomp"):
        try:
            return importlib.import_module(name)
        except (ImportError, OSError, RuntimeError):  # RuntimeError: no libseccomp.so
            continue
    raise _Unavailable("no seccomp bindings: pip install pyseccomp (needs libseccomp.so.2)")


def _seccomp(cfg: IsolationConfig, sc: ModuleType | _Unavailable) -> None:
    if isinstance(sc, _Unavailable):
        raise sc
    f = sc.SyscallFilter(sc.ALLOW)  # deny-list: an allow-list would break numpy upgrades
    # Syscalls of another ABI (int 0x80 on x86_64) have other numbers: kill them.
    f.set_attr(sc.Attr.ACT_BADARCH, sc.KILL_PROCESS)
    f.set_attr(sc.Attr.CTL_TSYNC, 1)  # also cover threads that already exist
    eperm = sc.ERRNO(errno.EPERM)
    for name in _DENY:
        f.add_rule(eperm, name)
    # Threads use clone(CLONE_THREAD|...); anything else is a new process.
    f.add_rule(eperm, "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_THREAD, 0))
    # clone3 passes flags in memory seccomp cannot read: ENOSYS makes glibc
    # fall back to clone(), which the rule above filters by flags.
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    # AF_UNIX is denied too by default: the worker's channel to the parent is an
    # inherited pipe, and pathname sockets (dbus, docker.sock) are an escape
    # route that neither a net namespace nor Landlock <= ABI 7 closes.
    if cfg.allow_unix_sockets:
        f.add_rule(eperm, "socket", sc.Arg(0, sc.NE, AF_UNIX))
    else:
        f.add_rule(eperm, "socket")
    f.add_rule(eperm, "socketpair", sc.Arg(0, sc.NE, AF_UNIX))  # a pair reaches nobody
    f.load()


# ------------------------------------------------------------- caps, nnp, bwrap
def _drop_caps() -> None:
    with open("/proc/sys/kernel/cap_last_cap") as fh:
        last = int(fh.read())
    for cap in range(last + 1):
        # EPERM here means we lack CAP_SETPCAP, i.e. have nothing to drop.
        if _prctl(PR_CAPBSET_READ, cap) == 1:
            _prctl(PR_CAPBSET_DROP, cap)
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    # header {_LINUX_CAPABILITY_VERSION_3, pid 0 = self}; 2 x {eff, perm, inh} all zero
    hdr, data = (ctypes.c_uint32 * 2)(0x20080522, 0), (ctypes.c_uint32 * 6)()
    if _libc.capset(hdr, data) != 0:
        _raise_errno("capset")
    with open("/proc/self/status") as fh:
        eff = next(line for line in fh if line.startswith("CapEff:"))
    if int(eff.split()[1], 16) != 0:
        raise OSError(errno.EPERM, f"capabilities left: {eff.strip()}")


def _no_new_privs() -> None:
    if _prctl(PR_SET_NO_NEW_PRIVS, 1) != 0 or _prctl(PR_GET_NO_NEW_PRIVS) != 1:
        _raise_errno("PR_SET_NO_NEW_PRIVS")


def _check_bwrap() -> None:
    if os.environ.get(BWRAP_ENV) != "1":
        raise _Unavailable("worker was not started under bwrap_argv()")


def bwrap_argv(cfg: IsolationConfig, bwrap: str = "bwrap") -> list[str]:
    """argv prefix that runs the worker in new user/pid/net/ipc/uts/mount
    namespaces: read-only root, hidden paths masked, scratch read-write."""
    _check_paths(cfg)
    argv = [
        bwrap,
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",  # new pid namespace: the parent is not visible
        "--tmpfs",
        "/run",  # pathname sockets of system daemons live here
        "--setenv",
        BWRAP_ENV,
        "1",
    ]
    for h in filter(os.path.exists, map(os.path.realpath, cfg.hidden_paths)):
        # tmpfs can only cover a dir; a file is masked by an empty /dev/null bind.
        argv += ["--tmpfs", h] if os.path.isdir(h) else ["--ro-bind", "/dev/null", h]
    for w in map(os.path.realpath, cfg.write_paths):
        argv += ["--bind", w, w]
    return argv + ["--"]


def make_parent_nondumpable() -> None:
    """Call in the parent: a same-user worker (without CAP_SYS_PTRACE) can then no
    longer open /proc/<parent>/mem, ptrace it, or read its environ."""
    if _prctl(PR_SET_DUMPABLE, 0) != 0 or _prctl(PR_GET_DUMPABLE) != 0:
        _raise_errno("PR_SET_DUMPABLE")


# --------------------------------------------------------------- public entry
def _check_paths(cfg: IsolationConfig) -> None:
    try:
        landlock.check_paths(cfg.write_paths, cfg.hidden_paths)
    except landlock.BadPaths as e:
        raise IsolationError(str(e)) from None


def to_json(cfg: IsolationConfig) -> str:
    """``cfg`` as text, for the worker's environment."""
    return json.dumps({k: sorted(v) if isinstance(v, frozenset) else v for k, v in vars(cfg).items()})


def from_json(text: str) -> IsolationConfig:
    """The inverse of ``to_json``."""
    raw = json.loads(text)
    sets, tuples = ("disable", "require"), ("read_paths", "write_paths", "hidden_paths")
    return IsolationConfig(
        **{k: frozenset(v) if k in sets else tuple(v) if k in tuples else bool(v) for k, v in raw.items()}
    )


SYSTEM_READ_PATHS = (
    "/usr/lib",
    "/usr/lib64",
    "/lib",
    "/lib64",
    "/etc/ld.so.cache",
    "/etc/localtime",
    "/usr/share/zoneinfo",
    "/sys/devices/system/cpu",
)
"""System libraries and the CPU topology files BLAS uses to size its thread pool."""


def default_read_paths(modules: tuple[str, ...] = ("numpy",)) -> list[str]:
    """What a Python worker needs to read: interpreter prefixes (venv and base),
    the given modules' folders (found without importing them), system libraries
    and the CPU topology files BLAS uses to size its thread pool."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    for mod in modules:
        spec = importlib.util.find_spec(mod)
        for loc in (spec.submodule_search_locations or []) if spec else []:
            paths.add(loc)
            paths.add(loc.rstrip("/") + ".libs")  # auditwheel-vendored .so files
    paths.update(SYSTEM_READ_PATHS)
    return sorted(p for p in paths if os.path.exists(p))


def apply_in_child(cfg: IsolationConfig) -> Report:
    """Apply every layer to the calling process (the worker, before it imports
    user code); return {layer: True | "off: reason"}. Irreversible."""
    try:  # validates the config before anything is applied
        rules = landlock.plan(cfg.read_paths, cfg.write_paths, cfg.hidden_paths)
    except landlock.BadPaths as e:
        raise IsolationError(str(e)) from None
    if "landlock" not in cfg.disable and len(os.listdir("/proc/self/task")) > 1:
        # landlock_restrict_self only binds the calling thread (ABI < 8).
        raise IsolationError("apply_in_child must run before any thread is started")
    backend: ModuleType | _Unavailable
    try:  # import before Landlock: pyseccomp runs ldconfig and opens libseccomp.so
        backend = seccomp_backend()
    except _Unavailable as exc:
        backend = exc
    steps: dict[str, Callable[[], None]] = {  # run in CHILD_LAYERS order: seccomp last
        "bwrap": _check_bwrap,
        "no_new_privs": _no_new_privs,
        "caps": _drop_caps,
        "landlock": lambda: landlock.restrict(rules),
        "seccomp": lambda: _seccomp(cfg, backend),
    }
    report: Report = {}
    for name in CHILD_LAYERS:
        if name in cfg.disable:
            report[name] = "off: disabled by config"
        else:
            try:
                steps[name]()
                report[name] = True
            except _Unavailable as exc:
                report[name] = f"off: unavailable: {exc}"
            except OSError as exc:
                report[name] = f"off: failed: {exc}"
        if name in cfg.require and report[name] is not True:
            raise IsolationError(f"required layer {name} is {report[name]}")
    return report


def _probe() -> dict[str, Report]:
    """Runs in a throw-away subprocess: really applies each layer there."""
    layers: dict[str, bool | str] = {}
    info: Report = {"landlock_abi": str(landlock.landlock_abi())}
    exe = shutil.which("bwrap")
    if exe is None:
        layers["bwrap"] = "off: unavailable: bwrap not installed (apt-get install bubblewrap)"
    else:
        info["bwrap"] = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.strip()
        r = subprocess.run(
            [
                exe,
                "--unshare-all",
                "--die-with-parent",
                "--ro-bind",
                "/",
                "/",
                "--dev",
                "/dev",
                "--proc",
                "/proc",
                "true",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        layers["bwrap"] = (
            True if r.returncode == 0 else (f"off: unavailable: bwrap exit {r.returncode}: {r.stderr.strip()}")
        )
    try:
        sc = seccomp_backend()
        lib = ctypes.CDLL("libseccomp.so.2")
        lib.seccomp_version.restype = ctypes.POINTER(ctypes.c_uint * 3)
        v = lib.seccomp_version().contents
        info["seccomp"] = f"{sc.__name__} {getattr(sc, '__version__', '?')}, libseccomp {v[0]}.{v[1]}.{v[2]}"
    except (_Unavailable, OSError) as exc:
        info["seccomp"] = str(exc)
    try:
        make_parent_nondumpable()
        layers["dumpable"] = True
    except OSError as exc:
        layers["dumpable"] = f"off: failed: {exc}"
    child = apply_in_child(IsolationConfig(disable=frozenset({"bwrap"})))
    child.pop("bwrap")
    return {"layers": {**child, **layers}, "info": info}


@functools.cache
def _probe_cached(launch: tuple[str, ...]) -> dict[str, Report]:
    try:
        r = subprocess.run([*launch, __name__, "--probe"], capture_output=True, text=True, timeout=60, cwd="/")
        return json.loads(r.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]
    except (OSError, subprocess.SubprocessError, ValueError, IndexError) as exc:
        reason = f"off: probe failed: {exc}"
        return {"layers": {n: reason for n in LAYERS}, "info": {}}


def available_layers(launch: tuple[str, ...] = (sys.executable, "-m")) -> dict[str, bool | str]:
    """Which layers work here, probed in a short subprocess (nothing is applied to the
    caller); ``launch`` is the argv that runs a module given by name (``python -m``, or
    another interpreter's, see ``interpreter``). True = available, str = why not."""
    return dict(_probe_cached(tuple(launch))["layers"])


def probe_info(launch: tuple[str, ...] = (sys.executable, "-m")) -> dict[str, bool | str]:
    """Versions found by the same probe: landlock_abi, seccomp, bwrap."""
    return dict(_probe_cached(tuple(launch))["info"])


if __name__ == "__main__" and sys.argv[1:] == ["--probe"]:
    print(json.dumps(_probe()), flush=True)
