"""Project settings from ``[tool.gradverify]`` in the project's pyproject.toml.

A course repository states once what to check and how, so that a bare ``gradverify check``
does the right thing::

    [tool.gradverify]
    paths = ["cs231n/"]
    ops = ["affine", "relu"]
    map = {svm_loss_naive = "Multiclass_SVM().svm_loss"}
    grad-keys = {X = "dx"}
    cases = 3
    dtypes = ["float64"]
    timeout = 5

The settings become the commands' defaults; a flag on the command line overrides its setting.
A setting a command has no flag for is ignored by that command (``cases`` means nothing to
``report``); a key gradverify does not know is a usage error.
"""

from __future__ import annotations

import argparse
import os
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gradverify.cli.errors import UsageError, did_you_mean
from gradverify.cli.outputs import project_root

SECTION = "tool.gradverify"


def _text_list(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ",".join(value)
    raise ValueError("expected a string or a list of strings")


def _bindings(value: Any) -> dict[str, str]:
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list | str):
        items = [value] if isinstance(value, str) else value
        out = {}
        for item in items:
            name, sep, target = str(item).partition("=")
            if not sep:
                raise ValueError(f"expected NAME=TARGET, got {item!r}")
            out[name.strip()] = target.strip()
        return out
    raise ValueError("expected a table {NAME = TARGET} or a list of 'NAME=TARGET'")


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {value!r}")
    return str(value)


def _paths(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else _text_list(value).split(",")


# key -> (argparse dest, how the TOML value becomes the flag's text (or value), parse with the flag's type?)
KEYS: dict[str, tuple[str, Callable[[Any], Any], bool]] = {
    "paths": ("paths", _paths, False),
    "ops": ("ops", _text_list, True),
    "map": ("map", lambda v: [_bindings(v)], False),
    "grad-keys": ("grad_keys", _bindings, False),
    "cases": ("cases", _number, True),
    "dtypes": ("dtypes", _text_list, True),
    "edition": ("edition", lambda v: str(v), True),
    "timeout": ("timeout", _number, True),
}


def _from_root(root: Path, text: str) -> str:
    """A path setting, relative to the project root, as seen from the current folder (a module
    name that is no path stays as it is)."""
    target = root / text
    if not target.exists():
        return text
    return os.path.relpath(target, Path.cwd())


def load(start: Path | None = None) -> tuple[dict[str, Any], Path | None]:
    """The ``[tool.gradverify]`` table of the project's pyproject.toml (``{}`` without one)."""
    path = project_root(start) / "pyproject.toml"
    if not path.is_file():
        return {}, None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise UsageError(f"{path}: cannot read [{SECTION}]: {e}") from None
    table = data.get("tool", {}).get("gradverify", {})
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [{SECTION}] must be a table")
    for key in table:
        if key not in KEYS:
            raise UsageError(f"{path}: [{SECTION}] has unknown key {key!r}{did_you_mean(key, KEYS)}")
    return table, path


def apply(parser: argparse.ArgumentParser, table: dict[str, Any], path: Path | None) -> None:
    """Make ``table``'s settings the defaults of ``parser`` (one subcommand), converted by the
    same types as its flags, so a bad setting is reported like a bad flag, naming the file."""
    actions = {a.dest: a for a in parser._actions}
    defaults = {}
    for key, value in table.items():
        dest, convert, typed = KEYS[key]
        action = actions.get(dest)
        if action is None:
            continue
        try:
            converted = convert(value)
            if typed and action.type is not None:
                converted = action.type(converted)
        except (ValueError, TypeError, argparse.ArgumentTypeError) as e:
            raise UsageError(f"{path}: [{SECTION}] {key}: {e}") from None
        if dest == "paths" and path is not None:  # written relative to the project root
            converted = [_from_root(path.parent, p) for p in converted]
        defaults[dest] = converted
        if dest == "paths":
            action.nargs = "*"  # the setting stands in for the positional PATHs
    parser.set_defaults(**defaults)
