"""The declarative description of one op: what to sample, what to call, what to expect."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradverify.core.adapters import Adapter
from gradverify.core.conventions import Convention, Edition, known
from gradverify.core.roles import Roles
from gradverify.core.sampling import Sample
from gradverify.core.tolerances import Tolerance

ONE, RANDOM_UPSTREAM = "one", "random"
"""How an output is differentiated: as a loss (upstream 1) or with a random upstream."""


@dataclass(frozen=True)
class Statistic:
    """A check of ``quantity``: ``|value - expected| <= tolerance``, e.g. a keep rate within
    five binomial standard deviations of p."""

    quantity: str
    value: float
    expected: float
    tolerance: float
    meaning: str


@dataclass(frozen=True)
class Deviation:
    """A known, accepted way an op's quantities differ from the defaults, with its reason (in
    the spirit of OpInfo's ``DecorateInfo``): for now a looser tolerance per dtype on the
    named quantities (every quantity when ``quantities`` is empty)."""

    reason: str
    tolerances: Mapping[str, Tolerance]
    quantities: tuple[str, ...] = ()

    def applies(self, quantity: str, dtype: str) -> bool:
        return dtype in self.tolerances and (not self.quantities or quantity in self.quantities)


@dataclass(frozen=True)
class Variant:
    """One implementation of an op (``naive``, ``vectorized``, ...) behind its adapter."""

    name: str
    adapter: Adapter


@dataclass(frozen=True)
class OpSpec:
    """One op, as data.

    - ``sample(rng, case)`` draws a float64 sample for a case kind (``random`` or one of
      ``edge_cases``).
    - ``reference(sample)`` computes the outputs with torch ops from a sample whose arrays are
      tensors: one tensor (the first output) or a dict of them.
    - ``outputs`` maps each compared output to how it is differentiated: ``"one"`` (a loss
      whose gradient the API returns), ``"random"`` (the API takes an upstream gradient), or
      ``None`` (compared, not differentiated).
    - ``wrt`` names the inputs whose gradients are compared.
    - ``kinks(sample, band)`` marks, per input in ``wrt``, the gradient entries that sit within
      ``band`` of a non-differentiable point (so a difference there is a kink, not a bug), as a
      ``comparison.Kinks`` with the values valid there (or a bare mask: any value). The sample
      carries the reference's upstream gradients in ``static[comparison.UPSTREAM]``.
    - ``tolerances`` overrides the per-dtype defaults; each override carries its reason.
    - ``observe(sample, outputs)`` returns arrays the reference needs from the
      implementation's own forward outputs (the dropout mask it drew); they join the sample
      the reference sees. The implementation must then be deterministic for its sample.
    - ``statistics(sample, outputs)`` returns checks on the implementation's outputs that no
      reference value expresses (a dropout keep rate), each as a ``Statistic``.
    - ``roles`` says which inputs count examples, hold labels, or regularize (for diagnosis).
    - ``deviations`` declares known, accepted differences of single quantities, each with its
      reason (a structurally zero gradient that only rounding makes nonzero).
    - ``conventions``: the other ways course editions defined the op, and known lookalike
      bugs (``gradverify.core.conventions``); ``default_convention`` names the one
      ``reference`` computes; ``edition`` pins the course edition whose convention is expected.
    """

    name: str
    family: str
    variants: tuple[Variant, ...]
    reference: Callable[[Sample], Any]
    sample: Callable[[np.random.Generator, str], Sample]
    outputs: Mapping[str, str | None]
    wrt: tuple[str, ...]
    edge_cases: tuple[str, ...] = ()
    kinks: Callable[[Sample, float], dict[str, Any]] | None = None
    tolerances: Mapping[str, Tolerance] = field(default_factory=dict)
    observe: Callable[[Sample, dict[str, Any]], dict[str, np.ndarray]] | None = None
    statistics: Callable[[Sample, dict[str, Any]], list[Statistic]] | None = None
    description: str = ""
    roles: Roles = field(default_factory=Roles)
    deviations: tuple[Deviation, ...] = ()

    def tolerance_of(self, quantity: str, dtype: str, default: Tolerance) -> Tolerance:
        """The tolerance of ``quantity`` in ``dtype``: a deviation's, else ``default``."""
        if not self.deviations:
            return default
        return next((d.tolerances[dtype] for d in self.deviations if d.applies(quantity, dtype)), default)

    conventions: tuple[Convention, ...] = ()
    default_convention: Convention | None = None
    edition: Edition | None = None
    robustness_cases: tuple[str, ...] = ()
    """Edge cases beyond what the course's code must survive (softmax at extreme score gaps):
    a failure there is a ``warning`` (diagnosis ``unstable``), failing only under --strict."""

    def variant(self, name: str) -> Variant:
        for v in self.variants:
            if v.name == name:
                return v
        raise KeyError(f"{self.name} has no variant {name!r}")

    def pinned(self, edition: Edition | None) -> OpSpec:
        """The same op held to one course edition's convention (``--edition``). An edition
        of another course (a semester for a CS231n op) leaves the op as it is; variants that
        implement another edition's API (``Convention.variant``) are left out when one
        implements this edition's."""
        if edition is not None and not known(self.conventions, self.default_convention, edition):
            return self
        own = {c.variant: c for c in (self.default_convention, *self.conventions) if c is not None and c.variant}
        kept = tuple(v for v in self.variants if v.name not in own or edition in own[v.name].editions)
        return OpSpec(**{**self.__dict__, "edition": edition, "variants": kept or self.variants})

    def with_variants(self, *variants: Variant) -> OpSpec:
        """The same op checked against other implementations (a user's, or a mutant)."""
        return OpSpec(**{**self.__dict__, "variants": tuple(variants)})
