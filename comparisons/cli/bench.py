"""``gradverify bench``: benchmark the fast layers, the verification and the sweep."""

from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path

from gradverify.bench import GROUPS
from gradverify.cli import common, outputs


def _groups(text: str) -> list[str]:
    names = common.names(text)
    unknown = [n for n in names if n not in GROUPS]
    if unknown or not names:
        what = ", ".join(unknown) or repr(text)
        raise argparse.ArgumentTypeError(f"unknown group {what}; choose from {','.join(GROUPS)}")
    return names


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="time the layers against torch, the check against gradcheck and its own inputs, the sweep, the start-up",
        description="Each row times a subject against a baseline in this process (one torch and one BLAS "
        "thread, warm-up, interleaved repeats) and reports the medians and their ratio.",
    )
    p.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats (well under a minute)")
    p.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the rows as JSON to FILE")
    p.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="report folder (default reports/bench-<UTC time>)"
    )
    p.add_argument(
        "--only", type=_groups, default=None, metavar="GROUPS", help=f"comma-separated groups of {','.join(GROUPS)}"
    )
    p.add_argument(
        "--memory-cases",
        type=common.positive,
        default=None,
        metavar="N",
        help="cases of the largest memory measurement (default 10000; 300 with --quick)",
    )
    p.set_defaults(execute=execute)


def execute(args: argparse.Namespace, argv: list[str]) -> int:
    from gradverify.bench import output as bench_output  # pandas and torch: only once the flags are right
    from gradverify.bench import run_groups
    from gradverify.bench.timing import environment
    from gradverify.run.threads import pinned

    out_dir = common.prepare_outputs(args, "bench")
    with pinned():  # state the thread settings the rows are timed with
        env = environment()
    if args.json is not None:
        outputs.make_parent(args.json)
    rows = run_groups(args.quick, args.only, args.memory_cases)
    env["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    text = bench_output.write(rows, env, shlex.join(["gradverify", *argv]), out_dir, args.json)
    print(text)
    print(f"report: {out_dir}")
    return common.EXIT_OK
