"""Which inputs of an op play which part: what diagnosis needs to name a bug.

The engine knows no course: a spec declares, by input name, which array counts examples,
which holds class labels, which static argument is the regularization strength. Diagnosis
then says "the average over N is missing" or "an extra reg * W" with the spec's own names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gradverify.core.sampling import Sample


@dataclass(frozen=True)
class Roles:
    """Parts that inputs play, each given by input name (the first present name wins)."""

    batch: tuple[str, ...] = ()  # arrays whose axis 0 counts examples (N)
    time: tuple[str, ...] = ()  # 3-D arrays whose axis 1 counts time steps (T)
    classes: tuple[str, ...] = ()  # 2-D weights whose axis 1 counts classes (C)
    labels: str | None = None  # integer class labels, shape (N,)
    scores: tuple[str, ...] = ()  # name prefixes of (N, C) arrays that the labels index
    reg: str | None = None  # the static argument holding the regularization strength
    regularized: tuple[str, ...] = ()  # weights whose squared norm the loss regularizes
    margin: str | None = None  # the static argument holding a hinge margin
    margin_default: float | None = None  # the margin when the sample does not set it
    batch_first: tuple[str, ...] = ()  # name prefixes (lower case) of arrays laid out (examples, ...)
    batch_axis: int = 0  # the axis of ``batch`` arrays that counts examples (1 for column-major data)

    def sizes(self, sample: Sample) -> dict[str, int]:
        """Batch size N, time steps T and classes C, where the sample shows them."""
        sizes: dict[str, int] = {}
        first = _first(sample, self.batch)
        if first is not None and first.ndim > self.batch_axis:
            sizes["N"] = first.shape[self.batch_axis]
        timed = _first(sample, self.time)
        if timed is not None and timed.ndim == 3:
            sizes["T"] = timed.shape[1]
        y = sample.arrays.get(self.labels) if self.labels else None
        if y is not None and y.ndim >= 1:
            sizes["N"] = y.shape[0]
        weights = _first(sample, self.classes)
        if weights is not None and weights.ndim == 2:
            sizes["C"] = weights.shape[1]
        return sizes

    def reg_strength(self, sample: Sample) -> float | None:
        value = sample.static.get(self.reg) if self.reg else None
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    def regularized_weight(self, sample: Sample) -> np.ndarray | None:
        return _first(sample, self.regularized)

    def margin_of(self, sample: Sample) -> float | None:
        value: Any = sample.static.get(self.margin, self.margin_default) if self.margin else None
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    def label_array(self, sample: Sample) -> np.ndarray | None:
        return sample.arrays.get(self.labels) if self.labels else None

    def is_scores(self, name: str) -> bool:
        return name.lower().startswith(self.scores) if self.scores else False

    def is_batch_first(self, name: str) -> bool:
        return name.lower().startswith(self.batch_first) if self.batch_first else False


def _first(sample: Sample, names: tuple[str, ...]) -> np.ndarray | None:
    return next((sample.arrays[n] for n in names if n in sample.arrays), None)
