"""Nothing skipped in silence: what a check of real course code could not cover, and why.

Three kinds of findings are not the student's fault and become ``not_checked`` records (with
the reason) instead of errors: a course-provided file that cannot be imported (a Python 2
``print`` in the 2016 ``fast_layers.py``, a ``fast_layers.py`` the student never committed);
a course-provided function that fails by itself; and a course-named function or class of the
submission that no op of the registry can call as written (an extended or older signature).
Everything else stays an error: a student file that does not import is the student's.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gradverify.core.records import Record
from gradverify.core.spec import OpSpec
from gradverify.core.status import Status
from gradverify.specs import SPECS
from gradverify.specs.cs231n import provided
from gradverify.usercode import course_match, discovery

PYTHON2 = re.compile(r"Missing parentheses in call to 'print'|invalid syntax.*print|print >>|except \w+, \w+")
MISSING = re.compile(r"No module named '([\w.]+)'")
PY2_SOURCE = re.compile(r"^\s*print\s+[^\s(=]|^\s*print\s*$|\bxrange\(", re.MULTILINE)
PY2_DIVISION = re.compile(
    r"'float' object cannot be interpreted as an integer|slice indices must be integers|"
    r"only integer scalar arrays can be converted|'float' object is not iterable|must be int, not float|"
    r"Cannot cast (?:array data|ufunc '\w+' output) from dtype\('float64'\) to dtype\('int64'\)"
)
PY2_API = re.compile(
    r"object has no attribute '(iteritems|itervalues|iterkeys|has_key)'|"
    r"name '(unicode|basestring|raw_input|unichr|long|cmp|reduce)' is not defined"
)
"""Python 2 APIs that Python 3 removed: the code is right under the Python it was written for."""
REMOVED_IN_NUMPY2 = re.compile(
    r"module 'numpy' has no attribute '(?P<attribute>int|float|bool|object|complex|str|long|unicode|asscalar|"
    r"row_stack|float_|complex_|NaN|Inf|PINF|NINF|infty|product|cumproduct|alltrue|sometrue|round_|in1d|"
    r"trapz|rank|msort)'|(?P<newshape>unexpected keyword argument 'newshape')|"
    r"(?P<scalar>only 0-dimensional arrays can be converted to Python scalars)"
)
"""NumPy 1.x APIs that NumPy 2 removed, and the int()/float() of a one-element array it refuses."""


COURSE_NAMES = frozenset(course_match.course_names(SPECS))


@dataclass(frozen=True)
class Verdict:
    """Status, diagnosis and message of one finding."""

    status: Status
    code: str
    message: str


def import_failure(
    module: str, message: str, target: str | None = None, names: frozenset[str] = COURSE_NAMES
) -> Verdict:
    """The verdict on a file of the submission that could not be imported. ``target``: the
    submission's file or folder, read to tell whether the file defines any of ``names`` (the
    functions and classes of the course being checked)."""
    missing = MISSING.search(message)
    text = f"{module} cannot be imported: {message}"
    if provided.is_provided_file(module):
        return Verdict(Status.NOT_CHECKED, "course_file", f"{text} (a course-provided file: not the student's code)")
    if missing and provided.is_provided_file(missing.group(1)):
        return Verdict(
            Status.NOT_CHECKED,
            "course_file_missing",
            f"{text}: the course-provided {missing.group(1)} was not committed, so what needs it is not checked",
        )
    if PYTHON2.search(message):
        return Verdict(
            Status.NOT_CHECKED,
            "python2_source",
            f"{text}: Python 2 source, which Python 3 cannot import (gradverify checks Python 3 code: port it)",
        )
    numpy2 = removed_in_numpy2(message)
    if numpy2:
        return Verdict(Status.NOT_CHECKED, "numpy2_removed", f"{text}. {numpy2}")
    if missing and target is not None and not defines_any(target, module, names):
        # assignment 3's PyTorch notebooks' files (gan_pytorch.py needs torchvision): nothing here is ours to check
        return Verdict(
            Status.NOT_CHECKED,
            "missing_module",
            f"{text}: {missing.group(1)} is not installed where gradverify runs, and the file defines no function "
            f"or class that gradverify checks, so nothing is lost",
        )
    return Verdict(Status.ERROR, "import_error", text)


def defines_any(target: str, module: str, names: frozenset[str]) -> bool:
    """Whether any file of ``target`` that ``module`` may name (``gan_pytorch.py``,
    ``cs231n.gan_pytorch``) defines a function or class of ``names``; a file that cannot be
    found or parsed counts as defining one, so an import error is never explained away."""
    root = Path(target)
    stem = module[:-3] if module.endswith(".py") else module
    relative = Path(*stem.split(".")).with_suffix(".py") if stem.replace(".", "").isidentifier() else None
    if root.is_file():
        files = [root]
    elif root.is_dir():
        files = [p for p in sorted(root.rglob("*.py"))[:2000] if relative is None or _ends_with(p, relative)]
        files += [p for p in sorted(root.rglob(module)) if module.endswith(".py") and p not in files]
    else:
        files = []
    if not files:
        return True
    for path in files:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (OSError, SyntaxError, ValueError):
            return True
        kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        defined = {n.name for n in ast.walk(tree) if isinstance(n, kinds)}
        if defined & names:
            return True
    return False


def _ends_with(path: Path, relative: Path) -> bool:
    """``a/b/cs231n/gan_pytorch.py`` ends with ``cs231n/gan_pytorch.py`` and ``gan_pytorch.py``."""
    return path.parts[-len(relative.parts) :] == relative.parts


def removed_in_numpy2(message: str) -> str | None:
    """A sentence naming the NumPy 1.x API that ``message`` shows was removed in NumPy 2."""
    found = REMOVED_IN_NUMPY2.search(message)
    if not found:
        return None
    if found.group("attribute"):
        api = f"np.{found.group('attribute')} was removed in NumPy 2"
    elif found.group("newshape"):
        api = "reshape(newshape=...) was removed in NumPy 2"
    else:
        api = "int() or float() of a one-element array (not a 0-d one) is an error in NumPy 2"
    return (
        f"{api}: the code was written for NumPy 1.x. Not checked here: update it, or run it in a course "
        f"environment with gradverify check --python PATH_TO_PYTHON_WITH_NUMPY_1"
    )


def looks_python2(target: str) -> bool:
    """Whether the submission's source is Python 2 (``print x``, ``xrange``): then ``/``
    between integers was integer division, and a float size is Python 3's doing."""
    root = Path(target)
    files = [root] if root.is_file() else sorted(root.rglob("*.py"))[:200] if root.is_dir() else []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if "from past.builtins import xrange" not in text and PY2_SOURCE.search(text):
            return True
    return False


