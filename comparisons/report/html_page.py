"""report.html: one self-contained page (inline CSS, PNG plots as data: URIs, no script, no
network fetch) that says what was checked, what failed, why, and how to replay it.

Tables are pandas Stylers; the page skeleton and its CSS are shared with the run-to-run
comparison page (``run_diff_html``).
"""

from __future__ import annotations

import base64
import html
import itertools
import json
import re
from typing import Any

import pandas as pd

from gradverify.core import status
from gradverify.core.status import Status
from gradverify.report import plots, tables
from gradverify.report.groups import failure_groups

_ids = itertools.count()

CSS = """
:root { --pass: #e3f1e4; --kink: #fff1cc; --fail: #fbe0e0; --error: #eadcf2; --line: #d6d6d6; --ink: #1d1d1f; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); margin: 0 auto; padding: 1rem; max-width: 1200px; background: #fff; }
h1 { font-size: 1.5rem; margin: .2rem 0 .6rem; } h2 { font-size: 1.2rem; margin: 2rem 0 .5rem;
  border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
p.note { color: #555; font-size: .9rem; margin: .3rem 0 .7rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; }
code.cmd { user-select: all; background: #f3f3f3; border: 1px solid var(--line); border-radius: 4px;
  padding: .1rem .3rem; display: inline-block; overflow-wrap: anywhere; }
nav.toc { font-size: .9rem; margin-bottom: .5rem; } nav.toc a { color: #1a56a8; }
.verdict { padding: .7rem 1rem; border-radius: 6px; font-weight: 600; margin: .5rem 0 1rem; }
.verdict.ok { background: var(--pass); } .verdict.bad { background: var(--fail); }
.verdict.interrupted, .verdict.empty { background: var(--kink); }
dl.identity { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }
dl.identity dt { font-weight: 600; } dl.identity dd { margin: 0; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; margin: .3rem 0; font-size: .88rem; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #f5f5f5; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.pass { background: var(--pass); } td.kink { background: var(--kink); }
td.fail { background: var(--fail); } td.error { background: var(--error); }
td.none { background: #fafafa; color: #999; }
table.grid td.cell { min-width: 9rem; } table.grid .worst { color: #444; font-size: .8rem; }
table.grid .fns { color: #555; font-size: .78rem; }
.legend span { display: inline-block; padding: .1rem .5rem; margin: 0 .3rem .3rem 0; border-radius: 4px;
  font-size: .82rem; }
.legend .pass { background: var(--pass); } .legend .kink { background: var(--kink); }
.legend .fail { background: var(--fail); } .legend .error { background: var(--error); }
table.failures td.msg { min-width: 18rem; } table.failures small { color: #555; }
.worst-el { font-size: .8rem; color: #444; margin-top: .3rem; font-family: ui-monospace, Menlo, Consolas, monospace; }
.replay { margin-top: .35rem; }
.figures { display: grid; grid-template-columns: minmax(0, 900px); gap: 1rem; }
.maps { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 300px), 1fr)); gap: .8rem; }
figure { margin: 0; } figure img { width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { font-size: .8rem; color: #555; }
footer { margin-top: 2.5rem; color: #666; font-size: .85rem; }
@media (min-width: 641px) {
  table.diff td:last-child { min-width: 17rem; }
}
@media (max-width: 640px) {
  body { padding: .6rem; font-size: 14px; }
  table.cards, table.cards tbody, table.cards tr, table.cards td { display: block; width: 100%; }
  table.cards thead { display: none; }
  table.cards tr { border: 1px solid var(--line); border-radius: 6px; margin: 0 0 .8rem; }
  table.cards td { border: none; border-bottom: 1px solid #eee; max-width: none; min-width: 0; }
  table.cards td::before { content: attr(data-label); font-weight: 600; display: block;
    font-size: .75rem; color: #555; }
  table.failures.cards td:nth-child(-n+2) { display: inline-block; width: auto; border: none; }
  table.failures.cards td:nth-child(-n+2)::before { display: none; }
  table.failures.cards td:nth-child(2) { border-radius: 4px; padding: .1rem .5rem; }
  table.grid td.cell { min-width: 0; } table.grid .fns { display: none; }
  table.grid th, table.grid td { padding: .25rem .35rem; }
}
"""


