"""Selecting ops by the names users type: op, family, ``op:variant`` or function name."""

from __future__ import annotations

import difflib

from gradverify.core.spec import OpSpec, Variant
from gradverify.specs import COURSES, SPECS

ALL = "all"


class UnknownName(ValueError):
    """A name that matches no op, family, variant or function."""


def _functions(variant: Variant) -> set[str]:
    adapter = variant.adapter
    return {adapter.primary} | {fn.__name__ for key, fn in adapter.code().items() if key != "cls"}


def select(names: list[str] | None, specs: tuple[OpSpec, ...] = SPECS) -> list[OpSpec]:
    """The ops (each with only the chosen variants) that ``names`` select, in registry order.

    A name may be an op (``svm``), a family (``linear_svm``), an op with one variant
    (``svm:naive``) or an implementation's name (``svm_loss_naive``, ``affine_backward``,
    ``TwoLayerNet``). ``None`` selects everything.
    """
    if not names:
        return list(specs)
    chosen: dict[str, set[str]] = {}
    for name in names:
        hits = _matches(name, specs)
        if not hits:
            close = difflib.get_close_matches(name, _known_names(specs), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UnknownName(f"unknown op {name!r}{hint}; `gradverify list` shows the ops, families and functions")
        for op, variant in hits:
            chosen.setdefault(op, set()).add(variant)
    return [
        spec.with_variants(*(v for v in spec.variants if v.name in chosen[spec.name]))
        for spec in specs
        if spec.name in chosen
    ]


def course(name: str | None) -> tuple[OpSpec, ...]:
    """The ops of course ``name`` (``cs231n``, ``dls``, ``mytorch``), or of every course for
    ``all`` or None."""
    if name is None or name == ALL:
        return SPECS
    if name not in COURSES:
        raise UnknownName(f"unknown course {name!r}; choose from {', '.join([*COURSES, ALL])}")
    return COURSES[name]


def _known_names(specs: tuple[OpSpec, ...]) -> list[str]:
    """Every name ``select`` accepts without a variant: ops, families, functions."""
    return sorted({n for s in specs for v in s.variants for n in (s.name, s.family, *_functions(v))})


def _matches(name: str, specs: tuple[OpSpec, ...]) -> list[tuple[str, str]]:
    op_name, _, variant_name = name.partition(":")
    if not variant_name and any(spec.name == name for spec in specs):
        # an op's own name wins over another course's function of that name (DLS's relu)
        specs = tuple(spec for spec in specs if spec.name == name)
    hits = []
    for spec in specs:
        for v in spec.variants:
            if variant_name:
                if spec.name == op_name and v.name == variant_name:
                    hits.append((spec.name, v.name))
            elif name in (spec.name, spec.family) or name in _functions(v):
                hits.append((spec.name, v.name))
    return hits


def describe(specs: tuple[OpSpec, ...] = SPECS) -> list[dict[str, str]]:
    """One row per op variant: what ``gradverify list`` prints."""
    return [
        {
            "family": spec.family,
            "op": spec.name,
            "variant": v.name,
            "functions": ", ".join(sorted(_functions(v))),
            "edge cases": ", ".join(spec.edge_cases),
            "description": spec.description,
        }
        for spec in specs
        for v in spec.variants
    ]
