"""What a run prints on the terminal: a verdict and one line per failing group.

Short by default: the verdict, then for each failing (function, quantity, diagnosis) group how
many cases fail, the worst relative error, the message and one replay command. ``-v`` adds
the full Markdown summary (per-op table, every failure). Colour comes from ``rich`` when stdout
is a terminal; ``NO_COLOR`` turns it off and ``FORCE_COLOR`` on (rich reads both).
"""

from __future__ import annotations

import shlex
import sys
from typing import Any, TextIO

import pandas as pd
from rich.console import Console
from rich.text import Text

from gradverify.core import status
from gradverify.report import tables
from gradverify.report.groups import failure_groups, group_line

MESSAGE_CHARS = 240
"""A group's message is cut here on the terminal; report.html and summary.md keep it whole."""

STYLE = {
    "fail": "bold red",
    "error": "bold magenta",
    "incomplete": "bold red",
    "pass": "bold green",
    "kink": "yellow",
    "interrupted": "yellow",
}


def console(file: TextIO | None = None) -> Console:
    """A console on ``file`` (stdout); rich decides on colour from the terminal and NO_COLOR/FORCE_COLOR."""
    return Console(file=file or sys.stdout, highlight=False, soft_wrap=True, emoji=False)


def render(frame: pd.DataFrame, meta: dict[str, Any], verbose: bool = False, limit: int = 20) -> list[Text]:
    """The lines to print for a finished run (``frame`` normalised or not)."""
    frame = tables.normalise(frame)
    lines: list[Text] = []
    if verbose:
        lines += [Text(line) for line in tables.markdown(frame, meta).rstrip("\n").splitlines()]
        lines.append(Text(""))
    t = tables.totals(frame)
    failing = sum(t.get(s, 0) for s in status.FAILING)
    word, style = ("FAILED", STYLE["fail"]) if failing else ("OK", STYLE["pass"])
    if meta.get("interrupted"):
        word, style = "INTERRUPTED", STYLE["interrupted"]
    seconds = meta.get("duration_s")
    took = f" in {seconds:.1f} s" if isinstance(seconds, int | float) else ""
    lines.append(Text.assemble((word, style), f" {tables.verdict(frame, meta)}{took}"))
    groups = failure_groups(frame)
    for _, g in groups.head(limit).iterrows():
        lines.append(Text.assemble((f"{g['status'].upper():<5}", STYLE[str(g["status"])]), " ", group_line(g)))
        message = g["message"] if len(g["message"]) <= MESSAGE_CHARS else g["message"][: MESSAGE_CHARS - 3] + "..."
        if message:
            lines.append(Text(f"      {message}"))
        if g["reproduce"]:
            lines.append(Text.assemble("      replay: ", (g["reproduce"], "cyan")))
    if len(groups) > limit:
        lines.append(Text(f"... and {len(groups) - limit} more groups in report.html"))
    lines += [Text(line) for line in tables.apart_lines(frame)]  # stubs, not checked, warnings
    if failing and not groups.empty and groups.iloc[0]["reproduce"]:
        again = explain_command(groups.iloc[0]["reproduce"])
        if again:
            lines.append(Text.assemble("explain the first: ", (again, "cyan")))
    if failing and not verbose:
        lines.append(Text("(-v prints the full tables)"))
    return lines


def explain_command(reproduce: str) -> str:
    """The ``gradverify explain`` command for the case a ``reproduce`` command replays."""
    try:
        argv = shlex.split(reproduce)
    except ValueError:
        return ""
    if len(argv) < 3 or argv[0] != "gradverify" or argv[1] not in ("run", "check") or "--ops" not in argv:
        return ""
    rest = argv[2:]
    file = []
    if argv[1] == "check":
        file, rest = ["--file", rest[0]], rest[1:]
    function = ""
    kept: list[str] = []
    flags = iter(rest)
    for word in flags:
        if word in ("--ops", "--dtypes", "--replay"):  # explain searches every dtype for the smallest case
            value = next(flags, "")
            function = value if word == "--ops" else function
        else:
            kept.append(word)
    return shlex.join(["gradverify", "explain", function, *file, *kept])


def show(lines: list[Text], file: TextIO | None = None) -> None:
    out = console(file)
    for line in lines:
        out.print(line)
