"""deeplearning.ai's Deep Learning Specialization, one module per assignment's code (the
answer key's file names), each exporting ``SPECS``; every op gets the course's input roles."""

from __future__ import annotations

import dataclasses

from gradverify.core.roles import Roles
from gradverify.core.spec import OpSpec
from gradverify.specs.dls import cnn, deep_nn, optimization, regularization, rnn

MODULES = (deep_nn, regularization, optimization, cnn, rnn)

HELPER_NAMES = frozenset({"sigmoid", "relu", "forward_propagation", "compute_cost", "backward_propagation",
                          "update_parameters"})  # fmt: skip
"""Names of graded functions that the notebooks' utility modules (``reg_utils``, ``opt_utils``,
``planar_utils``) also define, with other APIs or networks: week 4's ``relu(Z)`` returns
``(A, cache)``, ``reg_utils.relu(x)`` the activation alone; ``reg_utils.forward_propagation``
is a 3-layer network, week 3's a 2-layer one. A notebook export that pastes them in defines
the same names (discovery binds them by the assignment the rest of the code belongs to)."""

ROLES = Roles(batch=("X", "A_prev", "Z"), batch_axis=1, reg="lambd")
"""Column-major data: examples are the columns (axis 1) of X, A_prev and Z; lambd is the L2
strength."""
BY_FAMILY = {
    cnn.FAMILY: Roles(batch=("A_prev",)),  # channels-last images, examples first
    rnn.FAMILY: Roles(batch=("xt", "x"), batch_axis=1),
}


def with_roles(spec: OpSpec) -> OpSpec:
    return spec if spec.roles != Roles() else dataclasses.replace(spec, roles=BY_FAMILY.get(spec.family, ROLES))


SPECS: tuple[OpSpec, ...] = tuple(with_roles(spec) for module in MODULES for spec in module.SPECS)
