"""The one case plan: which cases of which ops run, in which order, and how each replays.

Every runner (``sweep`` in this process, ``parallel`` workers, a Dask cluster, ``check`` on
a user's file, the pytest plugin) visits ``tasks(...)`` in this order, so a record does not
depend on where it was computed: a case's seed comes from ``case_seed(run_seed, op, index)``.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from gradverify.core.sampling import RANDOM, case_seed
from gradverify.core.spec import OpSpec

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


@dataclass(frozen=True)
class Task:
    """One (op, case, dtype) of a plan; ``spec`` indexes the plan's list of specs."""

    spec: int
    case: Case
    dtype: str
    thorough: bool = False  # a finite difference for every gradient (``--thorough``)


def cases_of(spec: OpSpec, run_seed: int, n_random: int) -> Iterator[Case]:
    """The edge cases of ``spec`` followed by ``n_random`` random ones, seeded per op; lazy, so
    a sweep of millions of cases is never held as a list."""
    kinds = len(spec.edge_cases)
    for index in range(kinds + n_random):
        kind = spec.edge_cases[index] if index < kinds else RANDOM
        yield Case(kind, case_seed(run_seed, spec.name, index))


def planned_cases(spec: OpSpec, run_seed: int, n_random: int, replay: Case | None = None) -> Iterator[Case]:
    """The cases a plan runs for ``spec``: the replayed one (if its kind applies), or all."""
    if replay is not None:
        return iter([replay] if replay.kind in (RANDOM, *spec.edge_cases) else [])
    return cases_of(spec, run_seed, n_random)


def count_cases(spec: OpSpec, n_random: int, replay: Case | None = None) -> int:
    """How many cases ``planned_cases`` yields for ``spec`` (for progress bars)."""
    if replay is not None:
        return int(replay.kind in (RANDOM, *spec.edge_cases))
    return len(spec.edge_cases) + n_random


def tasks(
    specs: Sequence[OpSpec],
    dtypes: Sequence[str],
    run_seed: int,
    n_random: int,
    replay: Case | None = None,
    thorough: bool = False,
) -> Iterator[Task]:
    """Every (op, case, dtype) in the order all runners use: op by op, case by case, dtype by
    dtype. Lazy."""
    for i, spec in enumerate(specs):
        for case in planned_cases(spec, run_seed, n_random, replay):
            yield from (Task(i, case, dtype, thorough) for dtype in dtypes)


def replay_command(
    subcommand: str,
    op: str,
    variant: str,
    dtype: str,
    case: Case,
    target: str | None = None,
    flags: Sequence[str] = (),
) -> str:
    """The shell command that replays one case: ``gradverify run --ops OP:VARIANT --dtypes D
    --replay KIND:SEED``, ``gradverify check TARGET ...`` for a user's file, or ``gradverify
    explain OP:VARIANT [--file TARGET] ...`` to explain it."""
    if subcommand == "explain":
        where = ["--file", target] if target else []
        argv = ["explain", f"{op}:{variant}", *where]
    else:
        argv = [subcommand, *([target] if target else []), "--ops", f"{op}:{variant}"]
    return shlex.join(["gradverify", *argv, "--dtypes", dtype, "--replay", str(case), *flags])
