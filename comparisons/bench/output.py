"""The benchmark table: bench.json (a list of rows), bench.md and the console text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from gradverify.bench.timing import Row, describe
from gradverify.report.files import write_atomic

JSON_FILE, MARKDOWN_FILE, ENVIRONMENT_FILE = "bench.json", "bench.md", "environment.json"


def to_json(rows: list[Row]) -> str:
    return json.dumps([r.as_dict() for r in rows], indent=1, default=str) + "\n"


def table(rows: list[Row]) -> pd.DataFrame:
    """One line per row: times in milliseconds, the ratio, the goal and whether it is met."""
    lines = []
    for r in rows:
        p = dict(r.params)
        goal, met, cpu = p.pop("goal", ""), p.pop("met", None), p.pop("cpu_ratio", None)
        lines.append(
            {
                "benchmark": r.benchmark,
                "subject": r.subject,
                "baseline": r.baseline,
                "subject ms": _ms(r.subject_s),
                "baseline ms": _ms(r.baseline_s),
                "ratio": f"{r.ratio:.3g}",
                "cpu ratio": "" if cpu is None else f"{cpu:.3g}",
                "goal": goal,
                "met": "" if met is None else ("yes" if met else "**no**"),
                "params": _params(p),
            }
        )
    return pd.DataFrame(lines)


def markdown(rows: list[Row], env: dict[str, Any], command: str) -> str:
    missed = [r for r in rows if r.params.get("met") is False]
    verdict = f"{len(missed)} goal(s) missed" if missed else "every goal met"
    return "\n".join(
        [
            f"# `{command}`",
            "",
            describe(env),
            "- times: median of interleaved repeats after warm-up; ratio = subject / baseline wall time; "
            "cpu ratio = the same for this process's CPU time (robust to other programs sharing the cores)",
            "",
            table(rows).to_markdown(index=False) if rows else "(no benchmark ran)",
            "",
            f"{len(rows)} rows; {verdict}.",
            "",
        ]
    )


def write(rows: list[Row], env: dict[str, Any], command: str, out_dir: Path, json_path: Path | None) -> str:
    """Write bench.json, bench.md and environment.json into ``out_dir`` (and the JSON to
    ``json_path`` when given); returns the Markdown."""
    text = markdown(rows, env, command)
    write_atomic(out_dir / JSON_FILE, to_json(rows))
    write_atomic(out_dir / ENVIRONMENT_FILE, json.dumps(env, indent=1, default=str) + "\n")
    write_atomic(out_dir / MARKDOWN_FILE, text)
    if json_path is not None:
        write_atomic(json_path, to_json(rows))
    return text


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.4g}"


def _params(p: dict[str, Any]) -> str:
    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.3g}"
        if isinstance(v, list):
            return "x".join(str(i) for i in v)
        return str(v)

    return ", ".join(f"{k}={fmt(v)}" for k, v in p.items())
