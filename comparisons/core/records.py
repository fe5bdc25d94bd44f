"""Records: one typed row per compared quantity, the same fields for built-in and user code.

Inside gradverify a record is a ``Record``: arrays stay arrays and indices stay tuples. Only
``Record.row`` turns one into text-friendly values, for the sinks that write CSV, JSON and
HTML. The column names are public: the JSON keys of ``--json`` and the CSV header of
``results.csv``, which users' CI may parse.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gradverify.core.display import clean_value
from gradverify.core.status import Status


@dataclass(frozen=True)
class WorstElement:
    """One of the largest differences of a failing quantity."""

    index: tuple[int, ...]
    impl: float
    ref: float
    fd: float | None = None  # the implementation's own finite difference there, where measured

    def as_dict(self) -> dict[str, Any]:
        return {"index": list(self.index), "impl": self.impl, "ref": self.ref, "fd": self.fd}


@dataclass(frozen=True)
class Record:
    """One compared quantity of one case. Field order is the public column order."""

    op: str  # the op's registry name, e.g. "svm"
    family: str | None = None  # the course file it belongs to, e.g. "linear_svm"
    variant: str | None = None  # naive, vectorized, ...
    function: str | None = None  # the implementation function that produced the quantity
    dtype: str | None = None  # dtype the implementation ran in; the reference always runs in float64
    case: str | None = None  # "random" or the edge case, e.g. "N=1", "ties"
    seed: int | None = None  # the case's seed: with op, variant, dtype and case it replays the case
    shape: str | None = None  # shapes of the inputs and the case's settings, as text
    quantity: str | None = None  # loss, out, scores, dW, dx, ... or an input's name for input_mutated
    status: Status | None = None
    max_abs_err: float | None = None  # max |impl - ref|
    rel_err: float | None = None  # max |impl - ref| / max(max |ref|, atol / rtol): pass iff rel_err <= rtol
    cs231n_rel_err: float | None = None  # max |impl - ref| / max(1e-8, |impl| + |ref|), elementwise
    worst_index: tuple[int, ...] | None = None  # index of the largest difference
    atol: float | None = None
    rtol: float | None = None  # pass iff max_abs_err <= max(atol, rtol * max|ref|)
    fd_err: float | None = None  # the implementation's gradient vs its own finite difference
    fd_verdict: str | None = None  # agree, disagree, kink or skipped
    diagnosis: str | None = None  # a stable code for the failure, when one is known
    message: str | None = None  # a sentence a student can act on
    reproduce: str | None = None  # the command that replays the case
    time_s: float | None = None  # wall time of the implementation call
    blame: str | None = None  # for a failure: forward, backward or both (finite-difference triangulation)
    bad_fraction: float | None = None  # fraction of the quantity's entries outside tolerance
    worst_elements: tuple[WorstElement, ...] = ()  # the largest differences
    error_map: np.ndarray | None = None  # |impl - ref| of a failing quantity as a 2-D grid (at most 64 x 64)
    convention: str | None = None  # the course convention the code follows, e.g. "2016-2017: p is the drop probability"
    # typed extras that are not columns
    input_shapes: Mapping[str, tuple[int, ...]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.status is not None and not isinstance(self.status, Status):
            object.__setattr__(self, "status", Status(self.status))

    @classmethod
    def of(cls, fields: Mapping[str, Any]) -> Record:
        """``Record(**fields)`` without the keyword constructor's cost (a case makes one record
        per quantity, and the constructor of a frozen dataclass is most of a record's cost)."""
        unknown = fields.keys() - _DEFAULTS.keys()
        if unknown:
            raise TypeError(f"Record has no field {sorted(unknown)[0]!r}")
        record = object.__new__(cls)
        values = record.__dict__
        values.update(_DEFAULTS)
        values.update(fields)
        if "input_shapes" not in fields:
            values["input_shapes"] = {}
        record.__post_init__()
        return record

    def replace(self, **changes: Any) -> Record:
        return dataclasses.replace(self, **changes)

    @property
    def input_size(self) -> int:
        """How many input entries the case had (what ``explain`` minimises)."""
        return sum(int(np.prod(s)) for s in self.input_shapes.values())

    def row(self) -> dict[str, Any]:
        """The record as the public columns, in text-friendly values (what sinks write)."""
        out = {c: getattr(self, c) for c in COLUMNS}
        out["status"] = None if self.status is None else str(self.status)
        out["worst_index"] = None if self.worst_index is None else str(self.worst_index)
        out["worst_elements"] = _json([w.as_dict() for w in self.worst_elements]) if self.worst_elements else None
        out["error_map"] = _json(self.error_map.tolist()) if self.error_map is not None else None
        # names and messages can come from user code: no raw control characters past this edge
        return {c: clean_value(v) for c, v in out.items()}


_DEFAULTS: dict[str, Any] = {
    f.name: None if f.default is dataclasses.MISSING else f.default for f in dataclasses.fields(Record)
}
"""Every field's default (``input_shapes``, the one with a factory, gets a fresh dict in ``of``)."""

COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Record) if f.name != "input_shapes")


def _json(value: Any) -> str:
    return json.dumps(value, allow_nan=False, default=float)


def to_frame(records: Iterable[Record]) -> pd.DataFrame:
    """The records as a DataFrame with the public columns in order (also when empty)."""
    return pd.DataFrame.from_records([r.row() for r in records], columns=list(COLUMNS))
