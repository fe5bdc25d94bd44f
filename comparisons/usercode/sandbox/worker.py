"""The worker process: ``python -m gradverify.usercode.sandbox.worker`` (in another
interpreter, from a source tree: see ``interpreter``).

It imports the user's code and answers the parent's requests, one frame in, one frame out
(see ``protocol``), until its input closes:

- ``load``: set the memory limit, install the import blocker (gradverify's own solutions
  always, autograd libraries in grading mode), import the submission, and list its callables;
- ``resolve``: describe ``--map`` targets such as ``Multiclass_SVM().svm_loss``;
- ``probe``: which of the registry's adapter classes can be built here (without torch);
- ``call``: rebuild the variant's adapter around the user's callables (``bridges.build``),
  run it on the sample, and send back the outputs and the gradients. The sample's arrays are
  views of the shared input file the parent wrote: the parent reads it back to see whether the
  user's code changed them in place, so the worker has nothing to say about that.

Before anything else, the worker confines itself with the isolation layers the parent asked
for (``isolation.apply_in_child``); a layer that cannot be applied stops it.

The channel is moved off the standard streams before any user code runs: requests arrive on
a private copy of stdin and replies leave on a private copy of stdout, while fd 0 becomes
/dev/null and fd 1 joins stderr (the worker's log). A ``print`` in the user's code can
therefore never reach the parent as a reply. Nothing here is trusted by the parent: the user's
code can replace any of it, which is why the parent decodes only plain numbers and computes
every verdict itself.
"""

from __future__ import annotations

import ctypes
import faulthandler
import mmap
import os
import resource
import signal
import sys
import warnings
from typing import Any

import numpy as np

from gradverify.core.adapters import Fault
from gradverify.core.sampling import Sample
from gradverify.usercode.sandbox import bridges, confine, grading, isolation, loader
from gradverify.usercode.sandbox.protocol import (
    ProtocolError,
    decode_static,
    encode_value,
    pack,
    read_frame,
    shared_arrays,
    write_all,
)

LOG_LIMIT_BYTES = 64 << 20
"""Largest file the worker may write (its log included): endless prints end in a dead worker."""


class Channel:
    """The private request and reply descriptors."""

    def __init__(self) -> None:
        self.requests = os.dup(0)
        self.replies = os.dup(1)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.dup2(2, 1)  # prints (Python's, C's, os.write(1, ...)) go to the log


CHANNEL: Channel | None = None


def send(header: dict[str, Any], arrays: dict[str, np.ndarray] | None = None) -> None:
    """Reply to the parent."""
    write_all(CHANNEL.replies, pack(header, arrays))


