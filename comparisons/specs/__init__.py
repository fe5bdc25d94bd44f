"""The op registry: every course's op declarations (``SPECS``), in the order runs visit them.

Each course is a profile in its own folder (``cs231n``, ``dls``, ``mytorch``), mirrored by
``impl/`` and ``reference/``; ``COURSES`` maps its name to its ops. Shared helpers for
declaring ops live beside the courses: ``kinks`` and ``conv_kinks`` (masks of
non-differentiable points) and ``registry`` (selecting ops by the names users type).
"""

from __future__ import annotations

from gradverify.core.spec import OpSpec
from gradverify.specs import cs231n, dls, mytorch

COURSES: dict[str, tuple[OpSpec, ...]] = {"cs231n": cs231n.SPECS, "dls": dls.SPECS, "mytorch": mytorch.SPECS}
"""Each course's ops; CS231n's op names are bare, the others' carry their course (``dls.linear``)."""

SPECS: tuple[OpSpec, ...] = tuple(spec for specs in COURSES.values() for spec in specs)

HELPER_NAMES: frozenset[str] = dls.HELPER_NAMES
"""Names the courses' utility modules define with an API other than their ops' (discovery
binds them only to code of the assignment they belong to)."""
