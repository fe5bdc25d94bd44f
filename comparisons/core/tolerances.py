"""Every numerical threshold the engine uses, per dtype, with the reason for each.

A compared quantity passes when ``max|impl - ref| <= max(atol, rtol * max|ref|)``: the error is
measured against the largest reference magnitude of that quantity, not element by element,
because sums and averages legitimately leave tiny elements with large *relative* rounding
error (an element that cancels to 1e-9 cannot be trusted to 1e-7 of itself in float32).
The reference is always evaluated in float64 on exactly the values the implementation saw,
so the tolerance only has to absorb the implementation's own rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tolerance:
    """Pass threshold ``max(atol, rtol * max|ref|)`` for one quantity."""

    rtol: float
    atol: float
    reason: str


COMPARE: dict[str, Tolerance] = {
    "float64": Tolerance(
        rtol=1e-7,
        atol=1e-12,
        reason=(
            "float64 rounding of the small sums used here stays below ~1e-13 relative to the "
            "largest value; 1e-7 leaves six orders of margin and still exposes any real bug, "
            "which moves values by a visible fraction"
        ),
    ),
    "float32": Tolerance(
        rtol=1e-3,
        atol=1e-6,
        reason=(
            "float32 carries ~6e-8 relative rounding per operation; saturated softmax on scores "
            "of magnitude 1e3 turns score rounding of ~1e-4 into gradient errors of ~1e-4 "
            "relative, so 1e-3 keeps a 10x margin against false failures"
        ),
    ),
}

# Finite differences are always taken in float64 on the implementation's own forward pass.
FD_STEP = 1e-6
"""Step relative to max(1, |x|): truncation error ~h^2, cancellation ~eps/h, both < 1e-9."""

FD_AGREE: dict[str, float] = {
    # the analytic side of a float64 case is exact to ~1e-13; the difference quotient to ~1e-8
    "float64": 1e-5,
    # the analytic side of a float32 case carries its own rounding (see COMPARE["float32"])
    "float32": 5e-3,
}
"""Largest |fd - analytic| relative to the scale of the directional derivative."""

FD_SMOOTH = 1e-3
"""One-sided slopes around the point differing by more than this (relative) mark a kink."""

KINK_BAND: dict[str, float] = {
    # points this close (relative to the magnitude of the terms that formed them) may land on
    # either side of a non-differentiable point after the implementation's own rounding
    "float64": 1e-10,
    "float32": 1e-5,
}


def tolerance_for(dtype: str, overrides: dict[str, Tolerance] | None = None) -> Tolerance:
    """The tolerance of ``dtype``, or the op's override for it when the op declares one."""
    if overrides and dtype in overrides:
        return overrides[dtype]
    return COMPARE[dtype]


SUPPORTED_DTYPES: tuple[str, ...] = tuple(COMPARE)


def np_dtype(name: str) -> np.dtype:
    """The numpy dtype of a supported dtype name."""
    return np.dtype(name)
