"""How ``gradverify.verify`` draws the inputs of a user's op, from a description per input.

``inputs`` maps each argument name, in call order, to one of:

- a shape: a tuple of ints and dimension names, ``("N", "D")``; names are drawn once per
  case and shared by every input, so ``x`` and ``y`` of ``("N", "D")`` always match;
- a strategy made by the helpers below (``labels("N", classes="C")``, ``mask(...)``,
  ``positive(...)``, ``uniform(...)``, ``normal(...)``), in the spirit of Hypothesis's
  strategies as values;
- a callable ``rng -> value`` (or ``(rng, dims) -> value``): a custom sampler;
- anything else (a number, a string, a dict, an array): passed as it is, in every case.

Arrays become the sample's arrays (floating ones follow the case's dtype); everything else
is a static argument, passed to the implementation and the reference unchanged.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradverify.core.sampling import LARGE, RANDOM, TIES, Sample, values

DEFAULT_SIZE = (1, 6)
"""Sizes a dimension name takes unless ``sizes`` says otherwise (1 is also an edge case)."""

CLASSES_SIZE = (2, 6)
"""Sizes of a dimension that counts classes: at least 2, so labels can differ."""

Dim = int | str


class Strategy:
    """Draws one input from the case's generator, its dimension sizes and its kind."""

    def dims(self) -> tuple[str, ...]:
        """The dimension names this input uses."""
        return ()

    def minimum(self, name: str) -> int:
        """The smallest size this input allows for dimension ``name``."""
        return 1

    def draw(self, rng: np.random.Generator, dims: Mapping[str, int], case: str) -> Any:
        raise NotImplementedError


def _shape(shape: tuple[Dim, ...], dims: Mapping[str, int]) -> tuple[int, ...]:
    return tuple(dims[d] if isinstance(d, str) else int(d) for d in shape)


def _check_shape(shape: tuple[Any, ...]) -> tuple[Dim, ...]:
    for d in shape:
        if isinstance(d, bool) or not isinstance(d, (int, str)) or (isinstance(d, int) and d < 0):
            raise ValueError(f"a shape holds whole numbers >= 0 and dimension names, got {d!r} in {shape!r}")
        if isinstance(d, str) and not d.isidentifier():
            raise ValueError(f"dimension name {d!r} in {shape!r} is not an identifier")
    return tuple(shape)


@dataclass(frozen=True)
class Normal(Strategy):
    """Standard normal values times ``scale`` (integers on ``ties`` cases, ~1e2 on ``large``)."""

    shape: tuple[Dim, ...]
    scale: float = 1.0

    def dims(self) -> tuple[str, ...]:
        return tuple(d for d in self.shape if isinstance(d, str))

    def draw(self, rng: np.random.Generator, dims: Mapping[str, int], case: str) -> np.ndarray:
        return values(rng, _shape(self.shape, dims), case, self.scale)


@dataclass(frozen=True)
class Uniform(Strategy):
    """Values uniform in [low, high): a positive variance, a probability, a step size."""

    shape: tuple[Dim, ...]
    low: float
    high: float

    def dims(self) -> tuple[str, ...]:
        return tuple(d for d in self.shape if isinstance(d, str))

    def draw(self, rng: np.random.Generator, dims: Mapping[str, int], case: str) -> np.ndarray:
        return rng.uniform(self.low, self.high, size=_shape(self.shape, dims))


@dataclass(frozen=True)
class Labels(Strategy):
    """Integer class labels in [0, classes), shape ``shape``; every class appears when there
    are at least as many labels as classes."""

    shape: tuple[Dim, ...]
    classes: Dim

    def dims(self) -> tuple[str, ...]:
        names = [d for d in self.shape if isinstance(d, str)]
        return (*names, self.classes) if isinstance(self.classes, str) else tuple(names)

    def minimum(self, name: str) -> int:
        return CLASSES_SIZE[0] if name == self.classes else 1

    def draw(self, rng: np.random.Generator, dims: Mapping[str, int], case: str) -> np.ndarray:
        shape = _shape(self.shape, dims)
        c = dims[self.classes] if isinstance(self.classes, str) else int(self.classes)
        n = int(np.prod(shape))
        flat = rng.integers(0, c, size=n)
        if n >= c:  # every class present, so no class's gradient is trivially zero
            flat[rng.permutation(n)[:c]] = np.arange(c)
        return flat.reshape(shape).astype(np.int64)


@dataclass(frozen=True)
class Mask(Strategy):
    """A boolean mask, each entry True with probability ``p``."""

    shape: tuple[Dim, ...]
    p: float = 0.5

    def dims(self) -> tuple[str, ...]:
        return tuple(d for d in self.shape if isinstance(d, str))

    def draw(self, rng: np.random.Generator, dims: Mapping[str, int], case: str) -> np.ndarray:
        return rng.random(_shape(self.shape, dims)) < self.p


