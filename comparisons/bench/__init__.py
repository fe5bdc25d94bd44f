"""``gradverify bench``: how fast the hand-written layers and the verification itself are.

One module per group of benchmarks; each ``run(settings)`` returns ``timing.Row``s. Every
row times a subject against a baseline side by side in this process, with threads pinned to
one (torch and BLAS), and reports medians and their ratio (subject / baseline). A group's
module is imported only when it runs (they import torch), so the command line can check
``--only`` without them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gradverify.bench.timing import Row

GROUPS: dict[str, str] = {
    "losses": "gradverify.bench.losses",
    "conv": "gradverify.bench.conv",
    "verification": "gradverify.bench.verification",
    "throughput": "gradverify.bench.throughput",
    "memory": "gradverify.bench.memory",
    "feedback": "gradverify.bench.feedback",
    "startup": "gradverify.bench.startup",
}
"""Benchmark groups (name: module) in the order they run and appear in the table."""


def run_groups(quick: bool, only: list[str] | None = None, memory_cases: int | None = None) -> list[Row]:
    """Run the chosen groups (all by default) with pinned threads; their rows in order."""
    from gradverify.bench.timing import Settings
    from gradverify.run.threads import pinned

    settings = Settings.make(quick)
    rows: list[Row] = []
    with pinned():
        for name, module in GROUPS.items():
            if only and name not in only:
                continue
            group = importlib.import_module(module)
            rows += group.run(settings, memory_cases) if name == "memory" else group.run(settings)
    return rows
