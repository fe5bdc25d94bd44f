"""Specs of optim.py: the update rules, checked as trajectories of several steps.

Nothing is differentiated (``wrt`` is empty, every output is compared as a value): each
rule runs once per gradient in ``dws`` and the weights after every step are compared, as
are the course's state entries of the final config (velocity, cache, m, v, t), since a rule
can follow the right trajectory while keeping a state the course defines differently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import gradverify.impl.cs231n.optim as impl
from gradverify.core.adapters import UpdateRule
from gradverify.core.references import references
from gradverify.core.sampling import Sample, values
from gradverify.core.spec import OpSpec, Variant
from gradverify.specs.cs231n.editions import ADAM, RMSPROP

ref = references("gradverify.reference.cs231n.optim")

ONE_STEP = "steps=1"
"""A single update: the first step, where zero-initialized state and bias correction meet."""
TINY = "tiny"
"""Gradients ~1e-5, where the second-moment estimates approach epsilon and its placement
(added to the root, not under it) changes the step."""
DEFAULTS = "defaults"
"""``config=None``: the rule must fill in every one of the course's default hyperparameters."""


def _log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(10 ** rng.uniform(np.log10(lo), np.log10(hi)))


HYPERPARAMETERS: dict[str, dict[str, Callable[[np.random.Generator], float]]] = {
    "sgd": {"learning_rate": lambda r: _log_uniform(r, 1e-3, 1e-1)},
    "sgd_momentum": {
        "learning_rate": lambda r: _log_uniform(r, 1e-3, 1e-1),
        "momentum": lambda r: float(r.uniform(0.5, 0.99)),
    },
    "rmsprop": {
        "learning_rate": lambda r: _log_uniform(r, 1e-3, 1e-1),
        "decay_rate": lambda r: float(r.uniform(0.9, 0.999)),
        "epsilon": lambda r: _log_uniform(r, 1e-8, 1e-4),
    },
    "adam": {
        "learning_rate": lambda r: _log_uniform(r, 1e-4, 1e-2),
        "beta1": lambda r: float(r.uniform(0.8, 0.95)),
        "beta2": lambda r: float(r.uniform(0.99, 0.9999)),
        "epsilon": lambda r: _log_uniform(r, 1e-8, 1e-4),
    },
}
"""Non-default values each rule's config may be sampled with."""


def _config(rng: np.random.Generator, rule: str, case: str) -> dict[str, Any] | None:
    """None for the defaults case; otherwise half the time an empty dict (the defaults, filled
    in place) and half the time a random subset of the hyperparameters, set off-default."""
    if case == DEFAULTS:
        return None
    if rng.random() < 0.5:
        return {}
    return {k: draw(rng) for k, draw in HYPERPARAMETERS[rule].items() if rng.random() < 0.8}


def _sampler(rule: str) -> Callable[[np.random.Generator, str], Sample]:
    def sample(rng: np.random.Generator, case: str) -> Sample:
        shape = tuple(int(s) for s in rng.integers(1, 5, size=int(rng.integers(1, 3))))
        steps = 1 if case == ONE_STEP else int(rng.integers(3, 7))
        w = values(rng, shape, case)
        dws = values(rng, (steps, *shape), case, scale=1e-5 if case == TINY else 1.0)
        return Sample({"w": w, "dws": dws}, {"config": _config(rng, rule, case)})

    return sample


def _spec(rule: str, state: tuple[str, ...], doc: str, **fields: Any) -> OpSpec:
    reference = getattr(ref, rule)
    return OpSpec(
        name=rule,
        family="optim",
        variants=(Variant("vectorized", UpdateRule(getattr(impl, rule), state=state)),),
        reference=lambda t: reference(t["w"], t["dws"], t["config"]),
        sample=_sampler(rule),
        outputs={"trajectory": None, **{k: None for k in state}},
        wrt=(),
        edge_cases=(ONE_STEP, TINY, DEFAULTS),
        description=doc,
        **fields,
    )


SPECS = (
    _spec("sgd", (), "vanilla SGD w - lr dw over several steps"),
    _spec("sgd_momentum", ("velocity",), "SGD with momentum, v = mu v - lr dw, w + v; trajectory and velocity"),
    _spec("rmsprop", ("cache",), "RMSProp, epsilon added to the root; trajectory and cache", **RMSPROP),
    _spec("adam", ("m", "v", "t"), "Adam with bias correction, t counted before it; trajectory, m, v and t", **ADAM),
)
