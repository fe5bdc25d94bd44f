"""JUnit XML (``--junit FILE``): one test case per function, dtype and case, so any CI system
that reads JUnit (GitHub, GitLab, Jenkins, Azure) lists what was checked and what failed.

A test suite per op; a test case ``function[dtype, case:seed]`` per implementation function
and sample. ``fail`` records become ``<failure>``, ``error`` records ``<error>``; a kink passes
(any subgradient is valid) with a note in ``<system-out>``.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from typing import Any

import pandas as pd

from gradverify.core.display import clean
from gradverify.core.status import Status
from gradverify.report import tables

CASE_KEYS = ["op", "family", "variant", "function", "dtype", "case", "seed"]


def render(frame: pd.DataFrame, meta: dict[str, Any]) -> str:
    """The JUnit XML document for the records in ``frame``."""
    frame = tables.normalise(frame)
    root = ET.Element("testsuites", name="gradverify")
    _properties(root, meta)
    totals = {"tests": 0, "failures": 0, "errors": 0, "time": 0.0}
    for op, records in frame.groupby("op", sort=False):
        suite = ET.SubElement(root, "testsuite", name=str(op))
        counts = {"tests": 0, "failures": 0, "errors": 0, "time": 0.0}
        for keys, quantities in records.groupby(CASE_KEYS, sort=False, dropna=False):
            counts["time"] += _case(suite, dict(zip(CASE_KEYS, keys, strict=True)), quantities, counts)
        suite.attrib.update({k: _attr(v) for k, v in counts.items()}, skipped="0")
        for k in totals:
            totals[k] += counts[k]
    root.attrib.update({k: _attr(v) for k, v in totals.items()})
    ET.indent(root)
    # control characters are not XML: names and messages from user code are cleaned first
    return clean(ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n")


def _properties(parent: ET.Element, meta: dict[str, Any]) -> None:
    properties = ET.SubElement(parent, "properties")
    for key in ("command", "started", "seed", "cases", "dtypes", "interrupted"):
        if meta.get(key) is not None:
            value = meta[key]
            text = ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
            ET.SubElement(properties, "property", name=key, value=text)


def _case(suite: ET.Element, key: dict[str, Any], quantities: pd.DataFrame, counts: dict[str, Any]) -> float:
    seed = _seed(key["seed"])
    seconds = quantities["time_s"].max()
    seconds = 0.0 if pd.isna(seconds) or not math.isfinite(seconds) else float(seconds)
    case = ET.SubElement(
        suite,
        "testcase",
        classname=f"gradverify.{key['family'] or 'user'}.{key['op']}.{key['variant']}",
        name=f"{key['function']}[{key['dtype']}, {key['case']}:{seed}]",
        time=_attr(seconds),
    )
    counts["tests"] += 1
    statuses = set(quantities["status"])
    for status, tag in ((Status.ERROR, "error"), (Status.FAIL, "failure"), (Status.INCOMPLETE, "failure")):
        if status in statuses:
            bad = quantities[quantities["status"] == status]
            first = bad.iloc[0]
            element = ET.SubElement(case, tag, type=first["diagnosis"] or status, message=_one_line(first["message"]))
            element.text = _details(bad)
            counts["errors" if tag == "error" else "failures"] += 1
            break
    else:
        if Status.KINK in statuses:
            kinks = quantities[quantities["status"] == Status.KINK]
            ET.SubElement(case, "system-out").text = "kink (not a failure): " + "; ".join(kinks["message"])
    return seconds


def _details(bad: pd.DataFrame) -> str:
    lines = [
        f"{r['quantity']}: {r['status']}"
        + (f" [{r['diagnosis']}]" if r["diagnosis"] else "")
        + (f" rel_err {tables.sci(r['rel_err'])}" if tables.sci(r["rel_err"]) else "")
        + f": {r['message']}"
        for _, r in bad.iterrows()
    ]
    lines.append(f"shape: {bad.iloc[0]['shape']}")
    lines.append(f"replay: {bad.iloc[0]['reproduce']}")
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:500]


def _seed(value: Any) -> str:
    try:
        return str(int(value))
    except (TypeError, ValueError):
        return str(value)


def _attr(value: Any) -> str:
    return f"{value:.6f}" if isinstance(value, float) else str(value)
