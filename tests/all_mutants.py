"""Every deliberately wrong implementation, gathered from the ``bugzoo*.py`` files beside
this one (one per family of ops), so a new family's mutants are tested without registration."""

from __future__ import annotations

import importlib
from pathlib import Path

from bugzoo import Mutant

MODULES = sorted(p.stem for p in Path(__file__).parent.glob("bugzoo*.py"))
MUTANTS: tuple[Mutant, ...] = tuple(m for name in MODULES for m in importlib.import_module(name).MUTANTS)
