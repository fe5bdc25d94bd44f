"""Parent side: the worker process of one submission, started on demand and replaced when it
hangs, dies, runs out of memory or sends something that is not a well-formed reply.

Every exchange has a deadline: the parent writes and reads the pipes with ``select``, so a
worker that stops reading or never answers costs at most the time limit, after which its whole
process group is killed. All exchanges of one submission share a wall budget
(``Options.budget``): a submission whose every call stays just under the limit still ends.
A worker's log (its stderr, and every print of the user's code) goes to a temporary file whose
last lines explain a crash.

Every worker is confined (``confine``): the isolation layers this machine offers, a private
scratch folder, read access to what it needs and to its own submission only. The input arrays
of a call travel in a shared memory file that the parent reads back after the reply, so the
parent, not the worker, sees whether the user's code changed them.
"""

from __future__ import annotations

import fcntl
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradverify.usercode.sandbox import confine, grading, interpreter, isolation
from gradverify.usercode.sandbox.interpreter import Interpreter
from gradverify.usercode.sandbox.protocol import HEAD, Limits, ProtocolError, decode, pack, parse_head

DEFAULT_TIMEOUT_S = 10.0
"""Time limit of one call into the user's code (a forward and backward pass of one case)."""

DEFAULT_MEMORY_MB = 2048
"""Address-space limit of a worker; an interpreter with numpy needs about 150 MB of it."""

STARTUP_S = 60.0
"""Time a fresh worker may take to start (interpreter and numpy), before any user code runs."""

BUDGET_TIMEOUTS = 6
"""A submission's default wall budget, in multiples of the per-call time limit."""


