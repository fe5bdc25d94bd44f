"""Parent side: ``RemoteAdapter``, an adapter whose implementation runs in a worker.

The engine calls it like any adapter (``run``, ``forward``, ``function_for``, ``primary``).
Each call sends the sample to the worker, where the same adapter class is rebuilt around the
user's callables, and decodes the reply into plain numbers: the verdict is the engine's, in
this process. The input arrays travel in the worker's shared input file; the pool reads it
back after the call, and the inputs whose bytes changed are written into the caller's sample,
so the engine's ``input_mutated`` check sees them: the parent observes the change itself, the
worker is not asked (a submission that patches the worker's reply cannot hide it). A call that
times out, kills its worker or answers garbage becomes a ``Fault`` with that diagnosis; after
a timeout the same implementation is not called again in this check (every later case would
wait out the limit too) and its later cases report ``timeout`` at once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradverify.core.adapters import Fault, Outcome
from gradverify.core.sampling import Sample
from gradverify.usercode.sandbox import grading
from gradverify.usercode.sandbox.pool import Pool, WorkerFault
from gradverify.usercode.sandbox.protocol import ProtocolError, decode_value, encode_static, pack

WORKER_CODES = frozenset(
    {
        "exception",
        "bad_return",
        "not_implemented",
        "backward_raised",
        "memory_exceeded",
        "forbidden_import",
        "not_checkable",
        "internal_error",
    }
)
"""Diagnoses a worker may report for a call; anything else is a ``bad_reply``."""

FORWARD_CACHE = 32
"""Forward results kept per adapter, keyed by a digest of the exact request."""


class NameStub:
    """Stands in the parent for a user callable: only its name is known here."""

    def __init__(self, name: str) -> None:
        self.__qualname__ = self.__name__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"{self.__name__} runs only in the worker")

    def __repr__(self) -> str:
        return f"<user code {self.__name__}>"


@dataclass(frozen=True)
class FixedNames:
    """Names for a bridged model class: every quantity comes from ``cls.loss``."""

    name: str

    def function_for(self, quantity: str) -> str:
        return f"{self.name}.loss"

    @property
    def primary(self) -> str:
        return self.name


@dataclass(eq=False)
class RemoteAdapter:
    """One variant of an op, implemented by user code in ``pool``'s worker.

    ``fields`` describe the adapter the worker builds (``worker_class``), with user code as
    ``{"$target": expr}``; ``sample_fns`` are fields that are functions of the sample (a
    model's init kwargs), evaluated here for every call; ``names`` is an adapter of the
    registry's class holding ``NameStub``s, which answers ``function_for`` and ``primary``
    with the user's names; ``forward_only`` calls only the forward pass (no backward found).
    """

    pool: Pool
    worker_class: str
    fields: dict[str, Any]
    names: Any
    sample_fns: Mapping[str, Callable[[Sample], Any]] = field(default_factory=dict)
    forward_only: bool = False
    key: str = ""
    _cache: dict[bytes, dict[str, Any]] = field(default_factory=dict, repr=False)

    @property
    def primary(self) -> str:
        return self.names.primary

    def function_for(self, quantity: str) -> str:
        return self.names.function_for(quantity)

    def code(self) -> dict[str, Callable]:
        return {}  # the user's code lives in the worker; nothing of it exists in this process

    def run(self, sample: Sample, upstream: Mapping[str, np.ndarray]) -> Outcome:
        if self.forward_only:
            return Outcome(self.forward(sample), {})
        reply, arrays = self._call("run", sample, upstream)
        return Outcome(self._values(reply, "outputs", arrays), self._values(reply, "grads", arrays))

    def forward(self, sample: Sample) -> dict[str, Any]:
        # finite differences evaluate the unperturbed point once per direction and per input:
        # a small cache of identical requests saves a fifth of the calls (the engine already
        # assumes a deterministic forward pass)
        header, arrays = self._request("forward", sample, {})
        key = hashlib.blake2b(pack(header, arrays), digest_size=16).digest()
        if key not in self._cache:
            reply, out = self._call("forward", sample, {}, (header, arrays))
            self._cache[key] = self._values(reply, "outputs", out)
            while len(self._cache) > FORWARD_CACHE:
                self._cache.pop(next(iter(self._cache)))
        return {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in self._cache[key].items()}

    def _call(
        self,
        method: str,
        sample: Sample,
        upstream: Mapping[str, np.ndarray],
        request: tuple[dict[str, Any], dict[str, np.ndarray]] | None = None,
    ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        if self.key in self.pool.hung:
            raise Fault(
                f"{self.primary} was not called again: it exceeded the time limit of "
                f"{self.pool.options.timeout:g} s earlier in this check ({self.pool.hung[self.key]})",
                code="timeout",
            )
        header, arrays = request or self._request(method, sample, upstream)
        inputs = {k: arrays.pop(f"a:{k}") for k in sample.arrays}
        try:
            reply, out, changed = self.pool.call(header, arrays, inputs)
        except WorkerFault as e:
            if e.code == "timeout" and not self.pool.out_of_time:  # else the pool refuses every call
                self.pool.hung[self.key] = f"{method}, shapes {sample.shape_text()}"
            raise Fault(f"{self.primary}: {e.detail}", code=e.code) from None
        sample.arrays.update(changed)  # what the engine's input_mutated check compares
        try:
            if not reply.get("ok"):
                raise self._fault(reply)
        except ProtocolError as e:
            self.pool.close()  # a worker that sends malformed replies is not asked again
            raise Fault(f"{self.primary}: the worker's reply was not plain data: {e}", code="bad_reply") from None
        return reply, out

    def _request(
        self, method: str, sample: Sample, upstream: Mapping[str, np.ndarray]
    ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays: dict[str, np.ndarray] = {f"a:{k}": v for k, v in sample.arrays.items()}
        arrays.update({f"u:{k}": np.asarray(v) for k, v in upstream.items()})
        try:
            fields = dict(self.fields)
            for name, fn in self.sample_fns.items():
                fields[name] = {"$value": encode_static(fn(sample), arrays, f"v.{name}")}
            static = encode_static(sample.static, arrays, "s")
        except TypeError as e:
            raise Fault(f"gradverify could not send this sample to the worker: {e}", code="internal_error") from None
        header = {
            "cmd": "call",
            "method": method,
            "adapter": {"class": self.worker_class, "fields": fields},
            "arrays": list(sample.arrays),
            "static": static,
            "upstream": list(upstream),
        }
        return header, arrays

    def _fault(self, reply: dict[str, Any]) -> Fault:
        code, detail = reply.get("code"), _text(reply.get("detail"))
        if code not in WORKER_CODES:
            raise ProtocolError(f"unknown reply code {_text(code)[:40]!r}")
        if code == "exception":
            return Fault(f"{self.primary} raised {detail}", code=code)
        if code == "memory_exceeded":
            limit = self.pool.options.memory_mb
            return Fault(f"{self.primary} exceeded the worker's memory limit of {limit} MB ({detail})", code=code)
        if code == "forbidden_import":
            return Fault(f"{self.primary} imported {detail}: {grading.why(detail)}", code=code)
        return Fault(detail, code=code)  # bad_return and not_checkable messages name the function

    def _values(self, reply: dict[str, Any], part: str, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        described = reply.get(part)
        if not isinstance(described, dict) or not all(isinstance(k, str) for k in described):
            self.pool.close()
            raise Fault(f"{self.primary}: the worker's reply has no {part}", code="bad_reply")
        try:
            return {k: decode_value(v, arrays) for k, v in described.items()}
        except ProtocolError as e:
            self.pool.close()
            raise Fault(f"{self.primary}: the worker's reply was not plain data: {e}", code="bad_reply") from None


def _text(value: Any) -> str:
    """A worker's string, printable and bounded."""
    return re.sub(r"[^\x20-\x7e\u00a0-\uffff]", "?", str(value))[:2000]