class Session:
    """The worker's state: the imported submission, resolved targets, the import blocker."""

    def __init__(self) -> None:
        self.loaded: loader.Loaded | None = None
        self.targets: dict[str, Any] = {}
        self.blocker: grading.ImportBlocker | None = None

    def resolve(self, expr: str) -> Any:
        if expr not in self.targets:
            self.targets[expr] = self.loaded.resolve(expr)
        return self.targets[expr]

    def attempts(self) -> list[str]:
        return list(self.blocker.attempts) if self.blocker else []

    def load(self, h: dict[str, Any]) -> tuple[dict[str, Any], dict]:
        memory = int(h["memory_mb"]) << 20
        for limit, value in (
            (resource.RLIMIT_AS, memory),
            (resource.RLIMIT_FSIZE, LOG_LIMIT_BYTES),
            (resource.RLIMIT_CORE, 0),
        ):
            try:
                resource.setrlimit(limit, (value, value))
            except (ValueError, OSError):  # e.g. macOS has no address-space limit: the time limit remains
                pass
        self.blocker = grading.install(autograd=bool(h.get("grading")))
        wanted = [str(n) for n in h.get("wanted", [])]
        path = h.get("path")
        try:
            self.loaded = loader.load(str(h["target"]), str(h["kind"]), wanted, None if path is None else str(path))
        except MemoryError:
            self.loaded = loader.Loaded(errors=[{"module": str(h["target"]), "message": "MemoryError"}])
        return {
            "ok": True,
            "modules": sorted(self.loaded.modules),
            "errors": self.loaded.errors,
            "not_found": self.loaded.not_found,
            "inventory": loader.inventory(self.loaded, wanted),
            "attempts": list(dict.fromkeys(self.attempts())),
        }, {}

    def describe_targets(self, h: dict[str, Any]) -> tuple[dict[str, Any], dict]:
        out = {}
        for expr in h.get("targets", []):
            try:
                out[expr] = loader.describe(expr, self.resolve(str(expr)))
            except loader.ResolveError as e:
                out[expr] = {"error": str(e)}
        return {"ok": True, "resolved": out, "attempts": self.attempts()}, {}

    def probe(self, h: dict[str, Any]) -> tuple[dict[str, Any], dict]:
        """Which adapter classes and helpers named ``module:qualname`` cannot be imported here."""
        failed = {}
        for ref in h.get("refs", []):
            try:
                bridges.import_ref(str(ref))
            except Fault as e:
                failed[str(ref)] = str(e)
        return {"ok": True, "failed": failed}, {}

    def call(self, h: dict[str, Any], arrays: dict[str, np.ndarray]) -> tuple[dict[str, Any], dict]:
        try:
            inputs = shared_arrays(h.get("shared", []), _shared_file())
        except (ProtocolError, OSError, ValueError) as e:
            return {"ok": False, "code": "internal_error", "detail": f"shared inputs: {e}"}, {}
        sample = Sample({name: inputs[name] for name in h["arrays"]}, decode_static(h["static"], arrays))
        upstream = {name: arrays[f"u:{name}"] for name in h.get("upstream", [])}
        before = len(self.attempts())
        try:
            adapter = bridges.build(h["adapter"], arrays, self.resolve)
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if h["method"] == "run":
                    outcome = adapter.run(sample, upstream)
                    outputs, grads = outcome.outputs, outcome.grads
                else:
                    outputs, grads = adapter.forward(sample), {}
        except Fault as e:  # BadReturn from the adapter, or an adapter that cannot be built
            return self._failed(before, e.code, str(e))
        except MemoryError as e:
            return self._failed(before, "memory_exceeded", loader.last_line(e))
        except loader.ResolveError as e:
            return self._failed(before, "exception", str(e))
        except BaseException as e:  # noqa: BLE001 - SystemExit and KeyboardInterrupt too: a result
            return self._failed(before, "exception", loader.last_line(e))
        if len(self.attempts()) > before:
            return self._failed(before, "exception", "")
        try:
            return _reply(outputs, grads)
        except BaseException as e:  # noqa: BLE001 - a returned object that breaks encoding
            return self._failed(before, "exception", loader.last_line(e))

    def _failed(self, before: int, code: str, detail: str) -> tuple[dict[str, Any], dict]:
        attempts = self.attempts()
        if len(attempts) > before:  # the call tried a forbidden import: that is the finding
            return {"ok": False, "code": "forbidden_import", "detail": ", ".join(dict.fromkeys(attempts[before:]))}, {}
        return {"ok": False, "code": code, "detail": detail[:4000]}, {}


def _reply(outputs: Any, grads: Any) -> tuple[dict[str, Any], dict]:
    """Outputs and gradients as plain data."""
    out: dict[str, np.ndarray] = {}
    reply = {
        "ok": True,
        "outputs": {k: encode_value(v, f"o:{k}", out) for k, v in _items(outputs)},
        "grads": {k: encode_value(v, f"g:{k}", out) for k, v in _items(grads)},
    }
    return reply, out


def _shared_file() -> mmap.mmap | None:
    """The shared input file, mapped at its current size (the parent only ever grows it)."""
    fd = int(os.environ.get(confine.INPUTS_ENV, "-1"))
    size = os.fstat(fd).st_size if fd >= 0 else 0
    return mmap.mmap(fd, size) if size else None


def _items(mapping: Any) -> list[tuple[str, Any]]:
    if not isinstance(mapping, dict):
        raise TypeError("the adapter returned no dict")
    return [(str(k), v) for k, v in mapping.items()]


def _die_with_parent() -> None:
    """Ask Linux to kill this process when the parent dies (a hung worker must not linger)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def main() -> int:
    """Serve requests until the parent closes the channel."""
    global CHANNEL
    CHANNEL = Channel()
    sys.dont_write_bytecode = True  # no __pycache__ in students' folders
    _die_with_parent()
    faulthandler.enable()  # a segfault leaves its reason in the log
    config = os.environ.pop(confine.CONFIG_ENV, None)
    try:  # before any user code, and while this process has a single thread (Landlock)
        layers = isolation.apply_in_child(isolation.from_json(config)) if config else {}
    except isolation.IsolationError as e:
        print(f"gradverify worker: isolation failed: {e}", file=sys.stderr, flush=True)
        return 3
    session = Session()
    send({"ready": True, "pid": os.getpid(), "layers": layers})
    handlers = {"load": session.load, "resolve": session.describe_targets, "probe": session.probe, "call": session.call}
    while True:
        message = read_frame(CHANNEL.requests)
        if message is None:
            return 0
        header, arrays = message
        handler = handlers.get(header.get("cmd"))
        if handler is None:
            reply, out = {"ok": False, "code": "internal_error", "detail": f"unknown command {header.get('cmd')!r}"}, {}
        elif header.get("cmd") == "call":
            reply, out = handler(header, arrays)
        else:
            reply, out = handler(header)
        send({**reply, "id": header.get("id")}, out)


if __name__ == "__main__":
    # run the importable module, not this __main__ copy, so there is one CHANNEL and one send
    from gradverify.usercode.sandbox import worker

    raise SystemExit(worker.main())
