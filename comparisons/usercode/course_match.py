"""Which names a submission is matched by, and which course they belong to.

A *slot* is a dataclass field of a variant's adapter holding implementation code (a function
or class from outside ``gradverify``), named by the course's name for it (``svm_loss_naive``,
``affine_backward``, ``TwoLayerNet``). A submission's course is the one whose names it defines
most; a course whose ops list editions as variants (dls, mytorch) checks the latest by default.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gradverify.core.spec import OpSpec, Variant


@dataclass(frozen=True)
class Slot:
    """A field of an adapter that holds implementation code."""

    field: str
    name: str  # the course's name, e.g. affine_backward
    is_class: bool
    backward: bool


def slots(adapter: Any) -> list[Slot]:
    """The implementation fields of ``adapter``, forward ones first."""
    found = []
    for f in dataclasses.fields(adapter) if dataclasses.is_dataclass(adapter) else ():
        value = getattr(adapter, f.name)
        if _implementation(value):
            found.append(Slot(f.name, value.__name__, isinstance(value, type), "backward" in f.name))
    return sorted(found, key=lambda s: s.backward)


def _implementation(value: Any) -> bool:
    name = getattr(value, "__name__", "")
    module = getattr(value, "__module__", "") or ""
    engine = module.startswith("gradverify.") and not module.startswith(("gradverify.impl.", "gradverify.reference."))
    return callable(value) and name.isidentifier() and not engine


def course_names(specs: tuple[OpSpec, ...] | list[OpSpec]) -> list[str]:
    """Every name a submission's callable can be discovered by, sorted."""
    return sorted({s.name for spec in specs for v in spec.variants for s in slots(v.adapter)})


DETECTION_MINIMUM = 3
"""Names of another course a submission must define before it is checked as that course."""


def course_specs(
    courses: Mapping[str, tuple[OpSpec, ...]],
    chosen: str | None,
    found: list[str],
    mapping: Mapping[str, str],
    claimed: set[str] | frozenset[str] = frozenset(),
) -> tuple[tuple[OpSpec, ...], str | None]:
    """The ops to match a submission against: the ``chosen`` course's (``all``: every one), or
    the course whose names the submission defines most (with a note), if it defines at least
    ``DETECTION_MINIMUM`` of them; otherwise the first course (the default of every command);
    with a tie, every course. Names
    ``claimed`` by the user's own declared ops say nothing about the course."""
    everything = tuple(s for specs in courses.values() for s in specs)
    if chosen:
        return (courses[chosen] if chosen in courses else everything), None
    names = (set(found) | set(mapping)) - set(claimed)
    scores = {c: len(names & ({s.name for s in specs} | set(course_names(specs)))) for c, specs in courses.items()}
    best = max(scores.values(), default=0)
    leaders = [c for c, n in scores.items() if n == best]
    default = next(iter(courses))
    if best == 0 or (leaders != [default] and best < DETECTION_MINIMUM):
        # a stray linear_forward in someone's own layers is no sign of a course
        return courses[default], None
    if len(leaders) > 1:
        tied = ", ".join(leaders)
        return everything, f"course not detected (names of {tied} equally): checked against each; choose with --course"
    # the default course needs no note: it is what every command assumes
    note = None if leaders[0] == default else f"course detected from the names it defines: {leaders[0]}"
    return courses[leaders[0]], note


def first_edition(spec: OpSpec, notes: list[str]) -> OpSpec:
    """``spec`` with one variant where its variants are editions of a course (dls, mytorch)
    calling the same user code under other conventions (S23 and S24 scaling): the first, the
    course's latest, is checked first; the others become its alternatives (each edition's
    convention gets the code as that edition calls it), tried when it fails, so the records
    name the edition the code follows and ``--edition`` can hold it to one. CS231n ops (bare
    names) keep every variant."""
    if "." not in spec.name or len(spec.variants) < 2:
        return spec
    first = _bound(spec.variants[0])
    editions = [v for v in spec.variants[1:] if _bound(v) == first]
    if not editions:
        return spec
    bound = {v.name: v.adapter for v in editions}
    conventions = tuple(
        dataclasses.replace(c, adapter=bound[c.variant]) if c.variant in bound else c for c in spec.conventions
    )
    if any(c.adapter is not None for c in conventions):
        named = ", ".join(c.label() for c in conventions if c.adapter is not None)
        notes.append(f"{spec.name}: checked as edition {spec.variants[0].name}, else as {named}")
    else:  # editions without a declared convention: one is chosen by name
        others = ", ".join(f"{spec.name}:{v.name}" for v in editions)
        notes.append(f"{spec.name}: checked as edition {spec.variants[0].name}; for another, --ops {others}")
    kept = spec.with_variants(*(v for v in spec.variants if v not in editions))
    return dataclasses.replace(kept, conventions=conventions)


def _bound(variant: Variant) -> str:
    fields = getattr(variant.adapter, "fields", {})
    return str(sorted((k, str(v)) for k, v in fields.items() if isinstance(v, dict) and "$target" in v))
