"""A sweep in this process: every task of the case plan, one batch of records at a time."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from gradverify.core.engine import check_case
from gradverify.core.records import Record
from gradverify.core.spec import OpSpec, Variant
from gradverify.core.status import Status
from gradverify.run import threads
from gradverify.run.plan import Case, replay_command, tasks

Batch = list[Record]
"""The records of one (op, case, dtype): every variant's quantities."""


def run_replay(spec: OpSpec, dtype: str, case: Case) -> Callable[[Variant], str]:
    """How a built-in case replays: ``gradverify run --ops OP:VARIANT ...``."""
    return lambda variant: replay_command("run", spec.name, variant.name, dtype, case)


def sweep(
    specs: Sequence[OpSpec],
    dtypes: Sequence[str],
    run_seed: int,
    n_random: int,
    replay: Case | None = None,
    thorough: bool = False,
) -> Iterator[Batch]:
    """Yield the records of one (op, case, dtype) at a time, so callers can stream them
    (``thorough``: a finite difference for every gradient, see ``core.judge``)."""
    threads.one_torch_thread()
    for task in tasks(specs, dtypes, run_seed, n_random, replay):
        spec = specs[task.spec]
        yield check_safely(spec, task.dtype, task.case, run_replay(spec, task.dtype, task.case), thorough)


def check_safely(
    spec: OpSpec, dtype: str, case: Case, command: Callable[[Variant], str], thorough: bool = False
) -> Batch:
    """``check_case``, with a failure of the spec or reference itself as error records."""
    try:
        return check_case(spec, dtype, case.kind, case.seed, reproduce=command, thorough=thorough)
    except Exception as e:  # noqa: BLE001 - a broken spec or reference must not end the run
        return [
            Record(
                op=spec.name,
                family=spec.family,
                variant=v.name,
                function=v.adapter.primary,
                dtype=dtype,
                case=case.kind,
                seed=case.seed,
                quantity="(case)",
                status=Status.ERROR,
                diagnosis="internal_error",
                reproduce=command(v),
                message=f"the sample or reference of {spec.name} failed: {type(e).__name__}: {e}",
            )
            for v in spec.variants
        ]
