"""Records: one flat row per compared quantity, the same columns for built-in and user code.

The column names are public: the JSON keys of ``--json`` and the CSV header of
``results.csv``, which users' CI may parse.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

COLUMNS: tuple[str, ...] = (
    "op",  # the op's registry name, e.g. "svm"
    "family",  # the course file it belongs to, e.g. "linear_svm"
    "variant",  # naive, vectorized, ...
    "function",  # the implementation function that produced the quantity
    "dtype",  # dtype the implementation ran in; the reference always runs in float64
    "case",  # "random" or the edge case, e.g. "N=1", "ties"
    "seed",  # the case's seed: with op, variant, dtype and case it replays the case
    "shape",  # shapes of the inputs
    "quantity",  # loss, out, scores, dW, dx, ... or an input's name for input_mutated
    "status",  # pass, fail, kink or error
    "max_abs_err",  # max |impl - ref|
    "rel_err",  # max |impl - ref| / max(max |ref|, atol / rtol): pass iff rel_err <= rtol
    "cs231n_rel_err",  # max |impl - ref| / max(1e-8, |impl| + |ref|), elementwise
    "worst_index",  # index of the largest difference
    "atol",
    "rtol",  # pass iff max_abs_err <= max(atol, rtol * max|ref|)
    "fd_err",  # the implementation's gradient vs its own finite difference
    "fd_verdict",  # agree, disagree, kink or skipped
    "diagnosis",  # a stable code for the failure, when one is known
    "message",  # a sentence a student can act on
    "reproduce",  # the command that replays the case
    "time_s",  # wall time of the implementation call
    "blame",  # for a failure: forward, backward or both (from the finite-difference triangulation)
    "bad_fraction",  # fraction of the quantity's entries outside tolerance
    "worst_elements",  # JSON: the largest differences [{"index", "impl", "ref", "fd"}]
    "error_map",  # JSON: |impl - ref| of a failing quantity as a 2-D grid (at most 64 x 64)
)


def new_record(**fields: Any) -> dict[str, Any]:
    """A record with every column present; unknown field names are a programming error."""
    unknown = set(fields) - set(COLUMNS)
    if unknown:
        raise KeyError(f"unknown record fields: {sorted(unknown)}")
    return {c: fields.get(c) for c in COLUMNS}


def to_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The records as a DataFrame with the public columns in order (also when empty)."""
    return pd.DataFrame.from_records(records, columns=list(COLUMNS))
