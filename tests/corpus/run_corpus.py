"""Run ``gradverify check`` on every assignment folder of the CS231n corpus and tabulate the
non-pass verdicts (not part of the test suite: the corpus is not in CI; see README.md).

    python tests/corpus/run_corpus.py /work/corpus/repos --out reports/corpus [--cases 1]

Writes ``verdicts.csv`` (one row per non-pass record, with repo and assignment),
``by_diagnosis.csv`` and ``summary.md``; with ``--label FILE`` (a CSV of
``diagnosis,function_regex,verdict`` rows, verdict ``bug`` or ``false_alarm``) it also
reports the false-alarm rate. Each folder is one ``gradverify check`` process, so a crash of
one never stops the others.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

MARKERS = ("layers.py", "optim.py", "rnn_layers.py", "classifiers")


def packages(root: Path) -> list[Path]:
    """Every ``cs231n`` folder under ``root`` that holds course code, sorted."""
    found = []
    for folder in sorted(root.rglob("cs231n")):
        if folder.is_dir() and any((folder / m).exists() for m in MARKERS) and "build" not in folder.parts:
            found.append(folder)
    return found


def run_one(folder: Path, out: Path, extra: list[str]) -> pd.DataFrame:
    """``gradverify check`` of one folder; its records with repo and assignment columns."""
    command = [sys.executable, "-m", "gradverify", "check", str(folder), "--quiet", "--out", str(out), *extra]
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    (out / "stdout.txt").parent.mkdir(parents=True, exist_ok=True)
    (out / "stdout.txt").write_text(done.stdout + "\n--- stderr ---\n" + done.stderr)
    results = out / "results.csv"
    if not results.exists():
        return pd.DataFrame([{"status": "no_report", "diagnosis": f"exit {done.returncode}", "op": "(run)"}])
    return pd.read_csv(results, low_memory=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the corpus folder (one repository per subfolder)")
    parser.add_argument("--out", type=Path, default=Path("reports/corpus"))
    parser.add_argument("--cases", default="1", help="random cases per op (default 1: the edge cases run anyway)")
    parser.add_argument("--dtypes", default="float64")
    parser.add_argument("--only", default="", help="regex on the folder path")
    parser.add_argument(
        "--label", type=Path, help="labels.csv, or a CSV diagnosis,function_regex,verdict, to classify verdicts"
    )
    parser.add_argument("extra", nargs="*", help="further gradverify check flags (after --)")
    args = parser.parse_args(argv)
    frames = []
    for folder in packages(args.root):
        relative = folder.relative_to(args.root)
        if args.only and not re.search(args.only, str(relative)):
            continue
        started = time.monotonic()
        flags = ["--cases", args.cases, "--dtypes", args.dtypes, *args.extra]
        frame = run_one(folder, args.out / str(relative).replace("/", "__"), flags)
        repo, assignment = relative.parts[0], "/".join(relative.parts[1:-1]) or "."
        frames.append(frame.assign(repo=repo, assignment=assignment))
        bad = frame[frame["status"] != "pass"]
        print(f"{relative}: {len(frame)} records, {len(bad)} non-pass, {time.monotonic() - started:.0f}s", flush=True)
    table = pd.concat(frames, ignore_index=True)
    nonpass = table[table["status"] != "pass"]
    columns = ["repo", "assignment", "op", "function", "quantity", "status", "diagnosis", "convention", "message"]
    nonpass = nonpass.reindex(columns=columns)
    args.out.mkdir(parents=True, exist_ok=True)
    nonpass.to_csv(args.out / "verdicts.csv", index=False)
    # one verdict per (repo, assignment, function, diagnosis): dtypes and cases of one fault count once
    verdicts = nonpass.drop_duplicates(["repo", "assignment", "function", "status", "diagnosis"])
    by = verdicts.groupby(["status", "diagnosis"], dropna=False).size().rename("verdicts").reset_index()
    by.to_csv(args.out / "by_diagnosis.csv", index=False)
    lines = [f"# Corpus run: {len(table)} records, {len(verdicts)} distinct non-pass verdicts", ""]
    lines += [f"- {r.status} / {r.diagnosis}: {r.verdicts}" for r in by.itertuples()]
    if args.label is not None:
        labels = pd.read_csv(args.label)
        kind = verdicts.apply(lambda r: _label(r, labels), axis=1)
        counted = kind[kind != "expected"]
        false = int((counted == "false_alarm").sum())
        debatable = int((counted == "debatable").sum())
        lines += ["", f"false alarms: {false} of {len(counted)} ({false / max(len(counted), 1):.1%})"]
        lines += [f"debatable: {debatable}"]
        lines += [f"unlabelled: {int((counted == 'unlabelled').sum())}"]
        verdicts.assign(label=kind).to_csv(args.out / "labelled.csv", index=False)
    (args.out / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


def _label(row: pd.Series, labels: pd.DataFrame) -> str:
    """``expected`` for what is not a failure (not_implemented, not_checked, kink, warning),
    else the label of this very verdict (rows repo, assignment, function, diagnosis, verdict:
    labels.csv) or the first rule that matches (rows diagnosis, function_regex, verdict)."""
    if row["status"] in ("not_implemented", "not_checked", "kink", "warning"):
        return "expected"
    for rule in labels.itertuples():
        if str(row["diagnosis"]) != rule.diagnosis:
            continue
        if "function_regex" in labels.columns:
            if re.search(rule.function_regex, f"{row['repo']}/{row['function']}"):
                return rule.verdict
        elif (rule.repo, rule.assignment, rule.function) == (row["repo"], row["assignment"], row["function"]):
            return rule.verdict
    return "unlabelled"


if __name__ == "__main__":
    sys.exit(main())
