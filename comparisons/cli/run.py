"""``gradverify run``: every built-in implementation against its torch reference."""

from __future__ import annotations

import argparse
import shlex
import sys

from gradverify.cli import common
from gradverify.core.spec import OpSpec
from gradverify.run.dispatch import make_sweep
from gradverify.run.distributed import SchedulerUnavailable
from gradverify.run.plan import count_cases
from gradverify.specs import registry


def add_parser(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="compare every built-in implementation with its torch reference")
    run.add_argument(
        "--ops",
        type=common.names,
        default=None,
        metavar="NAMES",
        help="comma-separated ops, families, op:variant or function names (default: all)",
    )
    common.add_sweep_options(run)
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
    return sum(count_cases(s, args.cases, args.replay) for s in specs) * len(args.dtypes)


def execute(args: argparse.Namespace, argv: list[str]) -> int:
    try:
        specs = registry.select(args.ops)
    except registry.UnknownName as e:
        raise common.UsageError(str(e)) from None
    out_dir = common.prepare_outputs(args, "run")
    meta = {
        "command": shlex.join(["gradverify", *argv]),
        "seed": args.seed,
        "cases": args.cases,
        "dtypes": args.dtypes,
        "interrupted": False,
    }
    meta["workers"], meta["scheduler"] = args.workers, args.scheduler
    try:
        batches = make_sweep(
            specs, args.dtypes, args.seed, args.cases, args.replay, workers=args.workers, scheduler=args.scheduler
        )
    except SchedulerUnavailable as e:
        raise common.UsageError(str(e)) from None
    store = common.open_store(out_dir)
    records = common.collect(batches, meta, total=_batches(specs, args), quiet=args.quiet, store=store)
    if not records and not meta["interrupted"]:
        print(
            "gradverify: error: no case matched the selection (is the --replay kind an edge case of these ops?)",
            file=sys.stderr,
        )
    return common.finish(records, out_dir, args, meta, store=store)
