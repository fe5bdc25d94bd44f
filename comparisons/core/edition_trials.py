"""Which convention a case's records are judged under, and what a robustness case forgives.

A variant's records are first made under the convention its op expects. When they fail,
``with_conventions`` tries the op's other conventions (course editions, known lookalike
bugs): one that passes is accepted and named, unless an edition is pinned; a lookalike names
its bug; when none fits, one under which only some of the same quantities fail explains the
rest. ``robustness`` turns numerical failures in an op's robustness cases into warnings.
"""

from __future__ import annotations

from collections.abc import Callable

from gradverify.core.conventions import Convention
from gradverify.core.records import Record
from gradverify.core.sampling import Sample
from gradverify.core.spec import OpSpec, Variant
from gradverify.core.status import Status

LOOKALIKE_MARGIN = 10.0
"""A lookalike bug names a failure only when it explains the difference: every failing
quantity's error is at least this many times smaller under it. A difference just beyond the
tolerance (a hard-coded epsilon) can fall within it under a lookalike it does not follow."""

NUMERICAL = frozenset({"nonfinite", "exception", "forward_mismatch", "grad_mismatch", "grad_localized", "precision"})
"""What extreme values can do to right code (log(0), 0 / 0, a clipped log); a named bug (a
scale, a sign, a transpose), a bad return or a bad shape stays what it is."""


def robustness(spec: OpSpec, case: str, records: list[Record]) -> list[Record]:
    """In a robustness case, what fails is numerical fragility, not a wrong derivation: a warning."""
    if case not in spec.robustness_cases:
        return records
    return [
        r.replace(
            status=Status.WARNING,
            diagnosis="unstable",
            message=f"unstable in the {case} case (extreme values the course's tests never use): {r.message}",
        )
        if r.status in (Status.FAIL, Status.ERROR) and r.diagnosis in NUMERICAL
        else r
        for r in records
    ]


def default_editions(spec: OpSpec) -> tuple[int, ...]:
    return spec.default_convention.editions if spec.default_convention else ()


def label(convention: Convention | None) -> str | None:
    return convention.label() if convention is not None else None


def own_convention(spec: OpSpec, variant: Variant) -> Convention | None:
    """The edition whose API ``variant`` implements (``Convention.variant``), if any."""
    found = (c for c in (spec.default_convention, *spec.conventions) if c is not None and c.variant == variant.name)
    return next(found, None)


def with_conventions(
    spec: OpSpec,
    primary: Convention | None,
    under: Callable[..., list[Record]],
    values64: Sample,
    own: Convention | None = None,
    thorough: bool = False,
) -> list[Record]:
    """The records under the expected convention; when they fail only by value (or at all,
    when another edition calls the code otherwise), the alternatives are tried: one that
    passes is accepted (unless an edition is pinned, or it is a known bug), else the failure
    is named after the one the code follows."""
    # code of an edition with another API may raise when called as this one's
    callable_otherwise = any(c.adapter is not None for c in spec.conventions)
    # Editions are told apart by statuses alone: the finite-difference and float64 opinions
    # (diagnosis only) are spent once, on the records that are kept when failing.
    quick = callable_otherwise and not thorough
    records = under(primary, quick)
    expected = primary or own or spec.default_convention
    label = expected.label() if expected else None
    failing = [r for r in records if r.status is not None and r.status.failing]
    for c in [c for c in spec.conventions if spec.edition is None or c is primary] if failing else ():
        why = c.undefined(values64) if c.undefined else None
        if why:  # the code may follow a convention that has no value here
            note = f"not checked in this case: {why} under the {c.label()} convention"
            return [
                r.replace(status=Status.NOT_CHECKED, diagnosis="undefined_case", message=note, convention=c.label())
                if r in failing
                else r.replace(convention=c.label())
                for r in records
            ]
    errors = any(r.status == Status.ERROR for r in failing) and not callable_otherwise
    if not failing or errors or not spec.conventions:
        return records  # labelled with the expected convention in check_case
    others = [
        c
        for c in (spec.default_convention, *spec.conventions)
        if c is not None and c is not expected and (c is spec.default_convention or c.differs())
    ]
    # an edition under which only some of the same quantities fail explains the rest: a
    # strict subset, so a mix of two editions (loss of one, gradient of the other) stays as it is
    closest, fewest = None, {r.quantity for r in failing}
    for other in sorted(others, key=lambda c: c.bug is not None):
        tried = under(None if other is spec.default_convention else other, quick)
        left = {r.quantity for r in tried if r.status is not None and r.status.failing}
        if left:
            if other.bug is None and spec.edition is None and left < fewest:
                closest, fewest = other, left
            continue
        if other.bug is not None and not _explains(tried, failing):
            continue
        if other.bug is None and spec.edition is None:
            return [r.replace(convention=other.label()) for r in tried]
        if other.bug is not None:
            code, why = other.name, other.bug
        else:
            code = "other_edition"
            why = f"The code follows the {other.label()} convention, not {label or 'the expected one'}."
        return [
            r.replace(
                # the code runs: called as its own edition's, it is right, so not an error
                status=Status.FAIL if r.status == Status.ERROR else r.status,
                diagnosis=code,
                message=f"{why} {r.message or ''}".strip(),
                convention=other.label(),
            )
            if r.status is not None and r.status.failing
            else r
            for r in (under(primary) if quick else records)  # kept: now with the full diagnosis
        ]
    if closest is not None:  # nothing fits, but one edition explains more: its failures are the real ones
        lead = f"Closest to the {closest.label()} convention (no edition's fits)."
        return [
            r.replace(convention=closest.label(), message=f"{lead} {r.message or ''}".strip())
            if r.status is not None and r.status.failing
            else r.replace(convention=closest.label())
            for r in under(None if closest is spec.default_convention else closest)
        ]
    if quick:
        records = under(primary)
    return records  # labelled with the expected convention in check_case


def _explains(tried: list[Record], failing: list[Record]) -> bool:
    """Whether every failing quantity's error under the tried convention is ``LOOKALIKE_MARGIN``
    times smaller than it was (an error that cannot be measured does not count against it)."""
    before = {r.quantity: r.rel_err for r in failing}
    for r in tried:
        was = before.get(r.quantity)
        if was is not None and r.rel_err is not None and r.rel_err * LOOKALIKE_MARGIN > was:
            return False
    return True
