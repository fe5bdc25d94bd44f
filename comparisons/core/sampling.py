"""Seeded random samples: shapes, values and labels, including the edge cases every run has.

A sample is always drawn in float64 and then cast to the case's dtype, so the float32 and
float64 runs of one case see the same values (up to float32 rounding).
"""

from __future__ import annotations

import copy
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

RANDOM = "random"
"""The case kind of an ordinary random case; every other kind is a named edge case."""

# Edge case kinds understood by the helpers below; a spec lists the ones that apply to it.
N1, C2, D1, TIES, LARGE = "N=1", "C=2", "D=1", "ties", "large"
GAP = "gap"
"""Extreme score gaps within a row: a robustness case whose failures are warnings (``OpSpec.robustness_cases``)."""


@dataclass
class Sample:
    """One op input: named arrays (floats and integer labels) and static arguments."""

    arrays: dict[str, np.ndarray]
    static: dict[str, Any] = field(default_factory=dict)

    def cast(self, dtype: np.dtype | str) -> Sample:
        """A copy whose floating arrays have ``dtype``; integer arrays are copied unchanged.
        Static arguments are deep-copied: course code updates param dicts (``bn_param``) in
        place, and every call must start from the sample's own state."""
        arrays = {k: v.astype(dtype) if v.dtype.kind == "f" else v.copy() for k, v in self.arrays.items()}
        return Sample(arrays, _copy_cast(self.static, dtype))

    def __getitem__(self, name: str) -> Any:
        return self.arrays[name] if name in self.arrays else self.static[name]

    def shape_text(self) -> str:
        """Shapes of the arrays as ``name=(a, b)``, then the scalar settings (``reg=0.5``,
        ``conv_param={'stride': 2, 'pad': 1}``): the geometry a failing row needs to show."""
        parts = [f"{k}={tuple(v.shape)}" for k, v in self.arrays.items()]
        for k, v in self.static.items():
            if isinstance(v, (int, float, str)) and not isinstance(v, bool):
                parts.append(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}")
            elif isinstance(v, dict):
                plain = {key: val for key, val in v.items() if isinstance(val, (int, float, str))}
                parts.append(f"{k}={plain}")
        return " ".join(parts)


def _copy_cast(value: Any, dtype: np.dtype | str) -> Any:
    """``_cast_nested(copy.deepcopy(value), dtype)`` in one pass: plain values are immutable
    and arrays are copied once, which is most of the cost of a case's copy of its settings."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind != "O":
        return value.astype(dtype) if value.dtype.kind == "f" else value.copy()
    if isinstance(value, dict):
        return {k: _copy_cast(v, dtype) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_cast(v, dtype) for v in value]
    return _cast_nested(copy.deepcopy(value), dtype)


def _cast_nested(value: Any, dtype: np.dtype | str) -> Any:
    """Floating arrays inside static arguments (a bn_param's running mean, an optimizer's
    velocity) follow the case's dtype too."""
    if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating):
        return value.astype(dtype)
    if isinstance(value, dict):
        return {k: _cast_nested(v, dtype) for k, v in value.items()}
    if isinstance(value, list):
        return [_cast_nested(v, dtype) for v in value]
    return value


def case_seed(run_seed: int, op: str, index: int) -> int:
    """The seed of case ``index`` of ``op``: independent of other ops and of run order."""
    entropy = [run_seed, zlib.crc32(op.encode()), index]
    return int(np.random.SeedSequence(entropy).generate_state(1, np.uint32)[0])


def dims(rng: np.random.Generator, case: str, **ranges: tuple[int, int]) -> dict[str, int]:
    """Draw each named size uniformly from its inclusive range; edge cases pin N, C or D."""
    out = {name: int(rng.integers(lo, hi + 1)) for name, (lo, hi) in ranges.items()}
    pinned = {N1: ("N", 1), C2: ("C", 2), D1: ("D", 1)}
    if case in pinned and pinned[case][0] in out:
        name, value = pinned[case]
        out[name] = value
    return out


def values(rng: np.random.Generator, shape: tuple[int, ...], case: str, scale: float = 1.0) -> np.ndarray:
    """Float64 values for ``shape``.

    ``ties`` draws small integers, at least one of them 0 (exact zeros and equal values appear
    often, and every sum of products is exact, so kinks such as a zero hinge margin or a ReLU
    input at 0 are hit exactly); ``large`` draws
    values around 1e2 so scores reach ~1e3 (overflow in an unstable softmax); otherwise
    standard normal values times ``scale``.
    """
    if case == TIES:
        out = rng.integers(-2, 3, size=shape).astype(np.float64)
        if out.size:
            out.flat[rng.integers(out.size)] = 0.0
        return out
    if case == LARGE:
        return rng.standard_normal(shape) * 100.0
    return rng.standard_normal(shape) * scale


def labels(rng: np.random.Generator, n: int, c: int) -> np.ndarray:
    """N labels in [0, C): every class appears when N >= C, and labels repeat when N > C."""
    if n >= c:
        y = np.concatenate([np.arange(c), rng.integers(0, c, size=n - c)])
        return rng.permutation(y).astype(np.int64)
    return rng.integers(0, c, size=n).astype(np.int64)
