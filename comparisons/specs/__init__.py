"""The op registry: every course's op declarations (``SPECS``), in the order runs visit them.

Shared helpers for declaring ops live beside the courses: ``kinks`` and ``conv_kinks`` (masks
of non-differentiable points) and ``registry`` (selecting ops by the names users type).
"""

from __future__ import annotations

from gradverify.core.spec import OpSpec
from gradverify.specs import cs231n

SPECS: tuple[OpSpec, ...] = cs231n.SPECS