def page(title: str, body: str) -> str:
    """A complete HTML document around ``body``, readable on a laptop and on a phone."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def table(
    frame: pd.DataFrame,
    css_class: str,
    formatters: dict[str, Any] | None = None,
    cell_classes: pd.DataFrame | None = None,
    raw: tuple[str, ...] = (),
    cards: bool = True,
) -> str:
    """``frame`` as an HTML table (a pandas Styler): text escaped, numbers in scientific
    notation, columns named in ``formatters`` drawn by their function (which gets the escaped
    value and may wrap it in HTML); columns in ``raw`` already hold HTML and are not escaped.
    With ``cards``, a narrow screen shows each row as a card labelled by column (CSS above)."""
    if frame.empty:
        return '<p class="note">(none)</p>'
    formatters = formatters or {}
    numeric = [c for c in frame.columns if c not in formatters and pd.api.types.is_float_dtype(frame[c])]
    styler = frame.style.format({**{c: tables.sci for c in numeric}, **formatters}, escape="html", na_rep="")
    if raw:
        styler = styler.format({c: formatters.get(c, str) for c in raw}, subset=list(raw), escape=None)
    styler = styler.hide(axis="index")
    classes = pd.DataFrame("", index=frame.index, columns=frame.columns)
    for c in numeric:
        classes[c] = "num"
    if cell_classes is not None:
        classes = (classes + " " + cell_classes.reindex_like(classes).fillna("")).apply(lambda s: s.str.strip())
    styler = styler.set_td_classes(classes).set_uuid(f"t{next(_ids)}")
    text = styler.to_html(table_attributes=f'class="{css_class}{" cards" if cards else ""}"')
    if cards:  # label every cell for the narrow-screen card layout (pandas has no per-cell attributes)
        labels = [html.escape(str(c), quote=True) for c in frame.columns]
        text = re.sub(r'(<td id="T_\w+?_row\d+_col(\d+)")', lambda m: f'{m[1]} data-label="{labels[int(m[2])]}"', text)
    return f'<div class="scroll">{text}</div>'


def render(frame: pd.DataFrame, meta: dict[str, Any]) -> str:
    """The whole report of one run (``frame`` normalised by ``tables.normalise``)."""
    frame = frame.reset_index(drop=True)  # groups point at their worst record by index label
    bad = tables.failures(frame)
    groups = failure_groups(frame)
    sections = [
        "<h1>gradverify report</h1>",
        _verdict(frame, meta),
        _identity(meta),
        _overview(frame),
        _failures(frame, groups),
        _maps(bad),
        _distributions(frame),
        _timings(frame),
        "<footer>Every record is in <code>results.csv</code> (columns described in the project README); "
        "<code>summary.md</code> holds this overview in Markdown; <code>run.json</code> the run's identity. "
        "Re-render with <code>gradverify report DIR</code>.</footer>",
    ]
    body = "\n".join(s for s in sections[2:] if s)
    title = f"gradverify: {tables.verdict(frame, meta)}"
    return page(title, "\n".join([*sections[:2], _nav(body), body]))


NAV_LINKS = (
    ("what-ran", "what ran"),
    ("overview", "overview"),
    ("failures", "failures"),
    ("maps", "error maps"),
    ("errors", "error plots"),
    ("timings", "timings"),
)


def _nav(body: str) -> str:
    """Links to the sections the page has."""
    links = [f'<a href="#{i}">{t}</a>' for i, t in NAV_LINKS if f'id="{i}"' in body]
    return f'<nav class="toc">{" &middot; ".join(links)}</nav>'


def fallback(summary: str, problem: str) -> str:
    """A plain page when the full report could not be drawn: the summary, verbatim."""
    body = (
        "<h1>gradverify report</h1>"
        f'<p class="verdict interrupted">The full report could not be drawn ({html.escape(problem)}); '
        "the summary follows and every record is in results.csv.</p>"
        f"<pre>{html.escape(summary)}</pre>"
    )
    return page("gradverify report", body)


def image(png: bytes, alt: str, caption: str = "") -> str:
    """A PNG embedded as a data: URI, so the page needs no other file."""
    data = base64.b64encode(png).decode("ascii")
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}">{cap}</figure>'


def _verdict(frame: pd.DataFrame, meta: dict[str, Any]) -> str:
    t = tables.totals(frame)
    text = tables.verdict(frame, meta)
    if t[Status.FAIL] or t[Status.ERROR]:
        kind, text = "bad", f"Something disagrees with its reference. {text}"
    elif meta.get("interrupted"):
        kind = "interrupted"
    elif not t["checks"]:
        kind, text = "empty", f"No checks ran: the selection matched no case. {text}"
    else:
        kind, text = "ok", f"Every implementation agrees with its reference. {text}"
    apart = "".join(f"<li>{html.escape(line)}</li>" for line in tables.apart_lines(frame))
    return f'<p class="verdict {kind}">{html.escape(text)}</p>' + (f"<ul>{apart}</ul>" if apart else "")


LABELS = {"cases": "random cases per op"}


def _identity(meta: dict[str, Any]) -> str:
    env = meta.get("environment") or {}
    rows: list[tuple[str, str]] = [
        ("command", f'<code class="cmd">{html.escape(str(meta.get("command", "")))}</code>'),
        ("date", html.escape(str(meta.get("started", "unknown")))),
    ]
    if meta.get("duration_s") is not None:
        rows.append(("duration", f"{float(meta['duration_s']):.1f} s"))
    known = {"command", "started", "duration_s", "environment", "interrupted", "done", "total", "finished"}
    for key, value in meta.items():
        if key in known or value is None:
            continue
        shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else value
        shown = json.dumps(shown) if isinstance(shown, dict) else str(shown)
        rows.append((LABELS.get(key, key), html.escape(shown)))
    if meta.get("total"):
        rows.append(("cases run", f"{meta.get('done', '?')} of {meta['total']} (op, case, dtype) batches"))
    if meta.get("interrupted"):
        rows.append(("interrupted", "<strong>yes</strong>: stopped with Ctrl-C; only finished cases are shown"))
    rows += [(k, html.escape(str(v))) for k, v in env.items()]
    items = "".join(f"<dt>{html.escape(k)}</dt><dd>{v}</dd>" for k, v in rows)
    return f'<h2 id="what-ran">What ran</h2><dl class="identity">{items}</dl>'


def _overview(frame: pd.DataFrame) -> str:
    head = '<h2 id="overview">Overview</h2>'
    summary = tables.summary_table(frame)
    if summary.empty:
        return head + '<p class="note">No checks ran, so there is nothing to show.</p>'
    dtypes = list(dict.fromkeys(summary["dtype"]))
    ops = list(dict.fromkeys(summary["op"]))
    functions = frame.groupby("op", sort=False)["function"].agg(lambda s: ", ".join(dict.fromkeys(s)))
    grid = pd.DataFrame("", index=ops, columns=["op", *dtypes], dtype=object)
    classes = pd.DataFrame("", index=ops, columns=grid.columns, dtype=object)
    for op in ops:
        fns = html.escape(functions.get(op, ""))
        name = html.escape(op).replace("_", "_<wbr>")  # long op names may wrap at underscores on a phone
        grid.loc[op, "op"] = f'<strong>{name}</strong><br><span class="fns">{fns}</span>'
    for _, r in summary.iterrows():
        worst = next(s for s in reversed(status.ORDER) if r[s] > 0)
        counts = ", ".join(f"{r[s]} {s}" for s in status.ORDER if r[s] and s != Status.PASS)
        passed = f"{r[Status.PASS]}/{r['checks']} pass" + (f"; {counts}" if counts else "")
        grid.loc[r["op"], r["dtype"]] = (
            f'{passed}<br><span class="worst">worst rel_err {tables.sci(r["worst_rel_err"]) or "n/a"}</span>'
        )
        classes.loc[r["op"], r["dtype"]] = f"cell {worst}"
    classes = classes.replace("", "none")
    classes["op"] = ""
    grid = grid.reset_index(drop=True)
    classes = classes.reset_index(drop=True)
    formatters = {c: (lambda v: v or "not run") for c in grid.columns}
    legend = (
        '<p class="legend">'
        '<span class="pass">pass: agrees within tolerance</span>'
        '<span class="kink">kink: differs only at a non-differentiable point (not a failure)</span>'
        '<span class="fail">fail: differs from the reference</span>'
        '<span class="error">error: raised, wrong shape/type, NaN or changed its input</span></p>'
    )
    note = (
        '<p class="note">One row per op, one column per dtype; a cell counts the checks (one op variant on one '
        "sample) and shows the largest relative error of any output or gradient in it.</p>"
    )
    # the cells are built above from escaped text
    return head + note + legend + table(grid, "grid", formatters, classes, raw=tuple(grid.columns), cards=False)


def _failures(frame: pd.DataFrame, groups: pd.DataFrame) -> str:
    """One row per failing (function, quantity, diagnosis) group, shown by its worst record."""
    n = int(groups["records"].sum()) if len(groups) else 0
    head = (
        f'<h2 id="failures">Failures ({len(groups)} groups of {n} failing records, worst first)</h2>'
        if len(groups)
        else '<h2 id="failures">Failures</h2>'
    )
    if groups.empty:
        return head + '<p class="note">None: nothing failed or raised.</p>'
    e = html.escape
    rows = []
    for i, (_, g) in enumerate(groups.iterrows(), 1):
        r = frame.loc[g["worst"]]
        cases = f"{g['cases']} failing case{'s' if g['cases'] != 1 else ''} ({e(g['dtypes'])}); worst:"
        check = (
            f"<strong>{e(r['function'])}</strong> <code>{e(r['quantity'])}</code><br>{cases}<br>"
            f"{e(r['dtype'])} &middot; {e(r['case'])}:{e(_seed(r['seed']))}<br><small>{e(r['shape'])}</small>"
        )
        facts = [f"<strong>{e(r['diagnosis'] or r['status'])}</strong>"]
        if r["blame"]:
            facts.append(f"blame: {e(r['blame'])}")
        if tables.sci(r["rel_err"]):
            facts.append(f"rel_err {tables.sci(r['rel_err'])}")
        if not pd.isna(r["bad_fraction"]):
            facts.append(f"{100 * float(r['bad_fraction']):.3g}% of entries off")
        if r["fd_verdict"]:
            facts.append(f"finite diff.: {e(_FD.get(r['fd_verdict'], r['fd_verdict']))}")
        detail = e(r["message"])
        worst = _worst_elements(r["worst_elements"])
        if worst:
            detail += f'<div class="worst-el">{worst}</div>'
        if r["reproduce"]:
            detail += f'<div class="replay">replay: <code class="cmd">{e(r["reproduce"])}</code></div>'
        rows.append({"#": i, "status": r["status"], "check": check, "diagnosis": "<br>".join(facts), "why": detail})
    view = pd.DataFrame(rows).rename(columns={"why": "what is wrong, and how to replay it"})
    classes = pd.DataFrame("", index=view.index, columns=view.columns)
    classes["status"] = view["status"]
    classes.iloc[:, -1] = "msg"
    note = (
        '<p class="note">The finite difference of the implementation\'s own forward pass decides whom to blame: '
        "<em>backward</em> (the gradient code), <em>forward</em> (the function itself) or <em>both</em>. "
        "Tap or click a replay command to select it, then copy it into a terminal.</p>"
    )
    raw = ("check", "diagnosis", "what is wrong, and how to replay it")  # built from escaped text above
    return head + note + table(view, "failures", cell_classes=classes, raw=raw)


_FD = {"agree": "agrees", "disagree": "disagrees", "kink": "kink on the probe", "skipped": "skipped"}


def _seed(value: Any) -> str:
    try:
        return str(int(value))
    except (TypeError, ValueError):
        return str(value)


def _worst_elements(value: Any) -> str:
    try:
        items = json.loads(value) if isinstance(value, str) and value.strip() else []
    except ValueError:
        return ""
    lines = []
    for item in items[:5] if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        parts = [f"{k} {_num(item[k])}" for k in ("impl", "ref", "fd") if item.get(k) is not None]
        lines.append(f"{html.escape(str(tuple(item.get('index', []))))}: {html.escape(', '.join(parts))}")
    return "<br>".join(lines)


def _num(x: Any) -> str:
    try:
        return f"{float(x):.6g}"
    except (TypeError, ValueError):
        return str(x)


def _maps(bad: pd.DataFrame) -> str:
    grads = bad[tables.is_gradient(bad) & (bad["status"] == Status.FAIL)]
    if grads.empty:
        return ""
    head = '<h2 id="maps">Where failing gradients are wrong</h2>'
    images = plots.error_maps(grads)
    if not images:
        return head + '<p class="note">These records carry no error map (column <code>error_map</code>).</p>'
    note = (
        f'<p class="note">|impl - ref| across the gradient\'s axes (reduced to 2-D) for {len(images)} of the worst '
        "failing gradients (one per sample, at most three per function): a uniform map suggests a missing scale "
        "(an average), a map shaped like an input a missing or extra term, a single bright row or column a wrong "
        "index.</p>"
    )
    return head + note + '<div class="maps">' + "".join(image(png, cap, cap) for cap, png in images) + "</div>"


def _distributions(frame: pd.DataFrame) -> str:
    if frame["rel_err"].notna().sum() == 0:
        return ""
    grads = tables.is_gradient(frame)
    figures = []
    for part, title in ((frame[~grads], "Forward: outputs and losses"), (frame[grads], "Gradients")):
        png = plots.error_distribution(part, title)
        if png is not None:
            figures.append(image(png, f"relative error per op: {title}"))
    note = (
        '<p class="note">Each dot is one compared quantity; dots right of its dtype\'s dashed line fail. '
        "Errors (raised, wrong shape) have no relative error and are not drawn.</p>"
    )
    return '<h2 id="errors">Relative errors per op</h2>' + note + '<div class="figures">' + "".join(figures) + "</div>"


def _timings(frame: pd.DataFrame) -> str:
    times = tables.timings(frame)
    if times.empty:
        return ""
    formatters = {
        c: (lambda v: "" if pd.isna(v) else f"{v:.1f}x")
        if c.startswith("naive / ")
        else (lambda v: "" if pd.isna(v) else f"{v:,.1f}")
        for c in times.columns
        if c != "op"
    }
    classes = pd.DataFrame("", index=times.index, columns=times.columns)
    for c in formatters:
        classes[c] = "num"
    note = (
        '<p class="note">Median wall time of one implementation call in microseconds (us), per variant and dtype, '
        "over the run's cases (which are small: this shows overheads more than scaling). "
        "The torch reference is not timed, so it has no column.</p>"
    )
    return '<h2 id="timings">Timings</h2>' + note + table(times, "timings", formatters, classes)
