"""``gradverify run``: every built-in implementation against its torch reference."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from gradverify.cli import common, errors

# the registry, the declared ops and the sweep import the torch references: they are imported
# once the flags are known to be right, so --help and a bad flag answer without torch
if TYPE_CHECKING:
    from gradverify.core.records import Record
    from gradverify.core.spec import OpSpec


def add_parser(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="compare every built-in implementation with its torch reference")
    run.add_argument(
        "--ops",
        type=common.names,
        default=None,
        metavar="NAMES",
        help="comma-separated ops, families, op:variant or function names (default: all)",
    )
    run.add_argument(
        "--module",
        default=None,
        metavar="MODULE_OR_FILE",
        help="run the ops your own module declares (GRADVERIFY_OPS, @gradverify.op; see docs/own-ops.md) instead "
        "of the built-in ones; it is imported and run in this process",
    )
    run.add_argument(
        "--course",
        choices=common.COURSES,
        default=None,
        help="the course whose ops run (default: cs231n, or every course when --ops names them)",
    )
    common.add_sweep_options(run)
    common.add_thorough_option(run)
    common.add_parallel_options(run)
    common.add_output_options(run, "run")
    run.add_argument(
        "--replay",
        type=common.case,
        default=None,
        metavar="KIND:SEED",
        help="run only this case (as printed in a record's reproduce command)",
    )
    run.set_defaults(execute=execute)


def _batches(specs: list[OpSpec], args: argparse.Namespace) -> int:
    """How many (op, case, dtype) batches ``sweep`` will yield, for the progress bar."""
    from gradverify.run.plan import count_cases

    return sum(count_cases(s, args.cases, args.replay) for s in specs) * len(args.dtypes)


def select(names: list[str] | None, module: str | None, course: str | None = None) -> list[OpSpec]:
    """The built-in ops ``names`` select within ``course``, or those of ``module``'s declared
    ops (``UsageError`` for an unknown name or a module that declares nothing usable). Without
    a course, CS231n's ops alone run, as before other courses existed; every course's when
    ``names`` are given."""
    from gradverify.ownops.declaration import DeclarationError
    from gradverify.specs import registry
    from gradverify.usercode import declared

    try:
        if module:
            return registry.select(names, tuple(declared.in_process_specs(module)))
        specs = registry.select(names)
    except (registry.UnknownName, DeclarationError) as e:
        raise common.UsageError(str(e)) from None
    chosen = {s.name for s in registry.course(course or (registry.ALL if names else "cs231n"))}
    return [s for s in specs if s.name in chosen]


def with_module(batches: Iterable[list[Record]], module: str) -> Iterator[list[Record]]:
    """The batches with ``--module`` in their reproduce commands, right after ``run``."""
    prefix, flag = "gradverify run ", f"--module {shlex.quote(module)} "
    for batch in batches:
        yield [
            r.replace(reproduce=r.reproduce.replace(prefix, prefix + flag, 1))
            if r.reproduce and r.reproduce.startswith(prefix)
            else r
            for r in batch
        ]


def execute(args: argparse.Namespace, argv: list[str]) -> int:
    from gradverify.run.dispatch import make_sweep
    from gradverify.run.distributed import SchedulerUnavailable

    specs = select(args.ops, args.module, args.course)
    errors.load_torch()
    if args.edition is not None:  # every op held to that edition's conventions
        specs = [s.pinned(args.edition) for s in specs]
    out_dir = common.prepare_outputs(args, "run")
    meta = {
        "command": shlex.join(["gradverify", *argv]),
        "seed": args.seed,
        "cases": args.cases,
        "dtypes": args.dtypes,
        "interrupted": False,
    }
    meta["workers"], meta["scheduler"], meta["thorough"] = args.workers, args.scheduler, args.thorough
    try:
        batches = make_sweep(
            specs,
            args.dtypes,
            args.seed,
            args.cases,
            args.replay,
            workers=args.workers,
            scheduler=args.scheduler,
            thorough=args.thorough,
        )
    except SchedulerUnavailable as e:
        raise common.UsageError(str(e)) from None
    if args.module:
        batches = with_module(batches, args.module)
    store = common.open_store(out_dir, meta)
    records = common.collect(batches, meta, total=_batches(specs, args), quiet=args.quiet, store=store)
    if not records and not meta["interrupted"]:
        print(
            "gradverify: error: no case matched the selection (is the --replay kind an edge case of these ops?)",
            file=sys.stderr,
        )
    return common.finish(records, out_dir, args, meta, store=store)
