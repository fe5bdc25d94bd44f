"""compare.html: the run-to-run comparison as one self-contained page, styled like report.html."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from gradverify.report import html_page, run_diff, tables


def render(d: run_diff.RunDiff, old: tuple[str, dict[str, Any]], new: tuple[str, dict[str, Any]]) -> str:
    """The page for ``d``; ``old`` and ``new`` are (folder, saved run identity)."""
    kind, text = ("bad", "Regression: something got worse.") if d.regressed else ("ok", "No regression.")
    parts = [
        "<h1>gradverify comparison</h1>",
        f'<p class="verdict {kind}">{html.escape(text)} Error growth counts beyond {d.factor:g}x '
        f"(and above {100 * run_diff.GROWTH_FLOOR:g}% of the tolerance).</p>",
        _runs(old, new),
        *(f'<p class="note">{html.escape(n)}</p>' for n in d.notes),
        "<h2>Counts</h2>",
        html_page.table(d.counts(), "counts", cards=False),
    ]
    for title, level, change in run_diff.sections():
        table = d.functions if level == "functions" else d.cases
        part = table[table["change"] == change]
        if part.empty:
            continue
        shown = run_diff.view(part, level)
        classes = pd.DataFrame("", index=shown.index, columns=shown.columns)
        classes["status_old"] = shown["status_old"]
        classes["status_new"] = shown["status_new"]
        formatters = {
            "reproduce": lambda v: f'<code class="cmd">{v}</code>' if v else "",
            "rel_err_old": tables.sci,
            "rel_err_new": tables.sci,
        }
        parts += [f"<h2>{html.escape(title)} ({len(part)})</h2>", html_page.table(shown, "diff", formatters, classes)]
    parts.append(
        "<footer>Cases match by op, variant, function, dtype, case and seed; new or gone cases are counted above. "
        "Produced by <code>gradverify report --compare OLD NEW</code>.</footer>"
    )
    title = "gradverify comparison: " + ("regression" if d.regressed else "no regression")
    return html_page.page(title, "\n".join(parts))


def _runs(old: tuple[str, dict[str, Any]], new: tuple[str, dict[str, Any]]) -> str:
    rows = []
    for label, (folder, meta) in (("old", old), ("new", new)):
        what = f"<code>{html.escape(folder)}</code>"
        if meta.get("command"):
            what += f' &middot; <code class="cmd">{html.escape(str(meta["command"]))}</code>'
        if meta.get("started"):
            what += f" &middot; {html.escape(str(meta['started']))}"
        if meta.get("interrupted"):
            what += " &middot; <strong>interrupted</strong> (its missing cases show as gone or new)"
        rows.append(f"<dt>{label}</dt><dd>{what}</dd>")
    return f'<h2>Runs</h2><dl class="identity">{"".join(rows)}</dl>'
