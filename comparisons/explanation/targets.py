"""What ``explain`` explains: a built-in function, an op declared in the user's own module
(run in process), or a user's own function run in the sandbox.

``functions`` resolves a name to the ops to search, how each of their cases replays, and the
command that explains a case again; ``explain`` is the public entry point
(``gradverify.explain("svm_loss_naive")`` or ``gradverify.explain("affine_backward",
"hw/layers.py")``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gradverify.core.spec import OpSpec, Variant
from gradverify.core.tolerances import SUPPORTED_DTYPES
from gradverify.explanation import search
from gradverify.explanation.search import DEFAULT_BUDGET, Explanation
from gradverify.ownops.declaration import DeclarationError
from gradverify.run.plan import Case, replay_command
from gradverify.run.sweep import run_replay
from gradverify.specs import registry
from gradverify.usercode import declared
from gradverify.usercode.check import make_options
from gradverify.usercode.submission_check import CheckOptions, SubmissionCheck
from gradverify.usercode.submissions import CheckError, one_submission

Reproduce = Callable[[OpSpec, str, Case], Callable[[Variant], str]]


@dataclass(frozen=True)
class Targets:
    """The ops to search, how their cases replay, how to explain a case again, and notes
    about the user's file (what was bound, what is checked forward only)."""

    specs: list[OpSpec]
    reproduce: Reproduce
    again: Callable[[Explanation], str]
    notes: tuple[str, ...] = ()


class NothingToExplain(ValueError):
    """The name matches nothing that can be explained."""


def in_process(function: str, module: str | None = None) -> tuple[list[OpSpec], str | None]:
    """The ops to explain in this process, and the module that declares them (if any):
    built-in ops, ``module``'s declared ops, or ``MODULE:FUNCTION`` when MODULE is no op."""
    try:
        if module:
            return registry.select([function], tuple(declared.in_process_specs(module))), module
        try:
            return registry.select([function]), None
        except registry.UnknownName as unknown:
            owner, sep, name = function.rpartition(":")
            if not sep or not owner:
                raise
            try:
                specs = tuple(declared.in_process_specs(owner))
            except DeclarationError as e:
                raise NothingToExplain(f"{unknown}; as MODULE:FUNCTION: {e}") from None
            try:
                return registry.select([name], specs), owner
            except registry.UnknownName:
                ops = ", ".join(s.name for s in specs)
                raise NothingToExplain(f"{owner} declares no op or function {name!r} (its ops: {ops})") from None
    except (registry.UnknownName, DeclarationError) as e:
        raise NothingToExplain(str(e)) from None


@contextmanager
def functions(
    function: str, file: str | Path | None = None, options: CheckOptions | None = None, module: str | None = None
) -> Iterator[Targets]:
    """The ops to explain, how a case of them replays, and the command that explains a case
    again: built-in, declared in the user's ``module`` (or named ``MODULE:FUNCTION``), or the
    user's ``file`` in a sandbox worker kept open meanwhile."""
    if file is None:
        specs, owner = in_process(function, module)
        flags = ["--module", owner] if owner else []

        def again(r: Explanation) -> str:
            return replay_command("explain", r.op, r.variant, r.dtype, r.case, flags=flags)

        def reproduce(spec: OpSpec, dtype: str, case: Case) -> Callable[[Variant], str]:
            return lambda v: replay_command("run", spec.name, v.name, dtype, case, flags=flags)

        yield Targets(specs, reproduce if owner else run_replay, again)
        return
    options = options or make_options(ops=(function,))
    try:
        (submission,) = one_submission(file)
    except CheckError as e:
        raise NothingToExplain(str(e)) from None
    with SubmissionCheck(submission, options) as run:
        if run.unreadable or run.nothing_checkable:
            raise NothingToExplain(run.unreadable or run.nothing_message(full=False))
        if not run.plan.specs:  # found, but only as errors: cannot be imported, or not checkable
            messages = "; ".join(r.message or "" for r in run.plan.records)
            raise NothingToExplain(f"{function} in {file} cannot be checked: {messages}")
        target, flags = submission.target, options.flags()

        def reproduce(spec: OpSpec, dtype: str, case: Case) -> Callable[[Variant], str]:
            return lambda v: replay_command("check", spec.name, v.name, dtype, case, target, flags)

        def again_file(r: Explanation) -> str:
            return replay_command("explain", r.op, r.variant, r.dtype, r.case, target, flags)

        yield Targets(run.plan.specs, reproduce, again_file, tuple(run.plan.notes))


def first_failure(
    specs: Sequence[OpSpec],
    reproduce: Reproduce,
    dtypes: Sequence[str],
    seed: int,
    budget: int,
    replay: Case | None,
    shape: str | None,
) -> Explanation:
    """The explanation of the first variant of ``specs`` that fails (else of the last one)."""
    result = None
    for spec in specs:
        for variant in spec.variants:
            result = search.explain(
                spec.with_variants(variant), list(dtypes), seed, budget, replay, shape, reproduce=reproduce
            )
            if result.failed:
                return result
    if result is None:
        raise NothingToExplain("no variant to explain")
    return result


def explain(
    function: str,
    file: str | Path | None = None,
    *,
    dtypes: Sequence[str] = SUPPORTED_DTYPES,
    seed: int = 0,
    budget: int = DEFAULT_BUDGET,
    replay: str | Case | None = None,
    shape: str | None = None,
    module: str | None = None,
    **check_options: Any,
) -> Explanation:
    """Find the smallest failing case of ``function`` (built-in, or from the user's ``file``,
    run in the sandbox with ``gradverify.check``'s keyword options; or declared in the user's
    ``module``, run in process) and explain it.

    The result renders as text (``explanation.search.render``) or JSON (``to_json``);
    ``NothingToExplain`` (a ``ValueError``) when the name matches nothing."""
    case = Case.parse(replay) if isinstance(replay, str) else replay
    options = make_options(ops=(function,), dtypes=tuple(dtypes), **check_options) if file is not None else None
    with functions(function, file, options, module) as found:
        return first_failure(found.specs, found.reproduce, dtypes, seed, budget, case, shape)
