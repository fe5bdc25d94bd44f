"""Which assignment's ops a course submission's names bind, where names are shared.

Within a course other than CS231n (dotted op names), a name is *shared* when ops of several
families (assignments) call it (``forward_propagation`` in DLS week 3's planar network and in
the regularization notebook), or when it is one of the course's helper names, which its
utility modules define with other APIs (``reg_utils.relu(x)`` returns the activation alone,
week 4's ``relu(Z)`` also a cache). Discovery binds such names by the rest of the file.
"""

from __future__ import annotations

from gradverify.core.spec import OpSpec
from gradverify.usercode.course_match import slots


def by_assignment(
    specs: tuple[OpSpec, ...] | list[OpSpec], found: list[str], helpers: frozenset[str] | set[str]
) -> tuple[list[OpSpec], list[str]]:
    """``specs`` without the ops that only shared names bind (``found``: the submission's
    names; ``helpers``: the courses' helper names), where the submission defines names of
    another assignment that has them and none of the op's own assignment, and the notes
    saying so: a regularization notebook's export binds the planar ops by name, but it is not
    week 3's code. CS231n ops are always kept."""
    names: dict[str, set[str]] = {}
    for spec in specs:
        if "." in spec.name:
            names.setdefault(spec.family, set()).update(s.name for v in spec.variants for s in slots(v.adapter))
    families = {n: {f for f, ns in names.items() if n in ns} for ns in names.values() for n in ns}
    shared = {n for n, fs in families.items() if len(fs) > 1} | set(helpers)
    present = set(found)
    kept, notes = [], []
    for spec in specs:
        own = names.get(spec.family, set()) if "." in spec.name else set()
        bound = {s.name for v in spec.variants for s in slots(v.adapter)} & present
        others = {f for n in bound for f in (set(names) if n in helpers else families.get(n, set()))} - {spec.family}
        evidence = {f for f in others if (names[f] - shared) & present}
        if not bound or not bound <= shared or (own - shared) & present or not evidence:
            kept.append(spec)
            continue
        forward = {s.name for v in spec.variants for s in slots(v.adapter) if not s.backward}
        if forward <= bound:  # an op that could not be called anyway needs no note
            what = ", ".join(sorted(bound))
            notes.append(
                f"{spec.name} not checked: {what} here go with the {', '.join(sorted(evidence))} code "
                f"(--ops {spec.name} checks them as {spec.name})"
            )
    return kept, notes
