"""Parent side: the worker process of one submission, started on demand and replaced when it
hangs, dies, runs out of memory or sends something that is not a well-formed reply.

Every exchange has a deadline: the parent writes and reads the pipes with ``select``, so a
worker that stops reading or never answers costs at most the time limit, after which its whole
process group is killed. A worker's log (its stderr, and every print of the user's code) goes
to a temporary file whose last lines explain a crash.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradverify.usercode.sandbox import grading
from gradverify.usercode.sandbox.protocol import HEAD, Limits, ProtocolError, decode, pack, parse_head

DEFAULT_TIMEOUT_S = 10.0
"""Time limit of one call into the user's code (a forward and backward pass of one case)."""

DEFAULT_MEMORY_MB = 2048
"""Address-space limit of a worker; an interpreter with numpy needs about 150 MB of it."""

STARTUP_S = 60.0
"""Time a fresh worker may take to start (interpreter and numpy), before any user code runs."""


class WorkerFault(Exception):
    """A call that did not produce a reply: ``code`` is the diagnosis."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Options:
    """Limits of the workers of one check."""

    timeout: float = DEFAULT_TIMEOUT_S
    memory_mb: int = DEFAULT_MEMORY_MB
    grading: bool = False


@dataclass(frozen=True)
class Submission:
    """What one worker imports: a ``file``, a ``folder`` or an importable ``module`` name."""

    name: str
    target: str
    kind: str


class _Timeout(Exception):
    pass


class _Closed(Exception):
    pass


def worker_env() -> dict[str, str]:
    """The worker's environment: one BLAS thread, no bytecode files. Nothing is added to its
    path: gradverify is importable as an installed package, and the repository root (where
    impl/ and reference/ sit) never is."""
    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    return env


class Worker:
    """One worker process and its pipes."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gradverify.usercode.sandbox.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=worker_env(),
            start_new_session=True,  # its own process group: killed as a whole, spared Ctrl-C
        )
        self.write_fd = self.proc.stdin.fileno()
        self.read_fd = self.proc.stdout.fileno()
        os.set_blocking(self.write_fd, False)
        self.pid = self.proc.pid
        try:
            ready, _ = self._receive(time.monotonic() + STARTUP_S)
            if not ready.get("ready"):
                raise ProtocolError("the worker did not start")
        except BaseException:
            self.kill()
            self.log.close()
            raise

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
        """Kill the worker's process group and release its pipes and log."""
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


class Pool:
    """The worker of one submission. ``load`` imports the submission; ``call`` answers a
    request or raises ``WorkerFault`` (``timeout``, ``worker_died``, ``bad_reply``,
    ``import_error``, ``forbidden_import``), after which a fresh worker serves the next call."""

    def __init__(self, submission: Submission, options: Options, wanted: list[str]) -> None:
        self.submission = submission
        self.options = options
        self.wanted = wanted
        self.limits = Limits(max_payload=max(64, options.memory_mb) << 20)
        self.worker: Worker | None = None
        self.hung: dict[str, str] = {}  # adapter key -> the case that timed out
        self.starts = 0
        self.sent = 0  # requests sent; each reply must carry its request's number

    def load(self) -> dict[str, Any]:
        """Start a worker and import the submission; the reply lists what it holds."""
        self.close()
        self.starts += 1
        try:
            self.worker = Worker(self.limits)
        except (_Timeout, _Closed, ProtocolError, OSError) as e:
            self.close()
            raise WorkerFault("worker_died", f"the worker process did not start ({type(e).__name__})") from None
        header = {
            "cmd": "load",
            "target": self.submission.target,
            "kind": self.submission.kind,
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
        if self.worker is None:
            reply = self.load()
            if not reply.get("modules") or reply.get("attempts"):
                self.close()
                raise WorkerFault("import_error", "the submission could not be imported again in a fresh worker")
        reply, out = self._exchange(header, arrays, what="the call")
        if reply.get("code") == "memory_exceeded":
            self.close()  # a worker at its memory limit is not trusted with the next case
        return reply, out

    def _exchange(
        self, header: dict[str, Any], arrays: dict[str, np.ndarray] | None, what: str
    ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        worker = self.worker
        self.sent += 1
        header = {**header, "id": self.sent}
        try:
            reply, out = worker.exchange(header, arrays, self.options.timeout)
            if reply.get("id") != self.sent:  # e.g. bytes a thread of the user's code wrote earlier
                raise ProtocolError("the reply answers another request")
        except _Timeout:
            self.close()
            limit = f"{self.options.timeout:g} s"
            raise WorkerFault("timeout", f"{what} took longer than {limit} (the worker was killed)") from None
        except _Closed:
            detail = worker.death()
            self.close()
            raise WorkerFault("worker_died", f"{detail} during {what}") from None
        except ProtocolError as e:
            self.close()
            raise WorkerFault("bad_reply", f"the worker's reply to {what} was not plain data: {e}") from None
        if self.options.grading:
            loaded = grading.native_libraries(worker.pid)
            if loaded:
                self.close()
                raise WorkerFault("forbidden_import", f"the worker loaded {', '.join(loaded)} during {what}")
        return reply, out

    def close(self) -> None:
        """Kill the worker, if any."""
        if self.worker is not None:
            self.worker.kill()
            self.worker.log.close()
            self.worker = None

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