@dataclass(frozen=True)
class Custom(Strategy):
    """A user's sampler: ``fn(rng)`` or ``fn(rng, dims)``."""

    fn: Callable[..., Any]

    def draw(self, rng: np.random.Generator, dims: Mapping[str, int], case: str) -> Any:
        try:
            takes_dims = len(inspect.signature(self.fn).parameters) >= 2
        except (TypeError, ValueError):
            takes_dims = False
        return self.fn(rng, dict(dims)) if takes_dims else self.fn(rng)


@dataclass(frozen=True)
class Fixed(Strategy):
    """The same value in every case."""

    value: Any

    def draw(self, rng: np.random.Generator, dims: Mapping[str, int], case: str) -> Any:
        return self.value.copy() if isinstance(self.value, np.ndarray) else self.value


def normal(*shape: Dim, scale: float = 1.0) -> Normal:
    """Standard normal values of ``shape`` times ``scale`` (what a bare shape tuple draws)."""
    return Normal(_check_shape(shape), scale)


def uniform(*shape: Dim, low: float = 0.0, high: float = 1.0) -> Uniform:
    """Values uniform in [low, high) of ``shape``."""
    if not low < high:
        raise ValueError(f"uniform needs low < high, got low={low}, high={high}")
    return Uniform(_check_shape(shape), float(low), float(high))


def positive(*shape: Dim, low: float = 0.1, high: float = 2.0) -> Uniform:
    """Positive values of ``shape`` in [low, high): a scale, a variance, a log's argument."""
    if not 0 < low < high:
        raise ValueError(f"positive needs 0 < low < high, got low={low}, high={high}")
    return Uniform(_check_shape(shape), float(low), float(high))


def labels(*shape: Dim, classes: Dim) -> Labels:
    """Integer labels of ``shape`` in [0, classes); ``classes`` is a size or a dimension name
    (drawn from 2 up, with a ``C=2``-style edge case)."""
    _check_shape((*shape, classes))
    return Labels(tuple(shape), classes)


def mask(*shape: Dim, p: float = 0.5) -> Mask:
    """A boolean mask of ``shape``, True with probability ``p``."""
    if not 0 <= p <= 1:
        raise ValueError(f"mask needs 0 <= p <= 1, got {p}")
    return Mask(_check_shape(shape), float(p))


def strategy(name: str, described: Any) -> Strategy:
    """The strategy an ``inputs`` entry describes (see the module docstring)."""
    if isinstance(described, Strategy):
        return described
    if isinstance(described, tuple):
        try:
            return Normal(_check_shape(described))
        except ValueError as e:
            raise ValueError(f"inputs[{name!r}]: {e}") from None
    if callable(described) and not isinstance(described, type):
        return Custom(described)
    return Fixed(described)


@dataclass(frozen=True)
class InputSampler:
    """``(rng, case) -> Sample`` for an ``inputs`` description; picklable when its custom
    samplers are."""

    strategies: tuple[tuple[str, Strategy], ...]
    sizes: tuple[tuple[str, tuple[int, int]], ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.strategies)

    @property
    def edge_cases(self) -> tuple[str, ...]:
        """One case per dimension name at its smallest size, e.g. ``N=1`` or ``C=2``."""
        return tuple(f"{d}={lo}" for d, (lo, hi) in self.sizes if lo < hi)

    def __call__(self, rng: np.random.Generator, case: str) -> Sample:
        dims = {d: int(rng.integers(lo, hi + 1)) for d, (lo, hi) in self.sizes}
        name, _, size = case.partition("=")
        if size and name in dims:
            dims[name] = int(size)
        elif case not in (RANDOM, TIES, LARGE):
            raise ValueError(f"unknown case kind {case!r}; this op's are {', '.join(self.edge_cases)}")
        arrays: dict[str, np.ndarray] = {}
        static: dict[str, Any] = {}
        for name, s in self.strategies:
            value = s.draw(rng, dims, case)
            (arrays if isinstance(value, np.ndarray) else static)[name] = value
        return Sample(arrays, static)


def sampler(inputs: Mapping[str, Any], sizes: Mapping[str, tuple[int, int]] | None = None) -> InputSampler:
    """The sampler of an ``inputs`` description; ``sizes`` overrides a dimension's range
    (inclusive), e.g. ``{"D": (2, 16)}``."""
    if not inputs:
        raise ValueError("inputs must name at least one argument")
    strategies = tuple((str(n), strategy(str(n), d)) for n, d in inputs.items())
    floor: dict[str, int] = {}
    for _, s in strategies:
        for d in s.dims():
            floor[d] = max(floor.get(d, 1), s.minimum(d))
    # a name only ``sizes`` gives is drawn too, for custom samplers: (rng, dims) -> (N, 2 * dims["H"])
    for d in sizes or {}:
        floor.setdefault(d, 1)
    ranges = {}
    for d, low in floor.items():
        lo, hi = (sizes or {}).get(d, (low, max(low, DEFAULT_SIZE[1])))
        if not (isinstance(lo, int) and isinstance(hi, int) and low <= lo <= hi):
            raise ValueError(
                f"sizes[{d!r}] must be (low, high), whole numbers with {low} <= low <= high, got {(lo, hi)}"
            )
        ranges[d] = (lo, hi)
    return InputSampler(strategies, tuple(ranges.items()))