class WorkerFault(Exception):
    """A call that did not produce a reply: ``code`` is the diagnosis."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Options:
    """Limits of the workers of one check. ``submission_timeout`` is the wall time all calls
    of one submission may take together (default ``BUDGET_TIMEOUTS * timeout``);
    ``isolation_off`` names layers forced off (``confine.OFF_ENV`` by default)."""

    timeout: float = DEFAULT_TIMEOUT_S
    memory_mb: int = DEFAULT_MEMORY_MB
    grading: bool = False
    submission_timeout: float | None = None
    isolation_off: frozenset[str] = field(default_factory=confine.forced_off)
    python: str | None = None  # the interpreter of the workers (``--python``; ``None``: gradverify's)

    @property
    def budget(self) -> float:
        return self.submission_timeout if self.submission_timeout is not None else BUDGET_TIMEOUTS * self.timeout


@dataclass(frozen=True)
class Submission:
    """What one worker imports: a ``file``, a ``folder`` or an importable ``module`` name.
    ``alone``: a file among other submissions (a batch folder), so its folder is neither on
    its import path nor readable: only the file itself is."""

    name: str
    target: str
    kind: str
    alone: bool = False


class _Timeout(Exception):
    pass


class _Closed(Exception):
    pass


class _NotStarted(Exception):
    pass


class Worker:
    """One worker process, its pipes, its scratch folder and its shared input file."""

    def __init__(self, limits: Limits, submission: Submission, layers: dict[str, str], python: Interpreter) -> None:
        self.limits = limits
        self.log = tempfile.TemporaryFile()
        self.scratch = tempfile.mkdtemp(prefix="gradverify-worker-")
        if hasattr(os, "memfd_create"):
            self.inputs = os.memfd_create("gradverify-inputs", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
            fcntl.fcntl(self.inputs, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK)  # the worker cannot cut it short
        else:  # not Linux: an unlinked file in the scratch folder
            self.inputs = os.dup(tempfile.TemporaryFile(dir=self.scratch).fileno())
        self.inputs_size = 0
        try:
            s = submission
            config, self.search_path = confine.config(s.target, s.kind, s.alone, self.scratch, layers, python)
            env = confine.environment()
            env.update({confine.CONFIG_ENV: isolation.to_json(config), "TMPDIR": self.scratch})
            env[confine.INPUTS_ENV] = str(self.inputs)
            source = None if python.own else interpreter.source_tree(self.scratch)
            argv = python.command(interpreter.WORKER, source)
            self.bwrapped = layers.get("bwrap") == "on"
            if self.bwrapped:
                argv = isolation.bwrap_argv(config, shutil.which("bwrap") or "bwrap") + argv
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.log,
                env=env,
                pass_fds=(self.inputs,),
                start_new_session=True,  # its own process group: killed as a whole, spared Ctrl-C
            )
        except BaseException:
            self.release()
            raise
        self.write_fd = self.proc.stdin.fileno()
        self.read_fd = self.proc.stdout.fileno()
        os.set_blocking(self.write_fd, False)
        self.pid = self.proc.pid
        try:
            ready, _ = self._receive(time.monotonic() + STARTUP_S)
            if not ready.get("ready"):
                raise ProtocolError("the worker did not start")
            # under bwrap, Popen's child is bwrap: the user's code runs in its descendant
            self.pids = grading.process_tree(self.pid)
        except BaseException as e:
            self.kill()
            tail = self.log_tail()  # e.g. a layer that could not be applied
            self.release()
            if isinstance(e, _Timeout | _Closed | ProtocolError):
                raise _NotStarted(f"{type(e).__name__}: {tail}" if tail else type(e).__name__) from None
            raise

    def share(self, arrays: dict[str, np.ndarray]) -> tuple[list[list[Any]], list[bytes]]:
        """Write input arrays into the shared file; their descriptions and the bytes written."""
        specs, blobs, offset = [], [], 0
        for name, value in arrays.items():
            a = np.asarray(value)
            data = a.tobytes()
            specs.append([name, a.dtype.str, list(a.shape), offset, len(data)])
            blobs.append(data)
            offset += len(data)
        if offset > self.inputs_size:  # grown only: the worker's older mappings stay valid
            os.ftruncate(self.inputs, offset)
            self.inputs_size = offset
        for spec, data in zip(specs, blobs, strict=True):
            os.pwrite(self.inputs, data, spec[3])
        return specs, blobs

    def shared_now(self, spec: list[Any]) -> bytes:
        """The bytes of a shared input as they are now (after the user's code ran)."""
        return os.pread(self.inputs, spec[4], spec[3])

    def exchange(
        self, header: dict[str, Any], arrays: dict[str, np.ndarray] | None, timeout: float
    ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Send one request and read its reply within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        self._send(pack(header, arrays), deadline)
        return self._receive(deadline)

    def _send(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            _, ready, _ = select.select([], [self.write_fd], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise _Timeout
            try:
                view = view[os.write(self.write_fd, view) :]
            except BlockingIOError:
                continue
            except (BrokenPipeError, OSError):
                raise _Closed from None

    def _receive(self, deadline: float) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        header_len, payload_len = parse_head(self._read(HEAD.size, deadline), self.limits)
        body = self._read(header_len, deadline)
        payload = self._read(payload_len, deadline)
        return decode(body, payload, self.limits)

    def _read(self, n: int, deadline: float) -> bytes:
        chunks, got = [], 0
        while got < n:
            ready, _, _ = select.select([self.read_fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise _Timeout
            chunk = os.read(self.read_fd, min(n - got, 1 << 20))
            if not chunk:
                raise _Closed
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def death(self) -> str:
        """How the process ended, with the telling line of its log."""
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.proc.returncode
        if self.bwrapped and code is not None and code > 128:  # bwrap passes a signal on as 128 + number
            code = 128 - code
        if code is not None and code < 0:
            try:
                how = f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"was killed by signal {-code}"
        else:
            how = f"exited with status {code}"
        last = self.log_tail()
        return f"the worker process {how}" + (f" ({last})" if last else "")

    def log_tail(self) -> str:
        """The most telling recent line of the log: a fatal error, else the last line."""
        try:
            self.log.seek(max(0, self.log.seek(0, os.SEEK_END) - 4096))
            lines = [ln.strip() for ln in self.log.read().decode(errors="replace").splitlines() if ln.strip()]
        except (OSError, ValueError):
            return ""
        fatal = [ln for ln in lines if ln.startswith(("Fatal Python error", "MemoryError"))]
        return (fatal or lines or [""])[-1][:300]

    def kill(self) -> None:
        """Kill the worker's process group and close its pipes."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def release(self) -> None:
        """Close the log and the shared file, remove the scratch folder (after ``kill``)."""
        self.log.close()
        if self.inputs >= 0:
            os.close(self.inputs)
            self.inputs = -1
        shutil.rmtree(self.scratch, ignore_errors=True)


class Pool:
    """The worker of one submission. ``load`` imports the submission; ``request`` and ``call``
    answer a request or raise ``WorkerFault`` (``timeout``, ``worker_died``, ``bad_reply``,
    ``import_error``, ``forbidden_import``), after which a fresh worker serves the next call."""

    def __init__(self, submission: Submission, options: Options, wanted: list[str]) -> None:
        self.submission = submission
        self.options = options
        self.wanted = wanted
        self.limits = Limits(max_payload=max(64, options.memory_mb) << 20)
        self.python = interpreter.resolve(options.python)
        self.layers = confine.layers(options.isolation_off, self.python)
        self.worker: Worker | None = None
        self.hung: dict[str, str] = {}  # adapter key -> the case that timed out
        self.starts = 0
        self.sent = 0  # requests sent; each reply must carry its request's number
        self.spent = 0.0  # wall time of all exchanges so far, against options.budget

    def load(self) -> dict[str, Any]:
        """Start a worker and import the submission; the reply lists what it holds."""
        self.close()
        self._check_budget()
        self.starts += 1
        try:
            self.worker = Worker(self.limits, self.submission, self.layers, self.python)
        except (_NotStarted, OSError) as e:
            self.close()
            why = str(e) if isinstance(e, _NotStarted) else type(e).__name__
            raise WorkerFault("worker_died", f"the worker process did not start ({why})") from None
        header = {
            "cmd": "load",
            "target": self.submission.target,
            "kind": self.submission.kind,
            "path": self.worker.search_path,
            "wanted": self.wanted,
            "memory_mb": self.options.memory_mb,
            "grading": self.options.grading,
        }
        reply, _ = self._exchange(header, None, what="importing the submission")
        return reply

    def request(
        self, header: dict[str, Any], arrays: dict[str, np.ndarray] | None = None
    ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """One request to a live worker (started and loaded again if the last one was lost)."""
        reply, out, _ = self.call(header, arrays, {})
        return reply, out

    def call(
        self, header: dict[str, Any], arrays: dict[str, np.ndarray] | None, inputs: dict[str, np.ndarray]
    ) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, np.ndarray]]:
        """A request whose ``inputs`` the user's code receives through the shared file; also
        returns the inputs whose bytes changed during the call, as they are now."""
        self._check_budget()
        if self.worker is None:
            reply = self.load()
            if not reply.get("modules") or reply.get("attempts"):
                self.close()
                raise WorkerFault("import_error", "the submission could not be imported again in a fresh worker")
        worker = self.worker
        specs, written = worker.share(inputs)
        reply, out = self._exchange({**header, "shared": specs}, arrays, what="the call")
        changed = {}
        for spec, before in zip(specs, written, strict=True):
            now = worker.shared_now(spec)
            if now != before:  # read by the parent itself: the worker's word is not asked
                name, dtype, shape = spec[:3]
                changed[name] = np.frombuffer(now.ljust(len(before), b"\0"), dtype=dtype).reshape(shape).copy()
        if reply.get("code") == "memory_exceeded":
            self.close()  # a worker at its memory limit is not trusted with the next case
        return reply, out, changed

    @property
    def out_of_time(self) -> bool:
        """Whether the submission's wall budget is used up."""
        return self.spent >= self.options.budget

    def _check_budget(self) -> None:
        if self.out_of_time:
            raise WorkerFault(
                "timeout",
                f"not called: the submission used up its time budget of {self.options.budget:g} s "
                "(--submission-timeout)",
            )

    def _exchange(
        self, header: dict[str, Any], arrays: dict[str, np.ndarray] | None, what: str
    ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        worker = self.worker
        self.sent += 1
        header = {**header, "id": self.sent}
        remaining = self.options.budget - self.spent
        timeout = min(self.options.timeout, remaining)
        started = time.monotonic()
        try:
            reply, out = worker.exchange(header, arrays, timeout)
            if reply.get("id") != self.sent:  # e.g. bytes a thread of the user's code wrote earlier
                raise ProtocolError("the reply answers another request")
        except _Timeout:
            self.close()
            if timeout < self.options.timeout:
                limit = f"the submission's time budget of {self.options.budget:g} s (--submission-timeout)"
            else:
                limit = f"{self.options.timeout:g} s"
            raise WorkerFault("timeout", f"{what} took longer than {limit} (the worker was killed)") from None
        except _Closed:
            detail = worker.death()
            self.close()
            raise WorkerFault("worker_died", f"{detail} during {what}") from None
        except ProtocolError as e:
            self.close()
            raise WorkerFault("bad_reply", f"the worker's reply to {what} was not plain data: {e}") from None
        finally:
            self.spent += time.monotonic() - started
        if self.options.grading:
            if self.layers.get("seccomp") != "on":  # without seccomp it may have started processes
                worker.pids = grading.process_tree(worker.pid)
            loaded = grading.native_libraries(worker.pids)
            if loaded:
                self.close()
                raise WorkerFault("forbidden_import", f"the worker loaded {', '.join(loaded)} during {what}")
        return reply, out

    def close(self) -> None:
        """Kill the worker, if any."""
        if self.worker is not None:
            self.worker.kill()
            self.worker.release()
            self.worker = None

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
