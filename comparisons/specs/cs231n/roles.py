"""What CS231n's input names mean, for diagnosis: the course's conventions as data.

``X``/``x`` count examples on axis 0, ``y`` holds the labels that index the scores, ``W`` is
the (D, C) weight matrix that ``reg`` regularizes, and the hinge's margin is ``delta`` (1 when
the signature has none). Recurrent layers add time on axis 1 of ``x``.
"""

from __future__ import annotations

import dataclasses

from gradverify.core.roles import Roles
from gradverify.core.spec import OpSpec

COURSE = Roles(
    batch=("x", "X"),
    classes=("W",),
    labels="y",
    scores=("x",),
    reg="reg",
    regularized=("W",),
    batch_first=("x", "h", "dout"),
)
HINGE = dataclasses.replace(COURSE, margin="delta", margin_default=1.0)
TEMPORAL = dataclasses.replace(COURSE, time=("x",))

BY_FAMILY = {"linear_svm": HINGE, "layers": HINGE, "rnn_layers": TEMPORAL}


def with_roles(spec: OpSpec) -> OpSpec:
    """``spec`` with the course's roles for its family, unless it declares its own."""
    if spec.roles != Roles():
        return spec
    return dataclasses.replace(spec, roles=BY_FAMILY.get(spec.family, COURSE))
