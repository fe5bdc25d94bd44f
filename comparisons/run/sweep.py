"""A sweep: every selected op over random and edge-case samples, in each dtype."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch

from gradverify.core.engine import check_case
from gradverify.core.records import Record
from gradverify.core.sampling import RANDOM, case_seed
from gradverify.core.spec import OpSpec, Variant
from gradverify.core.status import Status

DEFAULT_CASES = 6
"""Random cases per op; every run adds one case per edge case of the op."""


@dataclass(frozen=True)
class Case:
    """One sample of one op: its kind (``random`` or an edge case) and its seed."""

    kind: str
    seed: int

    def __str__(self) -> str:
        return f"{self.kind}:{self.seed}"

    @classmethod
    def parse(cls, text: str) -> Case:
        """``KIND:SEED`` as printed in records' reproduce commands, e.g. ``ties:1234``."""
        kind, sep, seed = text.rpartition(":")
        if not sep or not kind or not seed.isdigit():
            raise ValueError(f"--replay takes KIND:SEED (e.g. random:1234 or ties:1234), got {text!r}")
        return cls(kind, int(seed))


def cases_of(spec: OpSpec, run_seed: int, n_random: int) -> Iterator[Case]:
    """The edge cases of ``spec`` followed by ``n_random`` random ones, seeded per op; lazy, so
    a sweep of millions of cases is never held as a list."""
    kinds = len(spec.edge_cases)
    for index in range(kinds + n_random):
        kind = spec.edge_cases[index] if index < kinds else RANDOM
        yield Case(kind, case_seed(run_seed, spec.name, index))


def reproduce_command(spec: OpSpec, dtype: str, case: Case) -> Callable[[Variant], str]:
    def command(variant: Variant) -> str:
        args = ["gradverify", "run", "--ops", f"{spec.name}:{variant.name}", "--dtypes", dtype, "--replay", str(case)]
        return shlex.join(args)

    return command


def planned_cases(spec: OpSpec, run_seed: int, n_random: int, replay: Case | None = None) -> Iterator[Case]:
    """The cases a sweep runs for ``spec``: the replayed one (if its kind applies), or all."""
    if replay is not None:
        return iter([replay] if replay.kind in (RANDOM, *spec.edge_cases) else [])
    return cases_of(spec, run_seed, n_random)


def count_cases(spec: OpSpec, n_random: int, replay: Case | None = None) -> int:
    """How many cases ``planned_cases`` yields for ``spec`` (for progress bars)."""
    if replay is not None:
        return int(replay.kind in (RANDOM, *spec.edge_cases))
    return len(spec.edge_cases) + n_random


def sweep(
    specs: list[OpSpec],
    dtypes: list[str],
    run_seed: int,
    n_random: int,
    replay: Case | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Yield the records of one (op, case, dtype) at a time, so callers can stream them."""
    # the samples are tiny: one thread avoids pool start-up costs and keeps timings stable
    torch.set_num_threads(1)
    for spec in specs:
        for case in planned_cases(spec, run_seed, n_random, replay):
            for dtype in dtypes:
                yield check_safely(spec, dtype, case, reproduce_command(spec, dtype, case))


def check_safely(spec: OpSpec, dtype: str, case: Case, command: Callable[[Variant], str]) -> list[dict[str, Any]]:
    """``check_case``, with a failure of the spec or reference itself as error records."""
    try:
        return check_case(spec, dtype, case.kind, case.seed, reproduce=command)
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
