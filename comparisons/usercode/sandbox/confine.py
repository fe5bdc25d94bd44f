"""Parent side: how each worker is confined, and which isolation layers a check had.

``layers`` decides, once per check, which layers workers get: each one the machine offers
(``isolation.available_layers``) unless forced off with ``GRADVERIFY_ISOLATION_OFF``; a layer
that is off always says why. ``config`` is one worker's ``IsolationConfig``: it may read the
Python installation, numpy, gradverify's engine (never ``gradverify.impl`` nor
``gradverify.reference``: the course's solutions are hidden) and its own submission, nothing
else, and it may write only its private scratch folder.

A submission's folder is its own import path and nothing more: a file among other submissions
(a batch folder) gets no folder on its path and may read only itself, so one student's
``past.py`` never replaces the ``past`` package another student's code imports; a package
folder is reached through a link in the scratch folder, so its parent folder (the batch) is not
on the path either.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from gradverify.usercode.sandbox import interpreter, isolation, loader
from gradverify.usercode.sandbox.interpreter import Interpreter

CONFIG_ENV = "GRADVERIFY_ISOLATION"
"""The worker's ``IsolationConfig`` as JSON (``isolation.to_json``)."""

INPUTS_ENV = "GRADVERIFY_INPUTS_FD"
"""The descriptor of the shared file that holds a call's input arrays."""

OFF_ENV = "GRADVERIFY_ISOLATION_OFF"
"""Comma-separated layers to force off (to test degraded isolation); the report says so."""

OWN_SOLUTIONS = ("gradverify.impl", "gradverify.reference")
"""gradverify's packages that hold correct answers: never importable or readable by a worker."""

PROCESS_LAYER = "seccomp"
"""The layer that stops user code from starting processes (and so torch in a child)."""


def forced_off() -> frozenset[str]:
    """The layers ``GRADVERIFY_ISOLATION_OFF`` names; ``ValueError`` for an unknown one."""
    names = frozenset(n.strip() for n in os.environ.get(OFF_ENV, "").split(",") if n.strip())
    unknown = names - set(isolation.LAYERS)
    if unknown:
        raise ValueError(f"{OFF_ENV}: unknown isolation layer {', '.join(sorted(unknown))}")
    return names


def layers(off: frozenset[str] = frozenset(), python: Interpreter | None = None) -> dict[str, str]:
    """``{layer: "on" | "off: why"}`` for the workers of a check on this machine, run by
    ``python`` (default: gradverify's own interpreter)."""
    if not set(isolation.LAYERS) - off:  # the probe costs a process
        found = {}
    else:
        found = python.layers() if python is not None else isolation.available_layers()
    out = {}
    for layer in isolation.LAYERS:
        if layer in off:
            out[layer] = f"off: forced off ({OFF_ENV})"
        elif found.get(layer) is True:
            out[layer] = "on"
        else:
            out[layer] = str(found.get(layer, "off: not probed"))
    return out


def summary(state: dict[str, str]) -> str:
    """One line: ``seccomp, landlock, ... on; bwrap off (why)``."""
    on = [k for k, v in state.items() if v == "on"]
    off = [f"{k} {v}" for k, v in state.items() if v != "on"]
    return "; ".join(p for p in (", ".join(on) + " on" if on else "", "; ".join(off)) if p)


def own_solutions() -> list[str]:
    """The folders of ``gradverify.impl`` and ``gradverify.reference`` (found, not imported)."""
    folders = []
    for name in OWN_SOLUTIONS:
        spec = importlib.util.find_spec(name)
        folders += [os.path.realpath(p) for p in (spec.submodule_search_locations or [])] if spec else []
    return folders


def config(
    target: str, kind: str, alone: bool, scratch: str, state: dict[str, str], python: Interpreter | None = None
) -> tuple[isolation.IsolationConfig, str | None]:
    """One worker's ``IsolationConfig`` for the submission ``target`` of ``kind`` (see
    ``pool.Submission``) run by ``python`` (default: gradverify's own interpreter), and the
    folder to put first on its import path (``None``: none; ``""``: the current folder, for a
    module name)."""
    engine = str(interpreter.engine_folder())
    if python is None or python.own:
        read = [*isolation.default_read_paths(("numpy",)), engine]
    else:  # its own installation and numpy, and what its source tree links to
        read = [*python.read_paths, *interpreter.tree_read_paths()]
    path: str | None
    if kind == "file":
        file = Path(target).resolve()
        read.append(str(file if alone else file.parent))
        path = None if alone else str(file.parent)
    elif kind == "folder":
        root = Path(target).resolve()
        read.append(str(root))
        path = str(root)
        if loader.is_package(root):
            # a package is imported by its name: a link to it alone, not its parent folder
            link = Path(scratch, "path")
            link.mkdir()
            (link / root.name).symlink_to(root)
            path = str(link)
    else:
        read.append(os.getcwd())
        path = ""
    child = set(isolation.CHILD_LAYERS)
    on = frozenset(k for k, v in state.items() if v == "on" and k in child)
    cfg = isolation.IsolationConfig(
        read_paths=tuple(read),
        write_paths=(scratch,),
        hidden_paths=tuple(own_solutions()),
        disable=frozenset(child - on),
        require=on,
    )
    if state.get("dumpable") == "on":
        isolation.make_parent_nondumpable()  # before the worker exists: it never sees us dumpable
    return cfg, path


KEPT_ENV = ("PATH", "HOME", "LANG", "LANGUAGE", "TZ", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
"""The parent's environment variables a worker gets (with ``LC_*`` and ``GRADVERIFY_*``): no
tokens or passwords of the person running the check reach the checked code."""


def environment() -> dict[str, str]:
    """The worker's environment: a few variables of the parent's, one BLAS thread, no bytecode
    files. Nothing is added to its path: gradverify is importable as an installed package, and
    the repository root (where impl/ and reference/ sit) never is."""
    env = {k: v for k, v in os.environ.items() if k in KEPT_ENV or k.startswith(("LC_", "GRADVERIFY_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    return env
