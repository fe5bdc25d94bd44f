"""Landlock, called through its three syscalls with ctypes: the kernel ABI is stable and
small, while the PyPI bindings are either alpha pre-releases without network/scope support
(``landlock``) or months-old single-vendor betas.

``plan`` turns read, write and hidden folders into (path, rights) rules; ``restrict`` applies
them to the calling thread: reads only below the read folders (minus the hidden ones), writes
only below the write folders, no TCP bind/connect (ABI 4), no signals to processes outside the
domain and no abstract unix sockets (ABI 6). Nothing may be executed.
"""

from __future__ import annotations

import ctypes
import os
import stat
from typing import NoReturn

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class Unavailable(Exception):
    """The running kernel has no Landlock."""


class BadPaths(ValueError):
    """A read, write or hidden folder that contradicts another."""


def _raise_errno(what: str) -> NoReturn:
    e = ctypes.get_errno()
    raise OSError(e, f"{what}: {os.strerror(e)}")


def _syscall(nr: int, *args: object) -> int:
    # Variadic call: wrap ints so they are passed as full 64-bit words.
    conv = [ctypes.c_long(a) if isinstance(a, int) else a for a in args]
    return int(_libc.syscall(ctypes.c_long(nr), *conv))


# Syscall numbers 444-446 are the same on every architecture (unified table).
_LL_CREATE, _LL_ADD_RULE, _LL_RESTRICT = 444, 445, 446
_LL_CREATE_RULESET_VERSION, _LL_RULE_PATH_BENEATH = 1, 1
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1, 2, 4, 8
FS_REMOVE_DIR, FS_REMOVE_FILE, FS_MAKE_DIR, FS_MAKE_REG = 16, 32, 128, 256
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_FS_ONLY_FILE = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
_FS_READ = FS_READ_FILE | FS_READ_DIR  # no EXECUTE: nothing may be exec'd
_FS_WRITE = (
    _FS_READ | FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE_DIR | FS_MAKE_REG | FS_REFER | FS_TRUNCATE
)  # no sockets/fifos/devices/symlinks
_NET_TCP = 1 | 2  # BIND_TCP | CONNECT_TCP (ABI 4)
_SCOPE_ALL = 1 | 2  # ABSTRACT_UNIX_SOCKET | SIGNAL (ABI 6): no signalling the parent
# Harmless devices that library code opens; never ioctl-able (IOCTL_DEV not granted).
_DEVICES = {
    "/dev/null": FS_READ_FILE | FS_WRITE_FILE,
    "/dev/zero": FS_READ_FILE,
    "/dev/urandom": FS_READ_FILE,
    "/dev/random": FS_READ_FILE,
}


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # the kernel struct is __attribute__((packed)): 12 bytes
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi() -> int:
    """Landlock ABI version of the running kernel, 0 if Landlock is off."""
    return max(_syscall(_LL_CREATE, None, 0, _LL_CREATE_RULESET_VERSION), 0)


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def split_read_tree(root: str, hidden: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Landlock cannot subtract, so grant ``root`` minus ``hidden`` piecewise.

    Returns (fully readable paths, list-only dirs). Dirs on the way down to a
    hidden path only get READ_DIR, which is inherited by their subtree: the
    hidden folder's *names* stay listable, its file contents do not.
    """
    hid = [os.path.realpath(h) for h in hidden]
    full: list[str] = []
    listed: list[str] = []
    seen: set[str] = set()

    def walk(d: str) -> None:
        if d in seen:
            return
        seen.add(d)
        listed.append(d)
        for entry in os.scandir(d):
            p = os.path.realpath(entry.path)  # a symlink grants its target: judge that
            if any(_under(p, h) for h in hid):
                continue
            if any(_under(h, p) for h in hid):
                walk(p)
            else:
                full.append(p)

    r = os.path.realpath(root)
    if any(_under(r, h) for h in hid):
        raise BadPaths(f"read path {root} lies inside a hidden path")
    if any(_under(h, r) for h in hid):
        walk(r)
    else:
        full.append(r)
    return full, listed


def _add_rule(ruleset_fd: int, path: str, access: int) -> None:
    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            access &= _FS_ONLY_FILE  # the kernel rejects dir rights on a file
        attr = _PathBeneathAttr(access, fd)
        if _syscall(_LL_ADD_RULE, ruleset_fd, _LL_RULE_PATH_BENEATH, ctypes.byref(attr), 0) < 0:
            _raise_errno(f"landlock_add_rule({path})")
    finally:
        os.close(fd)


def check_paths(write: tuple[str, ...], hidden_paths: tuple[str, ...]) -> None:
    """``BadPaths`` if a writable folder overlaps a hidden one."""
    hidden = [os.path.realpath(h) for h in hidden_paths]
    for w in map(os.path.realpath, write):
        if any(_under(w, h) or _under(h, w) for h in hidden):
            raise BadPaths(f"write path {w} overlaps a hidden path")


def plan(read: tuple[str, ...], write: tuple[str, ...], hidden: tuple[str, ...]) -> list[tuple[str, int]]:
    """(path, rights) rules, computed before any layer is applied so that a bad
    config fails early. Missing read paths (e.g. no /lib64) are skipped."""
    check_paths(write, hidden)
    rules: list[tuple[str, int]] = []
    for root in filter(os.path.exists, read):
        full, listed = split_read_tree(root, hidden)
        rules += [(p, _FS_READ) for p in full] + [(p, FS_READ_DIR) for p in listed]
    rules += [(d, a) for d, a in _DEVICES.items() if os.path.exists(d)]
    for w in write:
        if not os.path.isdir(w):
            raise BadPaths(f"write path {w} is not a directory")
        rules.append((w, _FS_WRITE))
    return rules


def restrict(rules: list[tuple[str, int]]) -> None:
    """Confine the calling thread (and the threads it starts later) to ``rules``."""
    abi = landlock_abi()
    if abi < 1:
        raise Unavailable(f"kernel has no Landlock ({os.strerror(ctypes.get_errno())})")
    handled = (1 << 13) - 1  # ABI 1 rights
    handled |= (FS_REFER if abi >= 2 else 0) | (FS_TRUNCATE if abi >= 3 else 0)
    handled |= FS_IOCTL_DEV if abi >= 5 else 0
    attr = _RulesetAttr(handled, _NET_TCP if abi >= 4 else 0, _SCOPE_ALL if abi >= 6 else 0)
    size = 8 if abi < 4 else 16 if abi < 6 else 24  # older kernels reject unknown fields
    rs = _syscall(_LL_CREATE, ctypes.byref(attr), size, 0)
    if rs < 0:
        _raise_errno("landlock_create_ruleset")
    try:
        for path, access in rules:
            _add_rule(rs, path, access & handled)
        if _syscall(_LL_RESTRICT, rs, 0) < 0:
            _raise_errno("landlock_restrict_self")
    finally:
        os.close(rs)
