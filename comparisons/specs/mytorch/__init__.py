"""CMU 11-785's MyTorch (HW1P1 layer objects), each module exporting ``SPECS``; every op gets
the course's input roles."""

from __future__ import annotations

import dataclasses

from gradverify.core.roles import Roles
from gradverify.core.spec import OpSpec
from gradverify.specs.mytorch import cnn, layers, sequence

MODULES = (layers, cnn, sequence)

ROLES = Roles(batch=("A", "Z"), batch_first=("a", "z"))
"""Row-major data as in torch: A and Z are (N, C), examples on axis 0."""


def with_roles(spec: OpSpec) -> OpSpec:
    return spec if spec.roles != Roles() else dataclasses.replace(spec, roles=ROLES)


SPECS: tuple[OpSpec, ...] = tuple(with_roles(spec) for module in MODULES for spec in module.SPECS)
