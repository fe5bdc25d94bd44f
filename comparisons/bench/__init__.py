"""``gradverify bench``: how fast the hand-written layers and the verification itself are.

One module per group of benchmarks; each ``run(settings)`` returns ``timing.Row``s. Every
row times a subject against a baseline side by side in this process, with threads pinned to
one (torch and BLAS), and reports medians and their ratio (subject / baseline).
"""

from __future__ import annotations

from collections.abc import Callable

from gradverify.bench import conv, losses, memory, throughput, verification
from gradverify.bench.timing import Row, Settings, pinned

GROUPS: dict[str, Callable[[Settings], list[Row]]] = {
    "losses": losses.run,
    "conv": conv.run,
    "verification": verification.run,
    "throughput": throughput.run,
    "memory": memory.run,
}
"""Benchmark groups in the order they run and appear in the table."""


def run_groups(quick: bool, only: list[str] | None = None, memory_cases: int | None = None) -> list[Row]:
    """Run the chosen groups (all by default) with pinned threads; their rows in order."""
    settings = Settings.make(quick)
    rows: list[Row] = []
    with pinned():
        for name, group in GROUPS.items():
            if only and name not in only:
                continue
            rows += memory.run(settings, memory_cases) if group is memory.run else group(settings)
    return rows
