"""CS231n's conventions by edition (2016-2024), as data for the op specs.

Survey of the course's templates: dropout's ``p`` was the drop probability in 2016-2017
and the keep probability from 2018; the linear classifiers (and ``neural_net.py``'s
``TwoLayerNet``) regularized with ``0.5 * reg * sum(W^2)`` in 2016 and ``reg * sum(W^2)``
from 2017; the 2017 assignment-2 template starts Adam's ``t`` at 1; the course-provided
assignment-3 ``optim.py`` adds Adam's epsilon to the uncorrected root. Known lookalike bugs
(Adam without bias correction, epsilon under the root of Adam and RMSProp) are listed with
the op they imitate.
"""

from __future__ import annotations

from typing import Any

from gradverify.core.conventions import Convention, static_view
from gradverify.core.references import references

ref_optim = references("gradverify.reference.cs231n.optim")

EDITIONS = tuple(range(2016, 2025))
"""The editions gradverify knows."""

FULL_REG = Convention("full_reg", "reg * sum(W^2), gradient 2 * reg * W", editions=tuple(range(2017, 2025)))
HALF_REG = Convention(
    "half_reg",
    "0.5 * reg * sum(W^2), gradient reg * W",
    editions=(2016,),
    view=static_view(reg=lambda reg: reg / 2),
)
"""0.5 * reg * sum(W^2) is reg * sum(W^2) at reg / 2, gradient included."""
LINEAR_REG = {"default_convention": FULL_REG, "conventions": (HALF_REG,)}
"""The spec fields of an op regularized like the linear classifiers."""


def _t_from_one(config: dict[str, Any] | None) -> dict[str, Any]:
    config = dict(config or {})
    config.setdefault("t", 1)
    return config


ADAM_T0 = Convention("t_from_0", "Adam's t starts at 0", editions=(2016, *range(2018, 2025)))
ADAM_T1 = Convention(
    "t_from_1",
    "Adam's t starts at 1 (config.setdefault('t', 1))",
    editions=(2017,),
    view=static_view(config=_t_from_one),
)
ADAM_A3 = Convention(
    "eps_uncorrected",
    "epsilon added to the uncorrected sqrt(v), as the course-provided assignment-3 adam",
    reference=lambda t: ref_optim.adam_variant(t["w"], t["dws"], t["config"]),
)
ADAM_NO_BIAS_CORRECTION = Convention(
    "no_bias_correction",
    "Adam without bias correction",
    reference=lambda t: ref_optim.adam_variant(t["w"], t["dws"], t["config"], bias_correction=False),
    bug="Adam without bias correction: the step must use m / (1 - beta1^t) and v / (1 - beta2^t), t counted "
    "before the step.",
)
EPS_UNDER_ROOT_HARM = (
    "the two differ only where the second moment is comparable to epsilon (tiny gradients), but it is "
    "not the course's update."
)
ADAM_EPS_UNDER_ROOT = Convention(
    "eps_under_root",
    "Adam with epsilon under the square root",
    reference=lambda t: ref_optim.adam_variant(t["w"], t["dws"], t["config"], eps_under_root=True),
    bug="Epsilon under the square root: the step divides by sqrt(v_hat + epsilon), the course's by "
    f"sqrt(v_hat) + epsilon; {EPS_UNDER_ROOT_HARM}",
)
ADAM = {
    "default_convention": ADAM_T0,
    "conventions": (ADAM_T1, ADAM_A3, ADAM_NO_BIAS_CORRECTION, ADAM_EPS_UNDER_ROOT),
}
RMSPROP_EPS_UNDER_ROOT = Convention(
    "eps_under_root",
    "RMSProp with epsilon under the square root",
    reference=lambda t: ref_optim.rmsprop_eps_under_root(t["w"], t["dws"], t["config"]),
    bug="Epsilon under the square root: the step divides by sqrt(cache + epsilon), the course's by "
    f"sqrt(cache) + epsilon; {EPS_UNDER_ROOT_HARM}",
)
RMSPROP = {"conventions": (RMSPROP_EPS_UNDER_ROOT,)}