def course_provided(records: Iterable[Record], python2: bool = False) -> list[Record]:
    """Records of course-provided functions that raised by themselves become ``not_checked``,
    and so do Python 2 integer divisions in Python 2 code; a NumPy-2 removal gets its own
    diagnosis."""
    out = []
    for r in records:
        name = (r.function or "").rsplit(".", 1)[-1]
        if r.status == Status.ERROR and r.diagnosis == "exception":
            numpy2 = removed_in_numpy2(r.message or "")
            if numpy2:
                r = r.replace(status=Status.NOT_CHECKED, diagnosis="numpy2_removed", message=f"{r.message}. {numpy2}")
            elif PY2_API.search(r.message or ""):
                api = next(g for g in PY2_API.search(r.message or "").groups() if g)
                message = (
                    f"{r.message}: Python 2 code ({api} is Python 2 only). Not checked: gradverify checks Python 3 "
                    f"code (port it: items(), values(), keys(), in)"
                )
                r = r.replace(status=Status.NOT_CHECKED, diagnosis="python2_source", message=message)
            elif python2 and PY2_DIVISION.search(r.message or ""):
                message = (
                    f"{r.message}: Python 2 code, where / between integers gave an integer; under Python 3 a size "
                    f"became a float. Not checked: use // between integers"
                )
                r = r.replace(status=Status.NOT_CHECKED, diagnosis="python2_division", message=message)
            elif _undefined_course_name(r.message or ""):
                missing = _undefined_course_name(r.message or "")
                message = (
                    f"{r.message}: it calls {missing}, which this package does not define (a helper copied from "
                    f"another assignment?). Not checked"
                )
                r = r.replace(status=Status.NOT_CHECKED, diagnosis="missing_dependency", message=message)
            elif name in provided.FUNCTIONS:
                message = f"course-provided {name} failed by itself ({r.message}): not counted against the student"
                r = r.replace(status=Status.NOT_CHECKED, diagnosis="course_code", message=message)
        out.append(r)
    return out


def _undefined_course_name(message: str) -> str | None:
    found = re.search(r"NameError: name '(\w+)' is not defined", message)
    if found and found.group(1) in COURSE_NAMES:
        return found.group(1)
    return None


def bound_names(specs: Iterable[OpSpec]) -> set[str]:
    """The submission's names that some planned variant calls."""
    names = set()
    for spec in specs:
        for variant in spec.variants:
            fields = getattr(variant.adapter, "fields", {})
            for value in fields.values() if isinstance(fields, Mapping) else ():
                if isinstance(value, dict) and isinstance(value.get("$target"), str):
                    names.add(re.match(r"\w+", value["$target"]).group(0))
    return names


def unchecked(
    all_specs: Iterable[OpSpec], plan: discovery.Plan, inventory: list[dict[str, Any]], selection: set | None
) -> list[dict[str, Any]]:
    """Fields of a ``not_checked`` record for every course-named callable the submission
    defines that no planned variant calls, with the reason the planner noted."""
    all_specs = list(all_specs)
    course = set(course_match.course_names(all_specs))
    bound = bound_names(plan.specs)
    out = []
    for item in inventory:
        name = item.get("name")
        if not isinstance(name, str) or name not in course or name in bound:
            continue
        ops = [s for s in all_specs for v in s.variants if name in {x.name for x in course_match.slots(v.adapter)}]
        if selection is not None and not any((s.name, v.name) in selection for s in ops for v in s.variants):
            continue
        notes = [n for n in plan.notes if re.search(rf"\b{re.escape(name)}\b", n)]
        reason = "; ".join(notes) or "no op of the registry can call it as written (its signature or API differs)"
        out.append(
            dict(
                op=ops[0].name if ops else "(discovery)",
                family=ops[0].family if ops else None,
                function=str(item.get("qualname") or name),
                quantity="(call)",
                status=Status.NOT_CHECKED,
                diagnosis="signature",
                message=f"not checked: {reason}",
            )
        )
    return out
